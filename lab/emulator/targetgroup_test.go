package emulator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/zdt-eks/zdt/internal/lbc"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeChecker answers health checks from a table (default healthy) and
// records when each target was checked.
type fakeChecker struct {
	mu      sync.Mutex
	clock   *clocktesting.FakeClock
	failing map[string]CheckResult
	checks  map[string][]time.Time
}

func newFakeChecker(clk *clocktesting.FakeClock) *fakeChecker {
	return &fakeChecker{clock: clk, failing: map[string]CheckResult{}, checks: map[string][]time.Time{}}
}

func (f *fakeChecker) fail(id string, r CheckResult) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing[id] = r
}

func (f *fakeChecker) heal(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.failing, id)
}

func (f *fakeChecker) count(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.checks[id])
}

func (f *fakeChecker) check(_ context.Context, t TargetSpec, _ HealthCheckConfig) CheckResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checks[t.ID()] = append(f.checks[t.ID()], f.clock.Now())
	if r, ok := f.failing[t.ID()]; ok {
		return r
	}
	return CheckResult{Healthy: true}
}

var timeoutResult = CheckResult{Reason: ReasonTimeout, Description: "Request timed out"}

type groupFixture struct {
	clock  *clocktesting.FakeClock
	check  *fakeChecker
	tg     *TargetGroup
	mu     sync.Mutex
	events []TargetEvent
}

func testConfig() TargetGroupConfig {
	codes, _ := ParseSuccessCodes("200")
	return TargetGroupConfig{
		TargetType: TargetTypeIP,
		HealthCheck: HealthCheckConfig{
			Path: "/readyz", Port: lbc.TrafficPort, Protocol: "HTTP",
			Interval: 10 * time.Second, Timeout: 5 * time.Second,
			HealthyThreshold: 3, UnhealthyThreshold: 2, SuccessCodes: codes,
		},
		DeregistrationDelay: 30 * time.Second,
	}
}

// testSettings are deterministic: one ALB node, a fixed 10 s propagation,
// checks starting right at registration, the healthy threshold applying to
// new targets (tests of the defaults set them back).
func testSettings() Settings {
	s := DefaultSettings()
	s.RegistrationDelay = 0
	s.DeregistrationPropagation = FixedPropagation(10 * time.Second)
	s.ALBNodes = 1
	s.CheckPhaseJitter = false
	s.InitialHealthyAfterOneCheck = false
	s.Seed = 1
	return s
}

func newGroupFixture(s Settings, cfg TargetGroupConfig) *groupFixture {
	f := &groupFixture{clock: clocktesting.NewFakeClock(t0)}
	f.check = newFakeChecker(f.clock)
	f.tg = NewTargetGroup("k8s-app-app-0123456789", cfg, s, f.clock, func(e TargetEvent) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.events = append(f.events, e)
	})
	return f
}

// step advances the clock by d and lets the group act.
func (f *groupFixture) step(d time.Duration) {
	f.clock.Step(d)
	f.tg.Sync(context.Background(), f.check.check)
}

func (f *groupFixture) state(t *testing.T, id string) TargetStatus {
	t.Helper()
	st, ok := f.tg.Target(id)
	if !ok {
		t.Fatalf("target %s not in group", id)
	}
	return st
}

// makeHealthy registers spec and steps until it is healthy.
func (f *groupFixture) makeHealthy(t *testing.T, spec TargetSpec) {
	t.Helper()
	f.tg.Register(spec)
	f.tg.Sync(context.Background(), f.check.check)
	for range 100 {
		if f.state(t, spec.ID()).State == StateHealthy {
			return
		}
		f.step(time.Second)
	}
	t.Fatalf("target %s never became healthy", spec.ID())
}

func spec(ip string) TargetSpec {
	return TargetSpec{IP: ip, Port: 8080, Pod: types.NamespacedName{Namespace: "app", Name: "pod-" + ip}}
}

