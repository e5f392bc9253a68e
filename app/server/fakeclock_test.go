package server

import (
	"testing"
	"time"
)

// wait is one call of fakeClock.After: the duration asked for and the
// channel the test fires to let the caller go on.
type wait struct {
	d  time.Duration
	ch chan time.Time
}

// fire releases the caller of After.
func (w wait) fire() { w.ch <- time.Time{} }

// fakeClock announces every After call on waits and lets the test decide
// when it fires, so no test sleeps for the durations under test.
type fakeClock struct {
	waits chan wait
}

func newFakeClock() *fakeClock { return &fakeClock{waits: make(chan wait, 16)} }

func (c *fakeClock) Now() time.Time { return time.Unix(0, 0) }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.waits <- wait{d: d, ch: ch}
	return ch
}

// next returns the next After call, failing the test if none comes soon.
func (c *fakeClock) next(t *testing.T, what string) wait {
	t.Helper()
	select {
	case w := <-c.waits:
		return w
	case <-time.After(5 * time.Second):
		t.Fatalf("no clock wait for %s", what)
		return wait{}
	}
}

// expectNone fails the test if an After call is pending.
func (c *fakeClock) expectNone(t *testing.T) {
	t.Helper()
	select {
	case w := <-c.waits:
		t.Fatalf("unexpected clock wait for %s", w.d)
	default:
	}
}
