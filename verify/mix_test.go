package verify

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMixPattern(t *testing.T) {
	count := func(p []Kind) map[Kind]int {
		m := map[Kind]int{}
		for _, k := range p {
			m[k]++
		}
		return m
	}
	for _, tc := range []struct {
		name string
		mix  Mix
		len  int
		want map[Kind]int
	}{
		{"zero mix: short GETs only", Mix{}, 1, map[Kind]int{KindGet: 1}},
		{"70/20/10", Mix{LongPercent: 20, LongDuration: time.Second, PostPercent: 10}, 10, map[Kind]int{KindGet: 7, KindLong: 2, KindPost: 1}},
		{"half posts", Mix{PostPercent: 50}, 2, map[Kind]int{KindGet: 1, KindPost: 1}},
		{"all long", Mix{LongPercent: 100, LongDuration: time.Second}, 1, map[Kind]int{KindLong: 1}},
		{"33 % long", Mix{LongPercent: 33, LongDuration: time.Second}, 100, map[Kind]int{KindGet: 67, KindLong: 33}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.mix.pattern()
			if len(p) != tc.len {
				t.Fatalf("pattern %v has length %d, want %d", p, len(p), tc.len)
			}
			got := count(p)
			for k, n := range tc.want {
				if got[k] != n {
					t.Errorf("pattern %v: %d × %s, want %d", p, got[k], k, n)
				}
			}
		})
	}
	// The kinds are spread over the cycle, not sent in blocks.
	p := Mix{LongPercent: 20, LongDuration: time.Second, PostPercent: 10}.pattern()
	for i := 1; i < len(p); i++ {
		if p[i] != KindGet && p[i] == p[i-1] {
			t.Errorf("pattern %v sends two %s in a row", p, p[i])
		}
	}
}

func TestMixValidate(t *testing.T) {
	for _, tc := range []struct {
		mix  Mix
		want string // "" for valid
	}{
		{Mix{}, ""},
		{Mix{LongPercent: 20, LongDuration: 10 * time.Second, PostPercent: 10}, ""},
		{Mix{LongPercent: -1, LongDuration: time.Second}, "Mix.LongPercent -1"},
		{Mix{LongPercent: 101, LongDuration: time.Second}, "Mix.LongPercent 101"},
		{Mix{PostPercent: 200}, "Mix.PostPercent 200"},
		{Mix{LongPercent: 60, LongDuration: time.Second, PostPercent: 50}, "at most 100"},
		{Mix{LongPercent: 20}, "Mix.LongDuration: required"},
		{Mix{LongDuration: time.Second}, "Mix.LongPercent is 0"},
		{Mix{LongPercent: 20, LongDuration: -time.Second}, "must not be negative"},
	} {
		err := tc.mix.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v, want valid", tc.mix, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: %v, want an error with %q", tc.mix, err, tc.want)
		}
	}
	// Run refuses it too, naming the field.
	_, err := Run(t.Context(), Config{Targets: []Target{{Name: "t", URL: "http://127.0.0.1:1/"}}, Mix: Mix{LongPercent: 20}})
	if err == nil || !strings.Contains(err.Error(), "Mix.LongDuration") {
		t.Errorf("Run with an invalid mix: %v, want an error naming Mix.LongDuration", err)
	}
}

// arrivals counts what a mix server received, per kind as the server sees it.
type arrivals struct {
	mu          sync.Mutex
	byKind      map[Kind]int
	idempotency int // requests carrying Idempotency-Key or X-Idempotency-Key
	badPosts    int // POSTs whose body was not the verifier's
}

// add records one request.
func (a *arrivals) add(r *http.Request, body []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.byKind == nil {
		a.byKind = map[Kind]int{}
	}
	k := KindGet
	switch {
	case r.Method == http.MethodPost:
		k = KindPost
		if string(body) != postBody {
			a.badPosts++
		}
	case r.URL.Query().Get(DelayParam) != "":
		k = KindLong
	}
	a.byKind[k]++
	if r.Header.Get("Idempotency-Key") != "" || r.Header.Get("X-Idempotency-Key") != "" {
		a.idempotency++
	}
}

// get returns the count for a kind.
func (a *arrivals) get(k Kind) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.byKind[k]
}

