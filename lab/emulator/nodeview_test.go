package emulator

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestAggregate(t *testing.T) {
	initial := nodeView{state: StateInitial, reason: ReasonRegistrationInProgress}
	checking := nodeView{state: StateInitial, reason: ReasonInitialHealthChecking}
	healthy := nodeView{state: StateHealthy}
	unhealthy := nodeView{state: StateUnhealthy, reason: ReasonTimeout, description: "Request timed out"}
	for _, tc := range []struct {
		name       string
		views      []nodeView
		how        HealthAggregation
		want       State
		wantReason string
	}{
		{"one view registering", []nodeView{initial}, AggregateAny, StateInitial, ReasonRegistrationInProgress},
		{"one node checking", []nodeView{initial, checking, initial}, AggregateAny, StateInitial, ReasonInitialHealthChecking},
		{"any: one node healthy is enough", []nodeView{checking, healthy, initial}, AggregateAny, StateHealthy, ""},
		{"all: one node healthy is not", []nodeView{checking, healthy, initial}, AggregateAll, StateInitial, ReasonInitialHealthChecking},
		{"all: every node healthy", []nodeView{healthy, healthy, healthy}, AggregateAll, StateHealthy, ""},
		{"any: healthy wins over unhealthy", []nodeView{unhealthy, healthy}, AggregateAny, StateHealthy, ""},
		{"all: unhealthy node reported", []nodeView{unhealthy, healthy}, AggregateAll, StateUnhealthy, ReasonTimeout},
		{"no node healthy, one unhealthy", []nodeView{checking, unhealthy}, AggregateAny, StateUnhealthy, ReasonTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, reason, _ := aggregate(tc.views, tc.how)
			if got != tc.want || reason != tc.wantReason {
				t.Fatalf("aggregate = %s/%q, want %s/%q", got, reason, tc.want, tc.wantReason)
			}
		})
	}
}

// TestEachNodeChecksOnItsOwnSchedule: with per-node checks every node checks
// every target once an interval, each at its own phase.
func TestEachNodeChecksOnItsOwnSchedule(t *testing.T) {
	for _, tc := range []struct {
		name          string
		perNode       bool
		wantPerWindow int
	}{
		{"per-node checks", true, 3},
		{"one shared view", false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSettings()
			s.ALBNodes, s.PerNodeHealthChecks, s.CheckPhaseJitter = 3, tc.perNode, true
			f := newGroupFixture(s, testConfig()) // interval 10 s
			a := spec("10.0.0.1")
			f.tg.Register(a)
			f.step(10 * time.Second) // every node's first check is due by now
			before := f.check.count(a.ID())
			f.step(10 * time.Second)
			if got := f.check.count(a.ID()) - before; got != tc.wantPerWindow {
				t.Fatalf("checks in one interval: %d, want %d", got, tc.wantPerWindow)
			}
		})
	}
}

// TestANodeRoutesOnlyToTargetsItFoundHealthy: the reported state (and so the
// gate) turns healthy on the first node's pass; a node that has not checked
// the new target yet has nothing healthy once the old target has left it,
// and answers 502 until its own first check passes. With one shared view
// no node ever does.
func TestANodeRoutesOnlyToTargetsItFoundHealthy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		perNode  bool
		want502s bool
	}{
		{"per-node checks", true, true},
		{"one shared view", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSettings()
			s.ALBNodes, s.PerNodeHealthChecks, s.CheckPhaseJitter = 3, tc.perNode, true
			s.InitialHealthyAfterOneCheck = true
			s.DeregistrationPropagation = FixedPropagation(0)
			s.Seed = lateNodeSeed(t, s)
			f := newGroupFixture(s, testConfig())
			old, next := spec("10.0.0.1"), spec("10.0.0.2")
			f.makeHealthy(t, old)
			f.tg.Register(next)
			for f.state(t, next.ID()).State != StateHealthy {
				f.step(100 * time.Millisecond)
			}
			f.tg.Deregister(old.ID())
			f.step(100 * time.Millisecond)
			served, got502 := 0, false
			for range 60 {
				if lease, status := f.tg.Pick(); lease != nil {
					served++
					lease.Done()
				} else if status == http.StatusBadGateway {
					got502 = true
				}
			}
			// The node that found the new target healthy serves meanwhile.
			if got502 != tc.want502s || served == 0 {
				t.Fatalf("502 from a node without a healthy target: %v, want %v; served %d of 60 (node states %v)",
					got502, tc.want502s, served, f.state(t, next.ID()).NodeStates)
			}
			f.step(10 * time.Second) // every node has checked the new target
			for range 60 {
				lease, status := f.tg.Pick()
				if lease == nil {
					t.Fatalf("after every node checked: status %d", status)
				}
				lease.Done()
			}
		})
	}
}

// lateNodeSeed finds a seed under which one node's first check of the second
// target registered comes at least 2 s after another's, so the test does not
// depend on the draw.
func lateNodeSeed(t *testing.T, s Settings) uint64 {
	t.Helper()
	for seed := uint64(1); seed < 100; seed++ {
		s.Seed, s.PerNodeHealthChecks = seed, true
		f := newGroupFixture(s, testConfig())
		f.tg.Register(spec("10.0.0.1")) // the first target's draws
		f.tg.mu.Lock()
		views := f.tg.newViews(f.clock.Now())
		f.tg.mu.Unlock()
		starts := make([]time.Time, len(views))
		for i, v := range views {
			starts[i] = v.checksStartAt
		}
		if slices.MaxFunc(starts, time.Time.Compare).Sub(slices.MinFunc(starts, time.Time.Compare)) >= 2*time.Second {
			return seed
		}
	}
	t.Fatal("no seed with a late node in 100")
	return 0
}
