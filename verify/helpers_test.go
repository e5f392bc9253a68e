package verify

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// countingServer starts an httptest server whose handler gets the 1-based
// number of each request it receives.
func countingServer(t testing.TB, h func(n int64, w http.ResponseWriter, r *http.Request)) *httptest.Server {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(n.Add(1), w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// every returns a handler that calls fail on every k-th request and answers
// 200 otherwise.
func every(k int64, fail func(w http.ResponseWriter, r *http.Request)) func(int64, http.ResponseWriter, *http.Request) {
	return func(n int64, w http.ResponseWriter, r *http.Request) {
		if n%k == 0 {
			fail(w, r)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// status answers with a fixed status code.
func status(code int) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

// sleep answers 200 after d, or gives up when the client goes away.
func sleep(d time.Duration) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(d):
			w.WriteHeader(http.StatusOK)
		case <-r.Context().Done():
		}
	}
}

// stallBody sends the headers and part of the body, then waits d (or until
// the client goes away) before finishing.
func stallBody(d time.Duration) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "4")
		_, _ = w.Write([]byte("ok"))
		_ = http.NewResponseController(w).Flush()
		select {
		case <-time.After(d):
			_, _ = w.Write([]byte("!\n"))
		case <-r.Context().Done():
		}
	}
}

// cutBody promises 100 bytes, sends 10 and drops the connection.
func cutBody(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Length", "100")
	_, _ = w.Write(make([]byte, 10))
	_ = http.NewResponseController(w).Flush()
	panic(http.ErrAbortHandler) // net/http closes the connection, logs nothing
}

// hangUp closes the connection without writing a response.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err) // httptest's HTTP/1 server always supports hijacking
	}
	_ = conn.Close()
}

// refusedURL returns a URL on a local port where nothing listens.
func refusedURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("close listener: %v", err)
	}
	return "http://" + addr + "/"
}

// mustRun runs cfg with a generous overall deadline and fails the test on a
// configuration error.
func mustRun(t testing.TB, cfg Config) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

// checkTimelineSums checks that a target's timeline adds up to its totals.
func checkTimelineSums(t *testing.T, tr TargetReport) {
	t.Helper()
	var requests, failures int64
	classes := map[Class]int64{}
	for i, s := range tr.Timeline {
		if s.Second != i {
			t.Errorf("timeline[%d].Second = %d", i, s.Second)
		}
		requests += s.Requests
		failures += s.Failures
		for c, n := range s.Classes {
			classes[c] += n
		}
	}
	if requests != tr.Requests || failures != tr.Failures {
		t.Errorf("timeline sums: %d requests, %d failures; totals: %d, %d", requests, failures, tr.Requests, tr.Failures)
	}
	for c, n := range tr.Classes {
		if classes[c] != n {
			t.Errorf("timeline class %s sums to %d, total %d", c, classes[c], n)
		}
	}
}
