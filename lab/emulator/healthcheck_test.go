package emulator

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/zdt-eks/zdt/internal/lbc"
)

func TestHTTPHealthChecker(t *testing.T) {
	var mu sync.Mutex
	agents := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents[r.UserAgent()] = true
		mu.Unlock()
		switch r.URL.Path {
		case "/readyz":
			w.WriteHeader(http.StatusOK)
		case "/redirect":
			http.Redirect(w, r, "/readyz", http.StatusFound)
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	target := specFor(t, srv.Listener.Addr().String(), "p")
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := specFor(t, closed.Addr().String(), "gone")
	_ = closed.Close()

	check := HTTPHealthChecker()
	for _, tc := range []struct {
		name    string
		target  TargetSpec
		path    string
		codes   string
		timeout time.Duration
		want    CheckResult
	}{
		{name: "200 passes", target: target, path: "/readyz", codes: "200", want: CheckResult{Healthy: true}},
		{name: "503 mismatches", target: target, path: "/down", codes: "200", want: CheckResult{Reason: ReasonResponseCodeMismatch, Description: "Health checks failed with these codes: [503]"}},
		{name: "redirect not followed", target: target, path: "/redirect", codes: "200", want: CheckResult{Reason: ReasonResponseCodeMismatch, Description: "Health checks failed with these codes: [302]"}},
		{name: "redirect accepted by matcher", target: target, path: "/redirect", codes: "200-399", want: CheckResult{Healthy: true}},
		{name: "timeout", target: target, path: "/slow", codes: "200", timeout: 50 * time.Millisecond, want: CheckResult{Reason: ReasonTimeout, Description: "Request timed out"}},
		{name: "connection refused", target: refused, path: "/readyz", codes: "200", want: CheckResult{Reason: ReasonFailedHealthChecks, Description: "Health checks failed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			codes, err := ParseSuccessCodes(tc.codes)
			if err != nil {
				t.Fatal(err)
			}
			hc := HealthCheckConfig{Path: tc.path, Port: lbc.TrafficPort, Timeout: time.Second, SuccessCodes: codes}
			if tc.timeout > 0 {
				hc.Timeout = tc.timeout
			}
			if got := check(t.Context(), tc.target, hc); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if len(agents) != 1 || !agents[healthCheckUserAgent] {
		t.Fatalf("user agents %v, want only %s", agents, healthCheckUserAgent)
	}
}
