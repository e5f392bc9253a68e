package emulator

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// Propagation is a distribution of delays, drawn once per ALB node and
// deregistration: triangular between Min and Max with its peak at Mode, so
// that a typical value and a bounded tail can both be stated. Min == Mode ==
// Max is a fixed delay. It is a flag.Value: "10s" (fixed) or "5s,10s,25s"
// (min,mode,max).
type Propagation struct {
	Min, Mode, Max time.Duration
}

// FixedPropagation is a distribution that always draws d.
func FixedPropagation(d time.Duration) Propagation { return Propagation{Min: d, Mode: d, Max: d} }

// Fixed tells whether every draw is the same delay.
func (p Propagation) Fixed() bool { return p.Min == p.Max }

// Draw returns one delay (inverse CDF of the triangular distribution).
func (p Propagation) Draw(r *rand.Rand) time.Duration {
	if p.Fixed() {
		return p.Min
	}
	a, c, b := float64(p.Min), float64(p.Mode), float64(p.Max)
	u := r.Float64()
	if u < (c-a)/(b-a) {
		return time.Duration(a + math.Sqrt(u*(b-a)*(c-a)))
	}
	return time.Duration(b - math.Sqrt((1-u)*(b-a)*(b-c)))
}

// String renders the distribution as the flag syntax.
func (p Propagation) String() string {
	if p.Fixed() {
		return p.Min.String()
	}
	return fmt.Sprintf("%s,%s,%s", p.Min, p.Mode, p.Max)
}

// Set parses "10s" or "5s,10s,25s".
func (p *Propagation) Set(s string) error {
	parts := strings.Split(s, ",")
	var ds []time.Duration
	for _, part := range parts {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil {
			return fmt.Errorf("propagation %q: %w", s, err)
		}
		ds = append(ds, d)
	}
	switch len(ds) {
	case 1:
		*p = FixedPropagation(ds[0])
	case 3:
		*p = Propagation{Min: ds[0], Mode: ds[1], Max: ds[2]}
	default:
		return fmt.Errorf("propagation %q: want one duration or min,mode,max", s)
	}
	return p.validate()
}

func (p Propagation) validate() error {
	if p.Min < 0 || p.Mode < p.Min || p.Max < p.Mode {
		return fmt.Errorf("propagation %s: want 0 <= min <= mode <= max", p)
	}
	return nil
}
