package server

import (
	"fmt"
	"sync/atomic"
)

// Phase is one step of the server lifecycle. Phases only move forward:
// Booting -> Ready -> Draining -> Stopped (Booting may also go straight to
// Stopped when a termination signal arrives before boot is done).
type Phase int32

const (
	// Booting is the phase before the boot delay has elapsed. No listener is
	// open, so connections are refused.
	Booting Phase = iota
	// Ready is the phase in which the listener is open and /readyz answers 200.
	Ready
	// Draining is the phase after SIGTERM: /readyz answers 503 while every
	// request, new or in flight, is still served.
	Draining
	// Stopped is the phase after the HTTP server has shut down.
	Stopped
)

// String returns the lower-case name of the phase, as used in logs.
func (p Phase) String() string {
	switch p {
	case Booting:
		return "booting"
	case Ready:
		return "ready"
	case Draining:
		return "draining"
	case Stopped:
		return "stopped"
	default:
		return fmt.Sprintf("phase(%d)", int32(p))
	}
}

// State holds the current Phase and enforces the allowed transitions. It is
// safe for concurrent use; the zero value is in phase Booting.
type State struct {
	phase atomic.Int32
}

// Phase returns the current phase.
func (s *State) Phase() Phase {
	return Phase(s.phase.Load())
}

// Advance moves the state to next. It fails, leaving the state unchanged,
// unless next comes later in the lifecycle than the current phase.
func (s *State) Advance(next Phase) error {
	if next < Booting || next > Stopped {
		return fmt.Errorf("advance to %s: unknown phase", next)
	}
	for {
		cur := s.phase.Load()
		if Phase(cur) >= next {
			return fmt.Errorf("advance to %s: already %s", next, Phase(cur))
		}
		if s.phase.CompareAndSwap(cur, int32(next)) {
			return nil
		}
	}
}
