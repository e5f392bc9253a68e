package verify

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// TestRunClassifiesExactly injects one failure class per server and checks
// exact counts: 50 req/s for 1 s is exactly 50 requests.
func TestRunClassifiesExactly(t *testing.T) {
	tests := []struct {
		name      string
		handler   func(int64, http.ResponseWriter, *http.Request)
		url       func(t testing.TB) string // overrides the server when set
		noKeep    bool
		timeout   time.Duration
		want      map[Class]int64
		wantError bool // transport error messages are sampled
	}{
		{name: "all ok", handler: every(1000, status(500)), want: map[Class]int64{ClassOK: 50}},
		{name: "every 4th 503", handler: every(4, status(503)), want: map[Class]int64{ClassOK: 38, "503": 12}},
		{name: "every 5th 502", handler: every(5, status(502)), want: map[Class]int64{ClassOK: 40, "502": 10}},
		{name: "every 10th 504", handler: every(10, status(504)), want: map[Class]int64{ClassOK: 45, "504": 5}},
		{name: "redirect is not followed", handler: every(25, status(301)), want: map[Class]int64{ClassOK: 48, "301": 2}},
		{
			name: "every 10th slower than the timeout", handler: every(10, sleep(3*time.Second)),
			timeout: time.Second, want: map[Class]int64{ClassOK: 45, ClassTimeout: 5}, wantError: true,
		},
		{
			name: "every 10th stalls its body past the timeout", handler: every(10, stallBody(3*time.Second)),
			timeout: time.Second, want: map[Class]int64{ClassOK: 45, ClassTimeout: 5}, wantError: true,
		},
		{
			name: "every 5th cut off mid-body", handler: every(5, cutBody),
			want: map[Class]int64{ClassOK: 40, ClassReset: 10}, wantError: true,
		},
		{
			name: "every request hung up, keep-alive", handler: every(1, hangUp),
			want: map[Class]int64{ClassReset: 50}, wantError: true,
		},
		{
			// Without keep-alive: with it, Go's transport transparently
			// retries an idempotent request whose reused connection the
			// server closed, which is what browsers do too.
			name: "every 2nd hung up, no keep-alive", handler: every(2, hangUp), noKeep: true,
			want: map[Class]int64{ClassOK: 25, ClassReset: 25}, wantError: true,
		},
		{
			name: "refused", url: refusedURL,
			want: map[Class]int64{ClassRefused: 50}, wantError: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var url string
			if tt.url != nil {
				url = tt.url(t)
			} else {
				url = countingServer(t, tt.handler).URL
			}
			var mu sync.Mutex
			var failures []Failure
			rep := mustRun(t, Config{
				Targets:          []Target{{Name: "t", URL: url}},
				Rate:             50,
				Duration:         time.Second,
				Timeout:          tt.timeout,
				DisableKeepAlive: tt.noKeep,
				OnFailure: func(f Failure) {
					mu.Lock()
					defer mu.Unlock()
					failures = append(failures, f)
				},
			})
			tr := rep.Targets[0]
			if tr.Requests != 50 || tr.Planned != 50 || rep.Requests != 50 {
				t.Fatalf("requests = %d (report %d), planned %d; want 50", tr.Requests, rep.Requests, tr.Planned)
			}
			if !equalCounts(tr.Classes, tt.want) {
				t.Errorf("classes = %v, want %v (errors: %v)", tr.Classes, tt.want, tr.Errors)
			}
			wantFailures := 50 - tt.want[ClassOK]
			if tr.Failures != wantFailures || rep.Failures != wantFailures || int64(len(failures)) != wantFailures {
				t.Errorf("failures = %d (report %d, callbacks %d), want %d", tr.Failures, rep.Failures, len(failures), wantFailures)
			}
			if (len(tr.Errors) > 0) != tt.wantError {
				t.Errorf("error samples = %v, want some: %v", tr.Errors, tt.wantError)
			}
			if rep.StopReason != StopDuration {
				t.Errorf("stop reason = %q, want %q", rep.StopReason, StopDuration)
			}
			checkTimelineSums(t, tr)
		})
	}
}

