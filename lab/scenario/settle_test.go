package scenario

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zdt-eks/zdt/verify"
)

// fakeALB is a Settler whose routing tail ends at a given time.
type fakeALB struct {
	now       *time.Time
	routedTil time.Time
}

func (f fakeALB) Settled() (bool, string) {
	if f.now.Before(f.routedTil) {
		return false, "10.0.0.1:8080: deregistered, still routed by 1 ALB node(s)"
	}
	return true, ""
}

// TestSettledWaitsForTheRoutingTailAndFailures drives the end-of-measurement
// rule through a rollout whose ALB keeps routing to a deregistered target for
// 20 s, four times the 5 s settle window, and fails a request late in it: the
// measurement must not end before the tail is over and the window has passed
// again after that failure.
func TestSettledWaitsForTheRoutingTailAndFailures(t *testing.T) {
	const settle, timeout = 5 * time.Second, 5 * time.Second
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	now := t0
	alb := fakeALB{now: &now, routedTil: t0.Add(20 * time.Second)}
	progress := func(lastFailure time.Time) verify.Progress {
		return verify.Progress{Targets: []verify.TargetProgress{
			{Name: PathExternal, LastVersion: "v2", VersionSince: t0, LastFailure: lastFailure},
			{Name: PathInternal, LastVersion: "v2", VersionSince: t0},
		}}
	}
	failAt := t0.Add(18 * time.Second) // a request routed to the deregistered target fails

	var endedAt time.Time
	for now = t0; now.Before(t0.Add(time.Minute)); now = now.Add(250 * time.Millisecond) {
		p := progress(time.Time{})
		if !now.Before(failAt) {
			p = progress(failAt)
		}
		if ok, _ := Settled(now, p, 2, "v2", settle, timeout, alb); ok {
			endedAt = now
			break
		}
	}
	if want := failAt.Add(settle + timeout); endedAt.Before(want) {
		t.Fatalf("measurement ended at +%s, before the routing tail (+20s) and the failure's window (+%s) were over",
			endedAt.Sub(t0), want.Sub(t0))
	}

	// Without the ALB check the old rule would have ended at +5 s: the
	// failure at +18 s would have gone uncounted.
	if ok, _ := Settled(t0.Add(settle), progress(time.Time{}), 2, "v2", settle, timeout, nil); !ok {
		t.Fatal("a quiet rollout did not settle after the settle window")
	}
}

func TestSettledReasons(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	now := t0.Add(time.Minute)
	for _, tc := range []struct {
		name string
		p    verify.Progress
		alb  Settler
		want string
	}{
		{"missing path", verify.Progress{Targets: []verify.TargetProgress{{Name: PathExternal, LastVersion: "v2", VersionSince: t0}}}, nil, "every path"},
		{"old version", verify.Progress{Targets: []verify.TargetProgress{
			{Name: PathExternal, LastVersion: "v1", VersionSince: t0}, {Name: PathInternal, LastVersion: "v2", VersionSince: t0}}}, nil, `last answered "v1"`},
		{"recent version change", verify.Progress{Targets: []verify.TargetProgress{
			{Name: PathExternal, LastVersion: "v2", VersionSince: now.Add(-time.Second)}, {Name: PathInternal, LastVersion: "v2", VersionSince: t0}}}, nil, "alone for"},
		{"ALB tail", verify.Progress{Targets: []verify.TargetProgress{
			{Name: PathExternal, LastVersion: "v2", VersionSince: t0}, {Name: PathInternal, LastVersion: "v2", VersionSince: t0}}},
			fakeALB{now: &now, routedTil: now.Add(time.Second)}, "ALB: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, why := Settled(now, tc.p, 2, "v2", 5*time.Second, 5*time.Second, tc.alb)
			if ok || !strings.Contains(why, tc.want) {
				t.Errorf("Settled = %v, %q; want false with %q", ok, why, tc.want)
			}
		})
	}
}

// TestSettledWaitsForALongRequestsFailure: a long request (10 s asked, 5 s
// timeout on top) sent at +10 s to a target the ALB still routes to fails
// only when it ends, at +25 s, when the ALB's tail ends too. The settle
// window must restart from that failure: the rollout's wait uses the
// longest request's timeout (loadConfig's LongestTimeout). With the short
// requests' 5 s the failure, sent 15 s earlier, would already be "older than
// the window" when it shows up, and the measurement would end at once.
func TestSettledWaitsForALongRequestsFailure(t *testing.T) {
	const settle = 5 * time.Second
	env := Env{Timeout: 5 * time.Second, Mix: verify.Mix{LongPercent: 20, LongDuration: 10 * time.Second}}
	longest := env.loadConfig(nil, "").LongestTimeout()
	if longest != 15*time.Second {
		t.Fatalf("longest request timeout %s, want 15s (10 s asked + 5 s)", longest)
	}
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	sent := t0.Add(10 * time.Second)
	visible := sent.Add(longest) // the verifier reports it when it ends
	now := t0
	alb := fakeALB{now: &now, routedTil: visible}
	progress := func() verify.Progress {
		ext := verify.TargetProgress{Name: PathExternal, LastVersion: "v2", VersionSince: t0}
		if !now.Before(visible) {
			ext.LastFailure = sent
		}
		return verify.Progress{Targets: []verify.TargetProgress{ext, {Name: PathInternal, LastVersion: "v2", VersionSince: t0}}}
	}
	end := func(timeout time.Duration) time.Time {
		for now = t0; now.Before(t0.Add(time.Minute)); now = now.Add(250 * time.Millisecond) {
			if ok, _ := Settled(now, progress(), 2, "v2", settle, timeout, alb); ok {
				return now
			}
		}
		return now
	}
	if got, want := end(longest), visible.Add(settle); got.Before(want) {
		t.Errorf("measurement ended at +%s, before the long request's failure (+%s) plus the settle window", got.Sub(t0), visible.Sub(t0))
	}
	if got := end(env.Timeout); got.After(visible) {
		t.Errorf("with the short requests' timeout the rule ended at +%s; the test no longer tells the two apart", got.Sub(t0))
	}
}

// countingALB settles after a number of Settled calls.
type countingALB struct{ calls, settleAfter *int }

func (c countingALB) Settled() (bool, string) {
	*c.calls++
	if *c.calls <= *c.settleAfter {
		return false, "10.0.0.1:8080: deregistered, still routed by 2 ALB node(s)"
	}
	return true, ""
}

// TestLoadStartsOnlyOnASettledALB: the wait before a measurement's load
// returns once the ALB has settled, and fails, naming what is not done, when
// it never does.
func TestLoadStartsOnlyOnASettledALB(t *testing.T) {
	calls, after := 0, 3
	if err := waitALBSettled(context.Background(), countingALB{&calls, &after}, 5*time.Second); err != nil || calls != 4 {
		t.Fatalf("settling ALB: err %v after %d calls, want nil after 4", err, calls)
	}
	calls, after = 0, 1<<30
	err := waitALBSettled(context.Background(), countingALB{&calls, &after}, 500*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "still routed by 2 ALB node(s)") {
		t.Fatalf("never settling ALB: err %v, want one naming the routed target", err)
	}
	if err := waitALBSettled(context.Background(), nil, time.Second); err != nil {
		t.Fatalf("no ALB: %v", err)
	}
}