func TestRegistrationDelayHoldsHealthChecks(t *testing.T) {
	s := testSettings()
	s.RegistrationDelay = 3 * time.Second
	f := newGroupFixture(s, testConfig())
	a := spec("10.0.0.1")
	f.tg.Register(a)
	f.tg.Sync(context.Background(), f.check.check)

	st := f.state(t, a.ID())
	if st.State != StateInitial || st.Reason != ReasonRegistrationInProgress || st.Description != DescRegistrationInProgress {
		t.Fatalf("right after Register: got %s/%s/%q, want initial/%s", st.State, st.Reason, st.Description, ReasonRegistrationInProgress)
	}
	f.step(3*time.Second - time.Millisecond)
	if n := f.check.count(a.ID()); n != 0 {
		t.Fatalf("checks before the registration delay: got %d, want 0", n)
	}
	if st := f.state(t, a.ID()); st.Reason != ReasonRegistrationInProgress {
		t.Fatalf("reason before the registration delay: got %s", st.Reason)
	}
	f.step(time.Millisecond)
	if n := f.check.count(a.ID()); n != 1 {
		t.Fatalf("checks at the registration delay: got %d, want 1", n)
	}
	if st := f.state(t, a.ID()); st.State != StateInitial || st.Reason != ReasonInitialHealthChecking {
		t.Fatalf("at the registration delay: got %s/%s, want initial/%s", st.State, st.Reason, ReasonInitialHealthChecking)
	}
}

func TestInitialBecomesHealthyAfterExactlyHealthyThresholdPasses(t *testing.T) {
	for _, tc := range []struct {
		name      string
		threshold int
		interval  time.Duration
		oneCheck  bool
		wantAfter time.Duration
		wantCheck int
	}{
		{name: "H=2 I=15s (LBC defaults)", threshold: 2, interval: 15 * time.Second, wantAfter: 15 * time.Second, wantCheck: 2},
		{name: "H=3 I=10s", threshold: 3, interval: 10 * time.Second, wantAfter: 20 * time.Second, wantCheck: 3},
		{name: "H=5 I=5s", threshold: 5, interval: 5 * time.Second, wantAfter: 20 * time.Second, wantCheck: 5},
		{name: "one check is enough", threshold: 3, interval: 10 * time.Second, oneCheck: true, wantAfter: 0, wantCheck: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSettings()
			s.InitialHealthyAfterOneCheck = tc.oneCheck
			cfg := testConfig()
			cfg.HealthCheck.HealthyThreshold, cfg.HealthCheck.Interval = tc.threshold, tc.interval
			f := newGroupFixture(s, cfg)
			a := spec("10.0.0.1")
			f.tg.Register(a)
			f.tg.Sync(context.Background(), f.check.check)
			var healthyAt time.Duration = -1
			for elapsed := time.Duration(0); elapsed <= time.Minute; elapsed += 500 * time.Millisecond {
				if elapsed > 0 {
					f.step(500 * time.Millisecond)
				}
				st := f.state(t, a.ID())
				if st.State == StateHealthy {
					healthyAt = elapsed
					break
				}
				if st.ReceivesNewRequests {
					t.Fatalf("at %s: an initial target receives new requests", elapsed)
				}
			}
			if healthyAt != tc.wantAfter {
				t.Fatalf("healthy after %s, want %s", healthyAt, tc.wantAfter)
			}
			if n := f.check.count(a.ID()); n != tc.wantCheck {
				t.Fatalf("checks until healthy: got %d, want %d", n, tc.wantCheck)
			}
			if st := f.state(t, a.ID()); !st.ReceivesNewRequests || st.Since != t0.Add(tc.wantAfter) {
				t.Fatalf("healthy target: receives=%v since=%s", st.ReceivesNewRequests, st.Since)
			}
		})
	}
}

func TestHealthChecksRunEveryInterval(t *testing.T) {
	f := newGroupFixture(testSettings(), testConfig())
	a := spec("10.0.0.1")
	f.tg.Register(a)
	for range 35 {
		f.step(time.Second)
	}
	// Registered at t0 (first check due then, run at the first Sync, +1s);
	// the schedule stays anchored at t0: +10s, +20s, +30s.
	got := f.check.checks[a.ID()]
	want := []time.Duration{time.Second, 10 * time.Second, 20 * time.Second, 30 * time.Second}
	if len(got) != len(want) {
		t.Fatalf("check times: got %v, want offsets %v", got, want)
	}
	for i := range want {
		if got[i] != t0.Add(want[i]) {
			t.Errorf("check %d at %s, want %s", i, got[i].Sub(t0), want[i])
		}
	}
}

