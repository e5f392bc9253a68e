package verify

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// newHTTPServer starts an httptest server with h and closes it at the end.
func newHTTPServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// inFlight wraps a handler and records the most requests it ever had in
// flight at once, and each request's arrival time.
type inFlight struct {
	next    http.Handler
	now     atomic.Int64
	max     atomic.Int64
	mu      sync.Mutex
	arrived []time.Time
}

func (f *inFlight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.now.Add(1)
	defer f.now.Add(-1)
	for m := f.max.Load(); n > m && !f.max.CompareAndSwap(m, n); m = f.max.Load() {
	}
	f.mu.Lock()
	f.arrived = append(f.arrived, time.Now())
	f.mu.Unlock()
	f.next.ServeHTTP(w, r)
}

// TestClosedLoopOneAtATime: the closed loop never has two requests in
// flight, cycles through the mix in its exact pattern, and is reported like
// the open loop (per kind, timeline, no planned count).
func TestClosedLoopOneAtATime(t *testing.T) {
	t.Parallel()
	a := &arrivals{}
	f := &inFlight{next: mixHandler(a, false)}
	srv := newHTTPServer(t, f)
	mix := Mix{LongPercent: 20, LongDuration: 30 * time.Millisecond, PostPercent: 10}
	rep := mustRun(t, Config{
		Targets: []Target{{Name: "app", URL: srv.URL + "/"}}, Duration: 1500 * time.Millisecond,
		ClosedLoop: 10 * time.Millisecond, Mix: mix,
	})
	if m := f.max.Load(); m != 1 {
		t.Errorf("%d requests in flight at once, want 1", m)
	}
	tr := rep.Targets[0]
	if tr.Requests < 5 || tr.Failures != 0 || tr.Planned != 0 {
		t.Fatalf("report: %d requests, %d failed, planned %d; want at least 5, none failed, no plan", tr.Requests, tr.Failures, tr.Planned)
	}
	checkTimelineSums(t, tr)
	want := map[Kind]int64{}
	p := mix.pattern()
	for i := range tr.Requests {
		want[p[int(i)%len(p)]]++
	}
	for k, n := range want {
		if got := tr.Kinds[k].Requests; got != n {
			t.Errorf("%d × %s in %d requests, want %d (the pattern's prefix)", got, k, tr.Requests, n)
		}
		if got := a.get(k); int64(got) != n {
			t.Errorf("server: %d × %s, want %d", got, k, n)
		}
	}
	if rep.Settings.ClosedLoopSeconds != 0.01 {
		t.Errorf("settings: closed loop %gs, want 0.01", rep.Settings.ClosedLoopSeconds)
	}
}

// TestClosedLoopWaitsForTheTimeout: as the field report's curl loop, a
// request that hangs delays the next one by its whole timeout plus the
// interval; it counts as one timeout.
func TestClosedLoopWaitsForTheTimeout(t *testing.T) {
	t.Parallel()
	const timeout, interval = 300 * time.Millisecond, 100 * time.Millisecond
	var n atomic.Int64
	f := &inFlight{next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			sleep(10*time.Second)(w, r) // until the client gives up
			return
		}
		w.WriteHeader(http.StatusOK)
	})}
	srv := newHTTPServer(t, f)
	rep := mustRun(t, Config{
		Targets: []Target{{Name: "app", URL: srv.URL + "/"}}, Duration: time.Second, Timeout: timeout, ClosedLoop: interval,
	})
	tr := rep.Targets[0]
	if tr.Classes[ClassTimeout] != 1 || tr.Requests < 2 {
		t.Fatalf("classes %v over %d requests, want one timeout and more requests", tr.Classes, tr.Requests)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if gap := f.arrived[1].Sub(f.arrived[0]); gap < timeout+interval {
		t.Errorf("the second request arrived %s after the first, want at least the timeout plus the interval (%s)", gap, timeout+interval)
	}
}

// TestClosedLoopStops: StopWhen ends a closed loop that has no Duration;
// the request in flight completes and is counted.
func TestClosedLoopStops(t *testing.T) {
	t.Parallel()
	srv := newHTTPServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sleep(200*time.Millisecond)(w, r)
	}))
	rep := mustRun(t, Config{
		Targets: []Target{{Name: "app", URL: srv.URL + "/"}}, ClosedLoop: 10 * time.Millisecond,
		ProgressInterval: 50 * time.Millisecond,
		StopWhen:         func(p Progress) bool { return p.Requests >= 2 },
	})
	if rep.StopReason != StopWhen || rep.Requests < 2 || rep.Failures != 0 {
		t.Errorf("stopped by %s after %d requests, %d failed; want stop-when, at least 2, none failed", rep.StopReason, rep.Requests, rep.Failures)
	}
}