// equalCounts compares class counts, ignoring zero entries.
func equalCounts(got, want map[Class]int64) bool {
	for c, n := range got {
		if want[c] != n {
			return false
		}
	}
	for c, n := range want {
		if got[c] != n {
			return false
		}
	}
	return true
}

// TestRunStaysOpenLoop checks that a slow server does not slow the load
// down: at 40 req/s for 2 s against a server that takes 500 ms per request,
// all 80 requests are sent. A closed loop (a request waits for the previous
// one) would send 4 per worker in 2 s; vegeta's attack ends 1 s after the
// duration, so a rate that could not be held would show as fewer requests.
func TestRunStaysOpenLoop(t *testing.T) {
	t.Parallel()
	srv := countingServer(t, every(1, sleep(500*time.Millisecond)))
	rep := mustRun(t, Config{
		Targets:  []Target{{Name: "slow", URL: srv.URL}},
		Rate:     40,
		Duration: 2 * time.Second,
	})
	tr := rep.Targets[0]
	if tr.Requests != 80 || tr.Classes[ClassOK] != 80 {
		t.Fatalf("requests = %d, classes %v; want 80 ok", tr.Requests, tr.Classes)
	}
	if tr.Latency.P50 < 500 {
		t.Errorf("p50 latency = %.1fms, want >= 500ms (the server sleeps)", tr.Latency.P50)
	}
}

// TestRunVersionCutOver switches the version header mid-run.
func TestRunVersionCutOver(t *testing.T) {
	t.Parallel()
	srv := countingServer(t, func(n int64, w http.ResponseWriter, _ *http.Request) {
		v := "v1"
		if n > 20 {
			v = "v2"
		}
		w.Header().Set("X-App-Version", v)
		w.WriteHeader(http.StatusOK)
	})
	rep := mustRun(t, Config{
		Targets:  []Target{{Name: "app", URL: srv.URL}},
		Rate:     20,
		Duration: 2 * time.Second,
	})
	tr := rep.Targets[0]
	if len(tr.Versions) != 2 {
		t.Fatalf("versions = %+v, want v1 and v2", tr.Versions)
	}
	v1, v2 := tr.Versions[0], tr.Versions[1]
	if v1.Name != "v1" || v1.Count != 20 || v2.Name != "v2" || v2.Count != 20 {
		t.Errorf("versions = %+v, want v1×20 then v2×20", tr.Versions)
	}
	c := tr.CutOver
	if c == nil || c.From != "v1" || c.To != "v2" {
		t.Fatalf("cut-over = %+v, want v1 -> v2", c)
	}
	if !c.FirstNew.Equal(v2.First) || !c.LastOld.Equal(v1.Last) {
		t.Errorf("cut-over times %v/%v do not match versions %+v", c.FirstNew, c.LastOld, tr.Versions)
	}
	ordered := v1.First.Before(v1.Last) && v1.Last.Before(v2.First) && v2.First.Before(v2.Last) &&
		rep.Started.Before(v1.First) && !v2.Last.After(rep.Ended)
	if !ordered {
		t.Errorf("times not ordered: start %v, v1 %v..%v, v2 %v..%v, end %v",
			rep.Started, v1.First, v1.Last, v2.First, v2.Last, rep.Ended)
	}
	if c.OverlapSeconds >= 0 {
		t.Errorf("overlap = %v, want negative (sequential answers)", c.OverlapSeconds)
	}
	var perSecond int64
	for _, s := range tr.Timeline {
		perSecond += s.Versions["v1"] + s.Versions["v2"]
	}
	if perSecond != 40 {
		t.Errorf("timeline versions sum to %d, want 40", perSecond)
	}
}

// TestRunHostAndVersionHeader checks the Host override and a custom version
// header name.
func TestRunHostAndVersionHeader(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	hosts := map[string]int{}
	srv := countingServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hosts[r.Host]++
		mu.Unlock()
		w.Header().Set("X-Build", "b7")
		w.Header().Set("X-App-Version", "ignored")
	})
	rep := mustRun(t, Config{
		Targets:       []Target{{Name: "app", URL: srv.URL}},
		Host:          "app.example",
		VersionHeader: "X-Build",
		Rate:          10,
		Duration:      time.Second,
	})
	mu.Lock()
	defer mu.Unlock()
	if len(hosts) != 1 || hosts["app.example"] != 10 {
		t.Errorf("hosts seen by server = %v, want app.example×10", hosts)
	}
	vs := rep.Targets[0].Versions
	if len(vs) != 1 || vs[0].Name != "b7" || vs[0].Count != 10 {
		t.Errorf("versions = %+v, want b7×10", vs)
	}
}

