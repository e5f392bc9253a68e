package verify

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// tlsServer starts an HTTPS server on 127.0.0.1 whose certificate (Go's
// test certificate) names 127.0.0.1, example.com and *.example.com, and
// records the Host header and TLS server name of each request.
func tlsServer(t *testing.T) (*httptest.Server, *x509.CertPool, func() (hosts, serverNames map[string]int)) {
	t.Helper()
	var mu sync.Mutex
	hosts, names := map[string]int{}, map[string]int{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hosts[r.Host]++
		names[r.TLS.ServerName]++
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return srv, pool, func() (map[string]int, map[string]int) {
		mu.Lock()
		defer mu.Unlock()
		return hosts, names
	}
}

// TestHostIsTheTLSServerName: with Host set, an https target is reached by
// its address, but SNI and the certificate check use Host, as a client
// of an ALB serving that host's certificate would.
func TestHostIsTheTLSServerName(t *testing.T) {
	srv, pool, seen := tlsServer(t)
	rep, err := Run(context.Background(), Config{
		Targets:  []Target{{Name: "alb", URL: srv.URL + "/"}},
		Host:     "app.example.com:443",
		RootCAs:  pool,
		Rate:     20,
		Duration: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 10 || rep.Failures != 0 {
		t.Fatalf("requests %d failures %d, want 10 and 0: %+v", rep.Requests, rep.Failures, rep.Targets)
	}
	hosts, names := seen()
	if hosts["app.example.com:443"] != 10 || names["app.example.com"] != 10 {
		t.Errorf("server saw Host %v and SNI %v, want app.example.com:443 and app.example.com on every request", hosts, names)
	}
}

// TestHostCertificateIsVerified: verification stays on; a Host the
// certificate does not name fails every request, even though the URL's
// address (127.0.0.1) is in the certificate.
func TestHostCertificateIsVerified(t *testing.T) {
	srv, pool, _ := tlsServer(t)
	for _, tc := range []struct {
		name  string
		host  string
		roots *x509.CertPool
	}{
		{"host not in the certificate", "app.corp.internal", pool},
		{"unknown CA", "app.example.com", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Run(context.Background(), Config{
				Targets: []Target{{Name: "alb", URL: srv.URL + "/"}},
				Host:    tc.host, RootCAs: tc.roots, Rate: 20, Duration: 250 * time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Requests != 5 || rep.Failures != 5 {
				t.Errorf("requests %d failures %d, want every request to fail verification", rep.Requests, rep.Failures)
			}
		})
	}
}

// TestNoHostUsesTheURL: without Host, the URL's host is the server name
// (here an IP address in the certificate).
func TestNoHostUsesTheURL(t *testing.T) {
	srv, pool, _ := tlsServer(t)
	rep, err := Run(context.Background(), Config{
		Targets: []Target{{Name: "direct", URL: srv.URL + "/"}},
		RootCAs: pool, Rate: 20, Duration: 250 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 5 || rep.Failures != 0 {
		t.Errorf("requests %d failures %d, want 5 and 0", rep.Requests, rep.Failures)
	}
}

func TestServerName(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "app.example.com": "app.example.com", "app.example.com:8443": "app.example.com",
		"[::1]:443": "::1", "[::1]": "::1", "10.0.0.1": "10.0.0.1",
	} {
		if got := serverName(in); got != want {
			t.Errorf("serverName(%q) = %q, want %q", in, got, want)
		}
	}
}