func TestHealthyBecomesUnhealthyAfterUnhealthyThresholdFailures(t *testing.T) {
	for _, threshold := range []int{2, 3, 10} {
		t.Run(fmt.Sprintf("U=%d", threshold), func(t *testing.T) {
			cfg := testConfig()
			cfg.HealthCheck.UnhealthyThreshold = threshold
			f := newGroupFixture(testSettings(), cfg)
			a := spec("10.0.0.1")
			f.makeHealthy(t, a)
			f.check.fail(a.ID(), timeoutResult)
			for i := 1; i < threshold; i++ {
				f.step(cfg.HealthCheck.Interval)
				if st := f.state(t, a.ID()); st.State != StateHealthy {
					t.Fatalf("after %d failures: %s, want still healthy", i, st.State)
				}
			}
			f.step(cfg.HealthCheck.Interval)
			st := f.state(t, a.ID())
			if st.State != StateUnhealthy || st.Reason != ReasonTimeout {
				t.Fatalf("after %d failures: %s/%s, want unhealthy/%s", threshold, st.State, st.Reason, ReasonTimeout)
			}
			// Back to healthy after the healthy threshold of passes.
			f.check.heal(a.ID())
			for i := 1; i < cfg.HealthCheck.HealthyThreshold; i++ {
				f.step(cfg.HealthCheck.Interval)
				if st := f.state(t, a.ID()); st.State != StateUnhealthy {
					t.Fatalf("after %d passes: %s, want still unhealthy", i, st.State)
				}
			}
			f.step(cfg.HealthCheck.Interval)
			if st := f.state(t, a.ID()); st.State != StateHealthy {
				t.Fatalf("after %d passes: %s, want healthy", cfg.HealthCheck.HealthyThreshold, st.State)
			}
		})
	}
}

func TestInitialTargetFailingChecksBecomesUnhealthy(t *testing.T) {
	f := newGroupFixture(testSettings(), testConfig())
	a := spec("10.0.0.1")
	mismatch := CheckResult{Reason: ReasonResponseCodeMismatch, Description: "Health checks failed with these codes: [503]"}
	f.check.fail(a.ID(), mismatch)
	f.tg.Register(a)
	f.tg.Sync(context.Background(), f.check.check) // failure 1 at t0
	if st := f.state(t, a.ID()); st.State != StateInitial {
		t.Fatalf("after one failure: %s, want initial", st.State)
	}
	f.step(10 * time.Second) // failure 2
	st := f.state(t, a.ID())
	if st.State != StateUnhealthy || st.Reason != mismatch.Reason || st.Description != mismatch.Description {
		t.Fatalf("after two failures: %+v, want unhealthy with %+v", st, mismatch)
	}
}

// pickCounts picks n times and counts the targets chosen (releasing leases).
func pickCounts(t *testing.T, tg *TargetGroup, n int) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for range n {
		lease, status := tg.Pick()
		if lease == nil {
			counts[http.StatusText(status)]++
			continue
		}
		counts[lease.Target.ID()]++
		lease.Done()
	}
	return counts
}