// TestRunSeveralTargets loads two targets at the rate each.
func TestRunSeveralTargets(t *testing.T) {
	t.Parallel()
	ok := countingServer(t, every(1000, status(500)))
	bad := countingServer(t, every(2, status(502)))
	rep := mustRun(t, Config{
		Targets:  []Target{{Name: "external", URL: bad.URL}, {Name: "internal", URL: ok.URL}},
		Rate:     20,
		Duration: time.Second,
	})
	if len(rep.Targets) != 2 || rep.Targets[0].Name != "external" || rep.Targets[1].Name != "internal" {
		t.Fatalf("targets = %+v", rep.Targets)
	}
	ext, in := rep.Targets[0], rep.Targets[1]
	if ext.Requests != 20 || ext.Classes["502"] != 10 || in.Requests != 20 || in.Failures != 0 {
		t.Errorf("external %d req %v; internal %d req %v", ext.Requests, ext.Classes, in.Requests, in.Classes)
	}
	if rep.Requests != 40 || rep.Failures != 10 {
		t.Errorf("totals = %d requests %d failures, want 40, 10", rep.Requests, rep.Failures)
	}
}

// TestRunStopConditions ends unbounded runs in each supported way. Requests
// in flight when the run stops complete normally (the server takes 100 ms).
func TestRunStopConditions(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(t *testing.T, cfg *Config) context.Context
		reason string
	}{
		{
			name: "context cancelled",
			setup: func(t *testing.T, _ *Config) context.Context {
				ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
				t.Cleanup(cancel)
				return ctx
			},
			reason: StopCancelled,
		},
		{
			name: "stop file appears",
			setup: func(t *testing.T, cfg *Config) context.Context {
				cfg.StopFile = filepath.Join(t.TempDir(), "stop")
				go func() {
					time.Sleep(500 * time.Millisecond)
					_ = os.WriteFile(cfg.StopFile, nil, 0o600)
				}()
				return context.Background()
			},
			reason: StopFile,
		},
		{
			name: "stop-when callback",
			setup: func(_ *testing.T, cfg *Config) context.Context {
				cfg.ProgressInterval = 50 * time.Millisecond
				cfg.StopWhen = func(p Progress) bool { return p.Requests >= 5 }
				return context.Background()
			},
			reason: StopWhen,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := countingServer(t, every(1, sleep(100*time.Millisecond)))
			cfg := Config{Targets: []Target{{Name: "app", URL: srv.URL}}, Rate: 50}
			ctx := tt.setup(t, &cfg)
			rep, err := Run(ctx, cfg)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			tr := rep.Targets[0]
			if rep.StopReason != tt.reason || tr.Requests < 5 || tr.Failures != 0 || tr.Planned != 0 {
				t.Errorf("stop %q, %d requests, %d failures (%v), planned %d; want stop %q, >= 5 requests, no failures",
					rep.StopReason, tr.Requests, tr.Failures, tr.Classes, tr.Planned, tt.reason)
			}
		})
	}
}