// mixHandler answers like the demo app: "?delay=" sleeps that long, POST
// reads its body. postFails makes every POST hang up without an answer
// after its body was read (the connection dies under it).
func mixHandler(a *arrivals, postFails bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		a.add(r, body)
		if r.Method == http.MethodPost && postFails {
			hangUp(w, r)
			return
		}
		if d, err := time.ParseDuration(r.URL.Query().Get(DelayParam)); err == nil {
			sleep(d)(w, r)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// TestRunMixExactProportions: 50 requests of a 70/20/10 mix are exactly
// 35 short GETs, 10 long ones and 5 POSTs, counted alike by the server and
// the report. The long requests ask for 1.5 s, more than the 1 s timeout:
// their own timeout is the delay plus the run's, so none times out.
func TestRunMixExactProportions(t *testing.T) {
	t.Parallel()
	a := &arrivals{}
	srv := newHTTPServer(t, mixHandler(a, false))
	rep := mustRun(t, Config{
		Targets: []Target{{Name: "app", URL: srv.URL + "/"}}, Rate: 50, Duration: time.Second, Timeout: time.Second,
		Mix: Mix{LongPercent: 20, LongDuration: 1500 * time.Millisecond, PostPercent: 10},
	})
	tr := rep.Targets[0]
	want := map[Kind]int64{KindGet: 35, KindLong: 10, KindPost: 5}
	for k, n := range want {
		if got := tr.Kinds[k]; got.Requests != n || got.Failures != 0 || got.Classes[ClassOK] != n {
			t.Errorf("report: %s = %+v, want %d requests, all ok", k, got, n)
		}
		if got := a.get(k); got != int(n) {
			t.Errorf("server: %d × %s, want %d", got, k, n)
		}
	}
	if a.idempotency != 0 || a.badPosts != 0 {
		t.Errorf("%d requests carried an idempotency key, %d POSTs a foreign body; want none", a.idempotency, a.badPosts)
	}
	if tr.Latency.Max < 1500 {
		t.Errorf("max latency %.0f ms: the long requests did not last their 1.5 s", tr.Latency.Max)
	}
	if s := rep.Settings.Mix; s.GetPercent != 70 || s.LongPercent != 20 || s.LongSeconds != 1.5 || s.PostPercent != 10 {
		t.Errorf("settings echo the mix as %+v", s)
	}
}

// TestRunPostNeverRetried: every POST's connection dies after the server
// read it, without an answer. Go's transport would resend a GET on a new
// connection; a POST must arrive exactly once and count as a failure (reset),
// in both load modes, with connections reused (GETs answer normally).
func TestRunPostNeverRetried(t *testing.T) {
	t.Parallel()
	forBothLoadModes(t, func(t *testing.T, closed bool) {
		a := &arrivals{}
		srv := newHTTPServer(t, mixHandler(a, true))
		cfg := Config{Targets: []Target{{Name: "app", URL: srv.URL + "/"}}, Rate: 20, Duration: time.Second, Mix: Mix{PostPercent: 50}}
		if closed {
			cfg.ClosedLoop = 20 * time.Millisecond
		}
		var mu sync.Mutex
		failedKinds := map[Kind]int{}
		cfg.OnFailure = func(f Failure) { mu.Lock(); failedKinds[f.Kind]++; mu.Unlock() }
		rep := mustRun(t, cfg)
		post := rep.Targets[0].Kinds[KindPost]
		if post.Requests == 0 || post.Classes[ClassReset] != post.Requests {
			t.Fatalf("POSTs: %+v, want every one a reset", post)
		}
		if got := a.get(KindPost); int64(got) != post.Requests {
			t.Errorf("the server received %d POSTs for %d sent: a POST was retried", got, post.Requests)
		}
		if get := rep.Targets[0].Kinds[KindGet]; get.Failures != 0 || get.Requests < post.Requests {
			t.Errorf("GETs: %+v, want %d or more, all ok", get, post.Requests)
		}
		if failedKinds[KindPost] != int(post.Requests) || len(failedKinds) != 1 {
			t.Errorf("OnFailure saw %v, want %d post failures only", failedKinds, post.Requests)
		}
	})
}

// TestRunCountsInFlightLongRequestsAfterStop: stopping a run sends no new
// request, but the long requests in flight complete (they are not cut) and
// are counted, in both load modes: every request the server received is in
// the report, answered.
func TestRunCountsInFlightLongRequestsAfterStop(t *testing.T) {
	t.Parallel()
	forBothLoadModes(t, func(t *testing.T, closed bool) {
		a := &arrivals{}
		srv := newHTTPServer(t, mixHandler(a, false))
		cfg := Config{
			Targets: []Target{{Name: "app", URL: srv.URL + "/"}}, Rate: 20,
			Mix: Mix{LongPercent: 100, LongDuration: 400 * time.Millisecond},
		}
		if closed {
			cfg.ClosedLoop = time.Millisecond
		}
		ctx, cancel := context.WithTimeout(t.Context(), 250*time.Millisecond)
		defer cancel()
		rep, err := Run(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		long := rep.Targets[0].Kinds[KindLong]
		if rep.StopReason != StopCancelled || long.Requests == 0 || long.Classes[ClassOK] != long.Requests {
			t.Fatalf("stopped by %s; long requests %+v, want some, all answered", rep.StopReason, long)
		}
		if got := a.get(KindLong); int64(got) != long.Requests || rep.Requests != long.Requests {
			t.Errorf("the server received %d long requests, the report counts %d of %d", got, long.Requests, rep.Requests)
		}
	})
}

// forBothLoadModes runs test, in parallel, as a subtest in the open-loop
// mode (closed false) and in the closed-loop mode (closed true).
func forBothLoadModes(t *testing.T, test func(t *testing.T, closed bool)) {
	t.Helper()
	for _, closed := range []bool{false, true} {
		name := map[bool]string{false: "open loop", true: "closed loop"}[closed]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, closed)
		})
	}
}