func TestDeregistrationPropagationDrainingAndRemoval(t *testing.T) {
	s := testSettings()
	cfg := testConfig()
	cfg.DeregistrationDelay = 30 * time.Second
	f := newGroupFixture(s, cfg)
	a, b := spec("10.0.0.1"), spec("10.0.0.2")
	f.makeHealthy(t, a)
	f.makeHealthy(t, b)

	inFlight, _ := f.tg.Pick() // round robin: a
	if inFlight.Target.ID() != a.ID() {
		t.Fatalf("first pick %s, want %s", inFlight.Target.ID(), a.ID())
	}
	deregisteredAt := f.clock.Now()
	f.tg.Deregister(a.ID())

	// The ELB API shows draining at once; the node keeps routing to it
	// until the propagation delay.
	if st := f.state(t, a.ID()); !st.Deregistering || st.State != StateDraining || !st.ReceivesNewRequests {
		t.Fatalf("right after deregistering: %+v, want draining, still routed", st)
	}
	f.step(10*time.Second - time.Millisecond)
	if got := pickCounts(t, f.tg, 4); got[a.ID()] != 2 || got[b.ID()] != 2 {
		t.Fatalf("picks before propagation: %v, want 2 each", got)
	}
	// From the propagation delay on: no new requests.
	f.step(time.Millisecond)
	if st := f.state(t, a.ID()); st.ReceivesNewRequests || st.RoutingNodes != 0 {
		t.Fatalf("at propagation: %+v, want no new requests", st)
	}
	if ok, why := f.tg.Settled(); ok || !strings.Contains(why, "in flight") {
		t.Fatalf("Settled with a request in flight = %v %q", ok, why)
	}
	if got := pickCounts(t, f.tg, 4); got[a.ID()] != 0 || got[b.ID()] != 4 {
		t.Fatalf("picks after propagation: %v, want all on %s", got, b.ID())
	}
	// The delay counts from the deregister call: the in-flight request
	// survives until +30 s, and is cut then.
	f.step(20*time.Second - time.Millisecond)
	if err := inFlight.Context.Err(); err != nil {
		t.Fatalf("in-flight request cancelled while draining: %v", err)
	}
	f.step(time.Millisecond)
	if cause := context.Cause(inFlight.Context); !errors.Is(cause, ErrTargetDeregistered) {
		t.Fatalf("in-flight cause at +%s: %v, want ErrTargetDeregistered", f.clock.Now().Sub(deregisteredAt), cause)
	}
	inFlight.Done()
	if _, ok := f.tg.Target(a.ID()); ok {
		t.Fatalf("target still present %s after deregistration", f.clock.Now().Sub(deregisteredAt))
	}
	last := f.events[len(f.events)-1]
	if last.Target.ID() != a.ID() || last.From != StateDraining || last.To != StateRemoved || !last.At.Equal(deregisteredAt.Add(30*time.Second)) {
		t.Fatalf("last event %+v, want %s draining->unused at +30s", last, a.ID())
	}
	if ok, why := f.tg.Settled(); !ok {
		t.Fatalf("not settled after removal: %s", why)
	}
}

// TestPropagationLongerThanDeregistrationDelay: an ALB node that has not
// learned of the deregistration keeps sending new requests to the target
// after the deregistration delay ended (LBC #3270); the requests in flight at
// the delay's end are cut, the later ones are not.
func TestPropagationLongerThanDeregistrationDelay(t *testing.T) {
	s := testSettings()
	s.DeregistrationPropagation = FixedPropagation(20 * time.Second)
	cfg := testConfig()
	cfg.DeregistrationDelay = 5 * time.Second
	f := newGroupFixture(s, cfg)
	a := spec("10.0.0.1")
	f.makeHealthy(t, a)
	early, _ := f.tg.Pick()
	f.tg.Deregister(a.ID())
	f.step(5 * time.Second)
	if !errors.Is(context.Cause(early.Context), ErrTargetDeregistered) {
		t.Fatal("request in flight at the delay's end was not cut")
	}
	early.Done()
	late, status := f.tg.Pick()
	if late == nil {
		t.Fatalf("no pick after the delay's end, status %d: the node has not learned of the deregistration", status)
	}
	if ok, _ := f.tg.Settled(); ok {
		t.Fatal("settled while a node still routes to the deregistered target")
	}
	f.step(15 * time.Second)
	if late.Context.Err() != nil {
		t.Fatal("a request routed after the delay's end was cut")
	}
	late.Done()
	if _, status := f.tg.Pick(); status != http.StatusServiceUnavailable {
		t.Fatalf("after the last node learned: status %d, want 503", status)
	}
}