// TestRunProgress checks that OnProgress sees the counts growing.
func TestRunProgress(t *testing.T) {
	t.Parallel()
	srv := countingServer(t, every(2, status(503)))
	var mu sync.Mutex
	var seen []Progress
	rep := mustRun(t, Config{
		Targets:          []Target{{Name: "app", URL: srv.URL}},
		Rate:             20,
		Duration:         time.Second,
		ProgressInterval: 100 * time.Millisecond,
		OnProgress: func(p Progress) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, p)
		},
	})
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 3 {
		t.Fatalf("%d progress calls, want several", len(seen))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i].Requests < seen[i-1].Requests || seen[i].Failures < seen[i-1].Failures {
			t.Errorf("progress went backwards: %+v then %+v", seen[i-1], seen[i])
		}
	}
	last := seen[len(seen)-1]
	if last.Requests > rep.Requests || last.Failures > rep.Failures || len(last.Targets) != 1 || last.Targets[0].Name != "app" {
		t.Errorf("last progress %+v inconsistent with report (%d req, %d failed)", last, rep.Requests, rep.Failures)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	existing := filepath.Join(t.TempDir(), "stop")
	if err := os.WriteFile(existing, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	good := Target{Name: "a", URL: "http://127.0.0.1:1/"}
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no targets", Config{}},
		{"empty name", Config{Targets: []Target{{URL: "http://x/"}}}},
		{"bad scheme", Config{Targets: []Target{{Name: "a", URL: "ftp://x/"}}}},
		{"no host", Config{Targets: []Target{{Name: "a", URL: "http:///path"}}}},
		{"unparsable", Config{Targets: []Target{{Name: "a", URL: "http://[::1"}}}},
		{"duplicate names", Config{Targets: []Target{good, good}}},
		{"negative rate", Config{Targets: []Target{good}, Rate: -1}},
		{"negative timeout", Config{Targets: []Target{good}, Timeout: -time.Second}},
		{"negative duration", Config{Targets: []Target{good}, Duration: -time.Second}},
		{"stop file exists", Config{Targets: []Target{good}, StopFile: existing}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Run(context.Background(), tt.cfg)
			if err == nil || rep != nil {
				t.Errorf("Run = %v, %v; want an error", rep, err)
			}
		})
	}
}

func TestPlanned(t *testing.T) {
	tests := []struct {
		rate     int
		duration time.Duration
		want     uint64
	}{
		{50, time.Second, 50},
		{40, 2 * time.Second, 80},
		{3, 1500 * time.Millisecond, 4},
		{10, 300 * time.Millisecond, 3},
		{1000, 24 * time.Hour, 86_400_000},
		{20, 0, 0},
	}
	for _, tt := range tests {
		cfg := Config{Rate: tt.rate, Duration: tt.duration}
		if got := cfg.planned(); got != tt.want {
			t.Errorf("planned(%d/s, %s) = %d, want %d", tt.rate, tt.duration, got, tt.want)
		}
	}
}

// TestRunExactCountForFractionalProduct: 10 req/s for 1.25 s is 12 requests
// (scheduled at 0.1 s .. 1.2 s). vegeta's duration check alone would send a
// 13th, scheduled at 1.3 s.
func TestRunExactCountForFractionalProduct(t *testing.T) {
	t.Parallel()
	srv := countingServer(t, every(1000, status(500)))
	rep := mustRun(t, Config{Targets: []Target{{Name: "app", URL: srv.URL}}, Rate: 10, Duration: 1250 * time.Millisecond})
	if tr := rep.Targets[0]; tr.Requests != 12 || tr.Planned != 12 {
		t.Errorf("requests = %d, planned %d; want 12", tr.Requests, tr.Planned)
	}
}

// TestRunSendsNothingAfterStop: once stopped, the targeter refuses to yield
// a target (vegeta may still hand a tick to a worker after Attacker.Stop) and
// the pacer ends the attack loop.
func TestRunSendsNothingAfterStop(t *testing.T) {
	r, err := newRun(Config{Targets: []Target{{Name: "app", URL: "http://127.0.0.1:1/"}}, Rate: 1}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	next := r.targeter(r.targets[0])
	pacer := r.pacer()
	var tgt vegeta.Target
	if err := next(&tgt); err != nil || tgt.URL != "http://127.0.0.1:1/" {
		t.Fatalf("before stop: %v, %+v", err, tgt)
	}
	if _, stop := pacer.Pace(0, 0); stop {
		t.Fatal("pacer stopped before the run was")
	}
	r.stop(StopCancelled)
	if err := next(&tgt); !errors.Is(err, errStopped) {
		t.Errorf("after stop: targeter returned %v, want errStopped", err)
	}
	if _, stop := pacer.Pace(0, 0); !stop {
		t.Error("pacer still running after stop")
	}
}
