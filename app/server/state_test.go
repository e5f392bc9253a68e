package server

import "testing"

func TestStateAdvance(t *testing.T) {
	phases := []Phase{Booting, Ready, Draining, Stopped}
	for _, from := range phases {
		for _, to := range phases {
			t.Run(from.String()+"->"+to.String(), func(t *testing.T) {
				var s State
				for p := Booting; p < from; p++ {
					if err := s.Advance(p + 1); err != nil {
						t.Fatalf("setup: advance to %s: %v", p+1, err)
					}
				}
				err := s.Advance(to)
				wantOK := to > from
				if (err == nil) != wantOK {
					t.Fatalf("Advance(%s) from %s: err = %v, want ok=%v", to, from, err, wantOK)
				}
				want := from
				if wantOK {
					want = to
				}
				if got := s.Phase(); got != want {
					t.Fatalf("phase after Advance(%s) from %s = %s, want %s", to, from, got, want)
				}
			})
		}
	}
}

func TestStateAdvanceUnknownPhase(t *testing.T) {
	var s State
	for _, p := range []Phase{-1, Stopped + 1} {
		if err := s.Advance(p); err == nil {
			t.Errorf("Advance(%d) succeeded, want error", int32(p))
		}
	}
	if got := s.Phase(); got != Booting {
		t.Fatalf("phase = %s, want booting", got)
	}
}

func TestPhaseString(t *testing.T) {
	tests := map[Phase]string{
		Booting:  "booting",
		Ready:    "ready",
		Draining: "draining",
		Stopped:  "stopped",
		Phase(9): "phase(9)",
	}
	for p, want := range tests {
		if got := p.String(); got != want {
			t.Errorf("Phase(%d).String() = %q, want %q", int32(p), got, want)
		}
	}
}