// TestNodesStopRoutingOnTheirOwn: with three nodes, each drawing its own
// propagation delay, routing to a deregistered target stops gradually.
func TestNodesStopRoutingOnTheirOwn(t *testing.T) {
	s := testSettings()
	s.ALBNodes = 3
	s.DeregistrationPropagation = Propagation{Min: 2 * time.Second, Mode: 10 * time.Second, Max: 30 * time.Second}
	f := newGroupFixture(s, testConfig())
	a, b := spec("10.0.0.1"), spec("10.0.0.2")
	f.makeHealthy(t, a)
	f.makeHealthy(t, b)
	deregAt := f.clock.Now()
	f.tg.Deregister(a.ID())
	seen := map[int]bool{}
	for range 300 {
		st := f.state(t, a.ID())
		seen[st.RoutingNodes] = true
		if st.RoutingNodes == 0 {
			break
		}
		f.step(100 * time.Millisecond)
	}
	if !seen[3] || !seen[0] || !(seen[1] || seen[2]) {
		t.Fatalf("routing nodes seen %v: want 3, then fewer, then 0", seen)
	}
	if d := f.clock.Now().Sub(deregAt); d > 30*time.Second+100*time.Millisecond {
		t.Fatalf("routing stopped only after %s, past the distribution's max", d)
	}
}

// TestCheckPhaseJitter: the first check of a new target starts at a random
// point within one interval after the registration delay.
func TestCheckPhaseJitter(t *testing.T) {
	s := testSettings()
	s.CheckPhaseJitter = true
	s.RegistrationDelay = 3 * time.Second
	cfg := testConfig() // interval 10 s
	starts := map[time.Duration]bool{}
	for i := range 20 {
		s.Seed = uint64(i + 1)
		f := newGroupFixture(s, cfg)
		a := spec("10.0.0.1")
		f.tg.Register(a)
		for f.check.count(a.ID()) == 0 {
			f.step(100 * time.Millisecond)
		}
		d := f.clock.Now().Sub(t0)
		if d < 3*time.Second || d > 13*time.Second+100*time.Millisecond {
			t.Fatalf("seed %d: first check at +%s, want within [3s, 13s]", i+1, d)
		}
		starts[d.Truncate(time.Second)] = true
	}
	if len(starts) < 4 {
		t.Fatalf("first checks all at %v: the phase is not random", starts)
	}
}

func TestReRegistrationWhileDrainingStartsOver(t *testing.T) {
	f := newGroupFixture(testSettings(), testConfig())
	a := spec("10.0.0.1")
	f.makeHealthy(t, a)
	f.tg.Deregister(a.ID())
	f.step(10 * time.Second)
	if st := f.state(t, a.ID()); st.State != StateDraining {
		t.Fatalf("got %s, want draining", st.State)
	}
	f.tg.Register(a)
	st := f.state(t, a.ID())
	if st.State != StateInitial || st.Reason != ReasonRegistrationInProgress || st.Deregistering {
		t.Fatalf("after re-registration: %+v, want initial registration", st)
	}
	f.step(40 * time.Second)
	if _, ok := f.tg.Target(a.ID()); !ok {
		t.Fatal("a re-registered target was removed at the old deregistration delay end")
	}
}

func TestSetTargetsRegistersAndDeregisters(t *testing.T) {
	f := newGroupFixture(testSettings(), testConfig())
	a, b, c := spec("10.0.0.1"), spec("10.0.0.2"), spec("10.0.0.3")
	f.tg.SetTargets([]TargetSpec{a, b})
	f.tg.SetTargets([]TargetSpec{b, c})
	got := map[string]bool{}
	for _, st := range f.tg.Targets() {
		got[st.ID] = st.Deregistering
	}
	want := map[string]bool{a.ID(): true, b.ID(): false, c.ID(): false}
	if len(got) != len(want) {
		t.Fatalf("targets %v, want %v", got, want)
	}
	for id, dereg := range want {
		if got[id] != dereg {
			t.Errorf("target %s deregistering=%v, want %v", id, got[id], dereg)
		}
	}
}

func TestPickWhenNoTargetIsUsable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(f *groupFixture)
		status int
	}{
		{name: "empty group", setup: func(*groupFixture) {}, status: http.StatusServiceUnavailable},
		{name: "only initial targets", setup: func(f *groupFixture) {
			f.check.fail("10.0.0.1:8080", timeoutResult)
			f.tg.Register(spec("10.0.0.1"))
			f.tg.Sync(context.Background(), f.check.check)
		}, status: http.StatusBadGateway},
		{name: "only draining targets", setup: func(f *groupFixture) {
			f.tg.Register(spec("10.0.0.1"))
			f.tg.Deregister("10.0.0.1:8080")
			f.step(10 * time.Second)
		}, status: http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newGroupFixture(testSettings(), testConfig())
			tc.setup(f)
			lease, status := f.tg.Pick()
			if lease != nil || status != tc.status {
				t.Fatalf("Pick: lease=%v status=%d, want none and %d", lease, status, tc.status)
			}
		})
	}
}

