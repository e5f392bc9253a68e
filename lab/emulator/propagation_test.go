package emulator

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestPropagationSet(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Propagation
		wantErr string
	}{
		{in: "10s", want: FixedPropagation(10 * time.Second)},
		{in: "5s, 10s, 25s", want: Propagation{Min: 5 * time.Second, Mode: 10 * time.Second, Max: 25 * time.Second}},
		{in: "5s,10s", wantErr: "one duration or min,mode,max"},
		{in: "ten", wantErr: "invalid duration"},
		{in: "10s,5s,20s", wantErr: "min <= mode <= max"},
		{in: "-1s", wantErr: "min <= mode <= max"},
	} {
		var p Propagation
		err := p.Set(tc.in)
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Set(%q) = %v, want error %q", tc.in, err, tc.wantErr)
			}
		case err != nil || p != tc.want:
			t.Errorf("Set(%q) = %v %v, want %v", tc.in, p, err, tc.want)
		}
	}
}

// TestPropagationDraw checks the triangular distribution: every draw within
// [min, max], the median where the inverse CDF puts it, a fixed one constant.
func TestPropagationDraw(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	p := Propagation{Min: 5 * time.Second, Mode: 10 * time.Second, Max: 25 * time.Second}
	draws := make([]time.Duration, 20000)
	for i := range draws {
		draws[i] = p.Draw(r)
		if draws[i] < p.Min || draws[i] > p.Max {
			t.Fatalf("draw %s outside [%s, %s]", draws[i], p.Min, p.Max)
		}
	}
	sort.Slice(draws, func(i, j int) bool { return draws[i] < draws[j] })
	// Median of triangular(5, 10, 25): 25 - sqrt(0.5 * 20 * 15) = 12.75 s.
	if med := draws[len(draws)/2]; med < 12*time.Second || med > 13500*time.Millisecond {
		t.Errorf("median %s, want about 12.75s", med)
	}
	// P(X <= 10 s) = (10-5)^2 / (20*5) = 0.25.
	below := sort.Search(len(draws), func(i int) bool { return draws[i] > 10*time.Second })
	if frac := float64(below) / float64(len(draws)); frac < 0.23 || frac > 0.27 {
		t.Errorf("P(draw <= mode) = %.3f, want 0.25", frac)
	}
	if d := FixedPropagation(7 * time.Second).Draw(r); d != 7*time.Second {
		t.Errorf("fixed draw %s", d)
	}
}
