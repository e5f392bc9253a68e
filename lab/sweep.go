package lab

import (
	"fmt"
	"image/color"
	"io"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/zdt-eks/zdt/lab/scenario"
)

// The sweep rolls ZeroDowntimeApp once per fixed emulated propagation, so
// the failure boundary the timing model predicts can be seen against what
// the lab measures on both sides of it. It is not part of CI (each point is
// a full rollout under load): `make lab-sweep`.

// sweepPrefix names a sweep point's scenario: "ZeroDowntimeApp at 26s".
const sweepPrefix = ScenarioZeroDowntime + " at "

// SweepScenario names the sweep point at propagation d.
func SweepScenario(d time.Duration) string { return sweepPrefix + d.String() }

// ParseSweepScenario returns the propagation of a sweep point's name.
func ParseSweepScenario(name string) (time.Duration, bool) {
	rest, ok := strings.CutPrefix(name, sweepPrefix)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(rest)
	return d, err == nil && d > 0
}

// ParseSweep parses "20s,26s,32s" into the sweep's scenario names.
func ParseSweep(list string) ([]string, error) {
	var names []string
	for _, f := range strings.Split(list, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(f))
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("sweep: %q is not a positive duration such as 26s", f)
		}
		names = append(names, SweepScenario(d))
	}
	return names, nil
}

// WriteSweepSVG charts a sweep: failed requests on the external path per
// fixed propagation, with the model's predicted boundary as a vertical line.
// gonum/plot draws it; nothing here is a plotting mechanism of its own.
func WriteSweepSVG(w io.Writer, results []scenario.Result) error {
	p := plot.New()
	p.Title.Text = "ZeroDowntimeApp: failed requests vs ALB deregistration propagation"
	p.X.Label.Text = "emulated propagation on every ALB node (s)"
	p.Y.Label.Text = "failed requests during one rollout"
	var ext, in plotter.XYs
	boundary := 0
	for _, r := range results {
		d, ok := ParseSweepScenario(r.Name)
		if !ok || r.Report == nil {
			continue
		}
		ext = append(ext, plotter.XY{X: d.Seconds(), Y: float64(r.Failures(scenario.PathExternal))})
		in = append(in, plotter.XY{X: d.Seconds(), Y: float64(r.Failures(scenario.PathInternal))})
		boundary = r.BoundarySeconds
	}
	if len(ext) == 0 {
		return fmt.Errorf("sweep chart: no sweep point has a result")
	}
	for i, series := range []struct {
		name string
		xys  plotter.XYs
	}{{"external (through the ALB)", ext}, {"internal (ClusterIP)", in}} {
		line, points, err := plotter.NewLinePoints(series.xys)
		if err != nil {
			return fmt.Errorf("sweep chart: %w", err)
		}
		line.Color, points.Color = plotColor(i), plotColor(i)
		points.Shape = draw.CircleGlyph{}
		p.Add(line, points)
		p.Legend.Add(series.name, line, points)
	}
	if boundary > 0 {
		maxY := 1.0
		for _, xy := range ext {
			maxY = max(maxY, xy.Y)
		}
		b, err := plotter.NewLine(plotter.XYs{{X: float64(boundary), Y: 0}, {X: float64(boundary), Y: maxY}})
		if err != nil {
			return fmt.Errorf("sweep chart: %w", err)
		}
		b.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
		p.Add(b)
		p.Legend.Add(fmt.Sprintf("model's boundary (%d s)", boundary), b)
	}
	p.Legend.Top, p.Legend.Left = true, true
	wt, err := p.WriterTo(7*vg.Inch, 4*vg.Inch, "svg")
	if err != nil {
		return fmt.Errorf("sweep chart: %w", err)
	}
	_, err = wt.WriteTo(w)
	return err
}

// plotColor is the i-th series' colour from gonum's palette.
func plotColor(i int) color.Color { return plotutil.Color(i) }