func TestNoUsableTargetStatusSetting(t *testing.T) {
	s := testSettings()
	s.NoUsableTargetStatus = http.StatusServiceUnavailable
	f := newGroupFixture(s, testConfig())
	f.tg.Register(spec("10.0.0.1"))
	if _, status := f.tg.Pick(); status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want the configured 503", status)
	}
}

// failOpenFixture has one unhealthy target (a), one initial target (b) and,
// optionally, one healthy target (c).
func failOpenFixture(t *testing.T, s Settings, withHealthy bool) (*groupFixture, TargetSpec, TargetSpec, TargetSpec) {
	t.Helper()
	f := newGroupFixture(s, testConfig())
	a, b, c := spec("10.0.0.1"), spec("10.0.0.2"), spec("10.0.0.3")
	f.makeHealthy(t, a)
	if withHealthy {
		f.makeHealthy(t, c)
	}
	f.check.fail(a.ID(), timeoutResult)
	for f.state(t, a.ID()).State != StateUnhealthy {
		f.step(time.Second)
	}
	f.check.fail(b.ID(), timeoutResult)
	f.tg.Register(b)
	f.tg.Sync(context.Background(), f.check.check)
	if st := f.state(t, b.ID()); st.State != StateInitial {
		t.Fatalf("fixture: b is %s, want initial", st.State)
	}
	return f, a, b, c
}

func TestFailOpen(t *testing.T) {
	for _, tc := range []struct {
		name        string
		withHealthy bool
		initialIn   bool
		want        map[string]int
	}{
		{name: "a healthy target takes everything", withHealthy: true, want: map[string]int{"10.0.0.3:8080": 6}},
		{name: "all unhealthy: fail-open, initial excluded", want: map[string]int{"10.0.0.1:8080": 6}},
		{name: "all unhealthy: fail-open, initial included", initialIn: true, want: map[string]int{"10.0.0.1:8080": 3, "10.0.0.2:8080": 3}},
		{name: "initial setting does not matter with a healthy target", withHealthy: true, initialIn: true, want: map[string]int{"10.0.0.3:8080": 6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSettings()
			s.InitialTargetsInFailOpen = tc.initialIn
			f, _, _, _ := failOpenFixture(t, s, tc.withHealthy)
			got := pickCounts(t, f.tg, 6)
			if len(got) != len(tc.want) {
				t.Fatalf("picks %v, want %v", got, tc.want)
			}
			for id, n := range tc.want {
				if got[id] != n {
					t.Fatalf("picks %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestLateResultIsDropped(t *testing.T) {
	f := newGroupFixture(testSettings(), testConfig())
	a := spec("10.0.0.1")
	f.tg.Register(a)
	probes := f.tg.Advance()
	if len(probes) != 1 {
		t.Fatalf("probes %d, want 1", len(probes))
	}
	f.tg.Register(a) // no-op: still registered
	f.tg.Deregister(a.ID())
	f.tg.Register(a) // re-registration: counters start over
	f.tg.RecordResult(probes[0], CheckResult{Healthy: true})
	f.tg.RecordResult(probes[0], CheckResult{Healthy: true})
	cfg := testConfig()
	cfg.HealthCheck.HealthyThreshold = 2
	f.tg.SetConfig(cfg)
	if st := f.state(t, a.ID()); st.State != StateInitial {
		t.Fatalf("stale results counted: %s", st.State)
	}
}

func TestAdvanceDoesNotOverlapChecks(t *testing.T) {
	f := newGroupFixture(testSettings(), testConfig())
	a := spec("10.0.0.1")
	f.tg.Register(a)
	if n := len(f.tg.Advance()); n != 1 {
		t.Fatalf("first Advance: %d probes, want 1", n)
	}
	f.clock.Step(25 * time.Second)
	if n := len(f.tg.Advance()); n != 0 {
		t.Fatalf("Advance with a check in flight: %d probes, want 0", n)
	}
}
