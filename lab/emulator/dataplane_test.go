package emulator

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/types"
)

// backend starts an app that answers with its version header.
func backend(t *testing.T, version string, h http.HandlerFunc) (*httptest.Server, TargetSpec) {
	t.Helper()
	if h == nil {
		h = func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hello from "+version) }
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-App-Version", version)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, specFor(t, srv.Listener.Addr().String(), version)
}

func specFor(t *testing.T, addr, pod string) TargetSpec {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return TargetSpec{IP: host, Port: int32(p), Pod: types.NamespacedName{Namespace: "app", Name: pod}}
}

// planeFixture is a data plane in front of target groups on a fake clock.
type planeFixture struct {
	*groupFixture
	plane *DataPlane
	front *httptest.Server
}

func newPlaneFixture(t *testing.T, s Settings) *planeFixture {
	t.Helper()
	f := &planeFixture{groupFixture: newGroupFixture(s, testConfig()), plane: NewDataPlane(s, nil)}
	f.front = httptest.NewServer(f.plane)
	t.Cleanup(func() { f.front.Close(); f.plane.Close() })
	return f
}

func (f *planeFixture) route(host, path string, pt networkingv1.PathType, tg *TargetGroup) Route {
	return Route{LoadBalancer: "k8s-app-web-0123456789", Hostname: "k8s-app-web-0123456789.lab.local",
		Host: host, Path: path, PathType: pt, TargetGroup: tg, IdleTimeout: 5 * time.Second}
}

func (f *planeFixture) get(t *testing.T, host, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.front.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := f.front.Client().Do(req)
	if err != nil {
		t.Fatalf("GET %s%s: %v", host, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestDataPlaneRoutesByHostAndLongestPrefix(t *testing.T) {
	f := newPlaneFixture(t, testSettings())
	groups := map[string]*TargetGroup{}
	for _, name := range []string{"root", "api", "any", "exact", "wild"} {
		_, sp := backend(t, name, nil)
		tg := NewTargetGroup(name, testConfig(), testSettings(), f.clock, nil)
		tg.Register(sp)
		for range 3 { // healthy threshold 3, a check per interval
			tg.Sync(t.Context(), f.check.check)
			f.clock.Step(10 * time.Second)
		}
		groups[name] = tg
	}
	f.plane.SetRoutes([]Route{
		f.route("", "/", networkingv1.PathTypePrefix, groups["any"]),
		f.route("a.example.com", "/", networkingv1.PathTypePrefix, groups["root"]),
		f.route("a.example.com", "/api", networkingv1.PathTypePrefix, groups["api"]),
		f.route("a.example.com", "/exact", networkingv1.PathTypeExact, groups["exact"]),
		f.route("*.example.org", "/", networkingv1.PathTypePrefix, groups["wild"]),
	})
	for _, tc := range []struct{ host, path, want string }{
		{"a.example.com", "/", "root"},
		{"a.example.com:80", "/api", "api"},
		{"A.EXAMPLE.COM", "/api/v1/items", "api"},
		{"a.example.com", "/apiv2", "root"},
		{"a.example.com", "/exact", "exact"},
		{"a.example.com", "/exact/more", "root"},
		{"b.example.org", "/x", "wild"},
		{"deep.b.example.org", "/x", "any"},
		{"other.test", "/api", "any"},
		{"k8s-app-web-0123456789.lab.local", "/api", "any"},
	} {
		resp, _ := f.get(t, tc.host, tc.path)
		if got := resp.Header.Get("X-App-Version"); resp.StatusCode != http.StatusOK || got != tc.want {
			t.Errorf("%s%s: status %d version %q, want 200 from %q", tc.host, tc.path, resp.StatusCode, got, tc.want)
		}
	}
}

func TestDataPlaneStatusWithoutTargets(t *testing.T) {
	f := newPlaneFixture(t, testSettings())
	initialOnly := NewTargetGroup("initial", testConfig(), testSettings(), f.clock, nil)
	_, sp := backend(t, "v1", nil)
	initialOnly.Register(sp)
	f.plane.SetRoutes([]Route{
		f.route("empty.test", "/", networkingv1.PathTypePrefix, f.tg),
		f.route("nogroup.test", "/", networkingv1.PathTypePrefix, nil),
		f.route("initial.test", "/", networkingv1.PathTypePrefix, initialOnly),
	})
	for _, tc := range []struct {
		host   string
		status int
		reason string
	}{
		{"empty.test", http.StatusServiceUnavailable, reasonNoRegistered},
		{"nogroup.test", http.StatusServiceUnavailable, reasonNoTargetGroup},
		{"initial.test", http.StatusBadGateway, reasonNoUsable},
		{"unknown.test", http.StatusNotFound, reasonNoRoute},
	} {
		resp, body := f.get(t, tc.host, "/")
		if resp.StatusCode != tc.status || resp.Header.Get(HeaderReason) != tc.reason || resp.Header.Get("Server") != "awselb/2.0" {
			t.Errorf("%s: %d %q server %q, want %d %q from awselb", tc.host, resp.StatusCode, resp.Header.Get(HeaderReason), resp.Header.Get("Server"), tc.status, tc.reason)
		}
		if !strings.Contains(body, strconv.Itoa(tc.status)) {
			t.Errorf("%s: body %q lacks the status", tc.host, body)
		}
	}
}

// healthyTarget registers sp in the fixture's group and makes it healthy.
func (f *planeFixture) healthyTarget(t *testing.T, sp TargetSpec) {
	t.Helper()
	f.makeHealthy(t, sp)
	f.plane.SetRoutes([]Route{f.route("", "/", networkingv1.PathTypePrefix, f.tg)})
}

func TestDataPlanePropagatesTheResponse(t *testing.T) {
	f := newPlaneFixture(t, testSettings())
	var gotHost, gotXFF string
	_, sp := backend(t, "v2", func(w http.ResponseWriter, r *http.Request) {
		gotHost, gotXFF = r.Host, r.Header.Get("X-Forwarded-For")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "short and stout")
	})
	f.healthyTarget(t, sp)
	resp, body := f.get(t, "app.example.com", "/brew")
	if resp.StatusCode != http.StatusTeapot || body != "short and stout" ||
		resp.Header.Get("X-App-Version") != "v2" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("response %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if gotHost != "app.example.com" || gotXFF != "127.0.0.1" {
		t.Fatalf("target saw Host %q X-Forwarded-For %q", gotHost, gotXFF)
	}
}

func TestDataPlane502WhenTheTargetRefuses(t *testing.T) {
	f := newPlaneFixture(t, testSettings())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sp := specFor(t, ln.Addr().String(), "gone")
	_ = ln.Close()
	f.healthyTarget(t, sp)
	resp, _ := f.get(t, "x", "/")
	if resp.StatusCode != http.StatusBadGateway || resp.Header.Get(HeaderReason) != reasonConnectFailed {
		t.Fatalf("status %d reason %q, want 502 %s", resp.StatusCode, resp.Header.Get(HeaderReason), reasonConnectFailed)
	}
}

func TestDataPlane502WhenTheTargetResets(t *testing.T) {
	f := newPlaneFixture(t, testSettings())
	_, sp := backend(t, "v1", func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		_ = conn.(*net.TCPConn).SetLinger(0) // close with RST
		_ = conn.Close()
	})
	f.healthyTarget(t, sp)
	// POST is not retried by the transport on a broken connection.
	resp, err := f.front.Client().Post(f.front.URL+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || resp.Header.Get(HeaderReason) != reasonTargetError {
		t.Fatalf("status %d reason %q, want 502 %s", resp.StatusCode, resp.Header.Get(HeaderReason), reasonTargetError)
	}
}

func TestDataPlane504OnIdleTimeout(t *testing.T) {
	f := newPlaneFixture(t, testSettings())
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	_, sp := backend(t, "slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	f.makeHealthy(t, sp)
	rt := f.route("", "/", networkingv1.PathTypePrefix, f.tg)
	rt.IdleTimeout = 100 * time.Millisecond
	f.plane.SetRoutes([]Route{rt})
	start := time.Now()
	resp, _ := f.get(t, "x", "/")
	if resp.StatusCode != http.StatusGatewayTimeout || resp.Header.Get(HeaderReason) != reasonIdleTimeout {
		t.Fatalf("status %d reason %q, want 504 %s", resp.StatusCode, resp.Header.Get(HeaderReason), reasonIdleTimeout)
	}
	if elapsed := time.Since(start); elapsed < 100*time.Millisecond {
		t.Fatalf("504 after %s, before the idle timeout", elapsed)
	}
}

func TestDataPlaneIdleTimeoutResetsWhileTheBodyStreams(t *testing.T) {
	f := newPlaneFixture(t, testSettings())
	_, sp := backend(t, "stream", func(w http.ResponseWriter, _ *http.Request) {
		for i := range 5 {
			_, _ = io.WriteString(w, strconv.Itoa(i))
			_ = http.NewResponseController(w).Flush()
			time.Sleep(40 * time.Millisecond)
		}
	})
	f.makeHealthy(t, sp)
	rt := f.route("", "/", networkingv1.PathTypePrefix, f.tg)
	rt.IdleTimeout = 100 * time.Millisecond // shorter than the whole response
	f.plane.SetRoutes([]Route{rt})
	resp, body := f.get(t, "x", "/")
	if resp.StatusCode != http.StatusOK || body != "01234" {
		t.Fatalf("status %d body %q, want 200 01234", resp.StatusCode, body)
	}
}

func TestDataPlaneNoNewRequestsToADrainingTarget(t *testing.T) {
	f := newPlaneFixture(t, testSettings())
	_, old := backend(t, "v1", nil)
	_, cur := backend(t, "v2", nil)
	f.makeHealthy(t, old)
	f.healthyTarget(t, cur)
	f.tg.Deregister(old.ID())
	versions := func() map[string]int {
		got := map[string]int{}
		for range 6 {
			resp, _ := f.get(t, "x", "/")
			got[resp.Header.Get("X-App-Version")]++
		}
		return got
	}
	if got := versions(); got["v1"] != 3 || got["v2"] != 3 {
		t.Fatalf("before propagation: %v, want 3 each", got)
	}
	f.step(10 * time.Second)
	if got := versions(); got["v1"] != 0 || got["v2"] != 6 {
		t.Fatalf("draining: %v, want all on v2", got)
	}
}

// blockingBackend answers only when released; started reports each request.
func blockingBackend(t *testing.T, headersFirst bool) (TargetSpec, chan struct{}, chan struct{}) {
	t.Helper()
	started, release := make(chan struct{}, 1), make(chan struct{})
	_, sp := backend(t, "v1", func(w http.ResponseWriter, r *http.Request) {
		if headersFirst {
			_, _ = io.WriteString(w, "partial ")
			_ = http.NewResponseController(w).Flush()
		}
		started <- struct{}{}
		select {
		case <-release:
			_, _ = io.WriteString(w, "done")
		case <-r.Context().Done():
		}
	})
	return sp, started, release
}

type result struct {
	status int
	reason string
	body   string
	err    error
}

func (f *planeFixture) getAsync(t *testing.T) chan result {
	t.Helper()
	out := make(chan result, 1)
	go func() {
		resp, err := f.front.Client().Get(f.front.URL + "/")
		if err != nil {
			out <- result{err: err}
			return
		}
		defer func() { _ = resp.Body.Close() }()
		body, err := io.ReadAll(resp.Body)
		out <- result{status: resp.StatusCode, reason: resp.Header.Get(HeaderReason), body: string(body), err: err}
	}()
	return out
}

func TestDataPlaneInFlightRequestToADrainingTargetCompletes(t *testing.T) {
	f := newPlaneFixture(t, testSettings())
	sp, started, release := blockingBackend(t, false)
	f.healthyTarget(t, sp)
	res := f.getAsync(t)
	<-started
	f.tg.Deregister(sp.ID())
	f.step(10 * time.Second)
	f.step(19 * time.Second) // the deregistration delay (30 s from the call) is not over
	if st := f.state(t, sp.ID()); st.State != StateDraining || st.InFlight != 1 {
		t.Fatalf("target %+v, want draining with the request in flight", st)
	}
	close(release)
	r := <-res
	if r.err != nil || r.status != http.StatusOK || r.body != "done" {
		t.Fatalf("in-flight request: %+v, want 200 done", r)
	}
}

func TestDataPlaneCutsInFlightRequestsAtDeregistrationDelayEnd(t *testing.T) {
	drain := func(f *planeFixture, sp TargetSpec) {
		f.tg.Deregister(sp.ID())
		f.step(10 * time.Second)
		f.step(30 * time.Second)
	}
	t.Run("before the response headers: 502", func(t *testing.T) {
		f := newPlaneFixture(t, testSettings())
		sp, started, release := blockingBackend(t, false)
		defer close(release)
		f.healthyTarget(t, sp)
		res := f.getAsync(t)
		<-started
		drain(f, sp)
		r := <-res
		if r.err != nil || r.status != http.StatusBadGateway || r.reason != reasonTargetDeregistered {
			t.Fatalf("cut request: %+v, want 502 %s", r, reasonTargetDeregistered)
		}
	})
	t.Run("while the body streams: connection closed", func(t *testing.T) {
		f := newPlaneFixture(t, testSettings())
		sp, started, release := blockingBackend(t, true)
		defer close(release)
		f.healthyTarget(t, sp)
		resp, err := f.front.Client().Get(f.front.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		<-started
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want the target's 200", resp.StatusCode)
		}
		drain(f, sp)
		body, err := io.ReadAll(resp.Body)
		if err == nil {
			t.Fatalf("streaming response not cut, body %q", body)
		}
	})
}

// TestDataPlaneNoSilentRetry: a target closes a reused keep-alive connection
// when the next request arrives, without answering. Go's transport would
// retry that GET on a new connection and hide the failure; the ALB answers
// 502, and so must the emulator.
func TestDataPlaneNoSilentRetry(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			first := conns.Add(1) == 1
			go func(c net.Conn) {
				defer c.Close()
				br := bufio.NewReader(c)
				for i := 0; ; i++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					if first && i == 1 {
						return // close the reused connection without answering
					}
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				}
			}(c)
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	f := newPlaneFixture(t, testSettings())
	sp := TargetSpec{IP: "127.0.0.1", Port: int32(port)}
	f.healthyTarget(t, sp)
	get := func() (int, string) {
		resp, err := f.front.Client().Get(f.front.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, resp.Header.Get(HeaderReason)
	}
	if status, _ := get(); status != http.StatusOK {
		t.Fatalf("first request: %d", status)
	}
	if status, reason := get(); status != http.StatusBadGateway || reason != reasonTargetClosed {
		t.Fatalf("request on the closed connection: %d %q, want 502 %s (a silent retry hid it)", status, reason, reasonTargetClosed)
	}
}
