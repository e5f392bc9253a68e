package emulator

import (
	"testing"
	"time"
)

// TestDrainsRecordWhenTargetsLeaveDraining: a deregistered target's drain is
// scheduled at the deregister call (the deregistration delay), recorded as
// ended when the group applies it, and cut short by a re-registration.
func TestDrainsRecordWhenTargetsLeaveDraining(t *testing.T) {
	cfg := testConfig()
	cfg.DeregistrationDelay = 30 * time.Second
	f := newGroupFixture(testSettings(), cfg)
	a, b := spec("10.0.0.1"), spec("10.0.0.2")
	f.makeHealthy(t, a)
	f.makeHealthy(t, b)
	before := f.clock.Now()
	f.step(time.Second)
	since := f.clock.Now()
	f.tg.Deregister(a.ID())
	f.tg.Deregister(b.ID())
	f.step(5 * time.Second)
	f.tg.Register(b) // wanted again: b leaves draining now

	got := f.tg.Drains("app", since)
	if len(got) != 2 {
		t.Fatalf("drains %+v, want a and b", got)
	}
	if d := got[0]; d.Target.ID() != a.ID() || d.Ended || !d.DeregisteredAt.Equal(since) || !d.Ends.Equal(since.Add(30*time.Second)) {
		t.Errorf("a while draining: %+v, want scheduled to end at +30s", d)
	}
	if d := got[1]; d.Target.ID() != b.ID() || !d.Ended || !d.Ends.Equal(since.Add(5*time.Second)) {
		t.Errorf("b re-registered: %+v, want ended at +5s", d)
	}

	f.step(25 * time.Second)
	if d := f.tg.Drains("app", since)[0]; !d.Ended || !d.Ends.Equal(since.Add(30*time.Second)) {
		t.Errorf("a after the delay: %+v, want ended at +30s", d)
	}
	if got := f.tg.Drains("other", before); len(got) != 0 {
		t.Errorf("drains of another namespace: %+v", got)
	}
	if got := f.tg.Drains("app", since.Add(time.Millisecond)); len(got) != 0 {
		t.Errorf("drains started before since were returned: %+v", got)
	}
}
