package scenario

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/zdt-eks/zdt/components/zerodowntime"
)

// Floor is the timing model's least time for a rollout of a Deployment as
// deployed (zerodowntime.BatchFloorInputs), with what it was computed from.
type Floor struct {
	Inputs zerodowntime.BatchFloorInputs `json:"inputs"`
	// Replicas, Surge and Unavailable are the Deployment's count and its
	// strategy resolved to pods.
	Replicas     int     `json:"replicas"`
	Surge        int     `json:"surge"`
	Unavailable  int     `json:"unavailable"`
	Batches      int     `json:"batches"`
	BatchSeconds float64 `json:"batchSeconds"`
	Seconds      float64 `json:"seconds"`
	// Ratio is the result's CompleteSeconds over Seconds (0 when either is
	// 0): how far above its floor the rollout ran.
	Ratio float64 `json:"ratio,omitempty"`
}

// SetFloor records the model's floor for the rollout and its ratio.
func (r *Result) SetFloor(f Floor) {
	f.Ratio = 0
	if f.Seconds > 0 && r.CompleteSeconds > 0 {
		f.Ratio = r.CompleteSeconds / f.Seconds
	}
	r.Floor = &f
}

// FloorRatio is Deployment complete over the model's floor (0: unknown).
func (r Result) FloorRatio() float64 {
	if r.Floor == nil {
		return 0
	}
	return r.Floor.Ratio
}

// albDoneCell renders ALB done for the table; a * marks the emulator's
// schedule (still draining when the measurement ended).
func (r Result) albDoneCell() string {
	switch {
	case r.ALBDoneSeconds == 0:
		return "-"
	case r.ALBDonePending:
		return fmt.Sprintf("%.1f*", r.ALBDoneSeconds)
	}
	return fmt.Sprintf("%.1f", r.ALBDoneSeconds)
}

// floorCells renders the floor and the ratio for the table.
func (r Result) floorCells() (floor, ratio string) {
	floor = "-"
	if r.Floor != nil && r.Floor.Seconds > 0 {
		floor = fmt.Sprintf("%.0f", r.Floor.Seconds)
	}
	return floor, ratioText(r.FloorRatio())
}

// WriteBreakdown prints where a rollout's time went: the milestones, the
// model's floor, and one line per batch of new pods (seconds from the start
// of the deploy).
func WriteBreakdown(w io.Writer, r Result) error {
	fmt.Fprintf(w, "[%s] deploy returned %.1f s, Deployment complete %.1f s, last old pod gone %.1f s, ALB done %s s\n",
		r.Name, r.DeploySeconds, r.CompleteSeconds, r.RolloutSeconds, r.albDoneCell())
	if f := r.Floor; f != nil {
		fmt.Fprintf(w, "[%s] floor %.0f s = %d batches x %.0f s: %s (%d replicas, surge %d, unavailable %d); complete/floor %s\n",
			r.Name, f.Seconds, f.Batches, f.BatchSeconds, floorTerms(f.Inputs), f.Replicas, f.Surge, f.Unavailable, ratioText(r.FloorRatio()))
	}
	if len(r.Batches) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "[%s]\tbatch\tpods\tstart s\tboot s\tgate wait s\tminReady s\ttotal s\n", r.Name)
	for i, b := range r.Batches {
		if !b.Complete {
			fmt.Fprintf(tw, "[%s]\t%d\t%d\t%.1f\tnot available\n", r.Name, i+1, len(b.Pods), b.Start)
			continue
		}
		fmt.Fprintf(tw, "[%s]\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\n", r.Name, i+1, len(b.Pods), b.Start, b.Boot, b.GateWait, b.MinReady, b.Total)
	}
	return tw.Flush()
}

// floorTerms names the terms of one batch's floor and where they come from.
func floorTerms(in zerodowntime.BatchFloorInputs) string {
	ready := fmt.Sprintf("Ready at %.0f s (boot)", in.BootSeconds)
	if !in.ReadinessProbed {
		ready = "Ready at 0 s (no probe)"
	}
	if in.Gated {
		ready = fmt.Sprintf("Ready at %.0f s (gate: first check passes at %.0f s: boot %.0f, registration %.0f, %d more check(s) %.0f s apart; seen at the LBC's re-check, every %.0f s from creation)",
			in.BatchFloorSeconds()-in.MinReadySeconds, in.FirstHealthySeconds(), in.BootSeconds, in.RegistrationSeconds,
			max(in.ChecksToHealthy, 1)-1, in.HealthCheckIntervalSeconds, in.GateRecheckSeconds)
	}
	return fmt.Sprintf("%s + minReady %.0f s", ready, in.MinReadySeconds)
}

func ratioText(q float64) string {
	if q == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", q)
}
