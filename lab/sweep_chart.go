package lab

import (
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/zdt-eks/zdt/lab/scenario"
)

// WriteSweepSVG charts a sweep: failed requests on the external path per
// rollout against the fixed propagation, one series per configuration (its
// mean as a line, every repeat as a point), and each configuration's
// predicted boundary as a dashed vertical line of its colour. gonum/plot
// draws it; nothing here is a plotting mechanism of its own.
func WriteSweepSVG(w io.Writer, results []scenario.Result) error {
	rows := AggregateSweep(results)
	if len(rows) == 0 {
		return fmt.Errorf("sweep chart: no sweep point has a result")
	}
	p := plot.New()
	p.Title.Text = "Failed requests per rollout vs ALB deregistration propagation"
	p.X.Label.Text = "emulated propagation on every ALB node (s)"
	p.Y.Label.Text = "failed requests on the external path, per rollout"
	maxY := 1.0
	for _, r := range results {
		maxY = max(maxY, float64(r.Failures(scenario.PathExternal)))
	}
	for i, config := range SweepConfigs {
		if err := addSweepSeries(p, i, config, rows, results, maxY); err != nil {
			return err
		}
	}
	p.Legend.Top, p.Legend.Left = true, true
	wt, err := p.WriterTo(8*vg.Inch, 5*vg.Inch, "svg")
	if err != nil {
		return fmt.Errorf("sweep chart: %w", err)
	}
	_, err = wt.WriteTo(w)
	return err
}

// addSweepSeries draws one configuration: mean line, repeat points and
// boundary; nothing when the sweep did not run it.
func addSweepSeries(p *plot.Plot, i int, config string, rows []SweepRow, results []scenario.Result, maxY float64) error {
	var means, points plotter.XYs
	boundary := 0
	for _, r := range rows {
		if r.Config == config && r.Runs > 0 {
			means = append(means, plotter.XY{X: r.PropagationSeconds, Y: float64(r.Paths[scenario.PathExternal].Failures) / float64(r.Runs)})
			boundary = r.BoundarySeconds
		}
	}
	if len(means) == 0 {
		return nil
	}
	for _, r := range results {
		if pt, ok := ParseSweepScenario(r.Name); ok && pt.Config == config && r.Report != nil {
			points = append(points, plotter.XY{X: pt.Propagation.Seconds(), Y: float64(r.Failures(scenario.PathExternal))})
		}
	}
	c := plotColor(i)
	line, err := plotter.NewLine(means)
	if err != nil {
		return fmt.Errorf("sweep chart %s: %w", config, err)
	}
	scatter, err := plotter.NewScatter(points)
	if err != nil {
		return fmt.Errorf("sweep chart %s: %w", config, err)
	}
	line.Color, scatter.Color, scatter.Shape = c, c, draw.CircleGlyph{}
	p.Add(line, scatter)
	p.Legend.Add(config, line, scatter)
	if boundary <= 0 {
		return nil
	}
	b, err := plotter.NewLine(plotter.XYs{{X: float64(boundary), Y: 0}, {X: float64(boundary), Y: maxY}})
	if err != nil {
		return fmt.Errorf("sweep chart %s: %w", config, err)
	}
	b.Color, b.Dashes = c, []vg.Length{vg.Points(4), vg.Points(4)}
	p.Add(b)
	p.Legend.Add(fmt.Sprintf("%s: model's boundary (%d s)", config, boundary), b)
	return nil
}

// plotColor is the i-th series' colour from gonum's palette.
func plotColor(i int) color.Color { return plotutil.Color(i) }
