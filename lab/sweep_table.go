package lab

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/zdt-eks/zdt/lab/scenario"
)

// SweepRow aggregates the repeats of one configuration at one propagation.
type SweepRow struct {
	Config             string  `json:"config"`
	PropagationSeconds float64 `json:"propagationSeconds"`
	// BoundarySeconds is the model's predicted boundary for the app as
	// deployed (the same in every repeat).
	BoundarySeconds int `json:"boundarySeconds"`
	// Runs counts the repeats; RunsWithFailures those that failed a
	// request on any path.
	Runs             int `json:"runs"`
	RunsWithFailures int `json:"runsWithFailures"`
	// Paths sums the repeats per path.
	Paths map[string]SweepPath `json:"paths"`
	// CompleteMedianSeconds is the median time to Deployment complete.
	CompleteMedianSeconds float64 `json:"completeMedianSeconds"`
}

// SweepPath is one path's sums over a row's repeats.
type SweepPath struct {
	Requests int64            `json:"requests"`
	Failures int64            `json:"failures"`
	ByClass  map[string]int64 `json:"byClass,omitempty"`
	// RateUpper95 bounds the failure rate when no request failed: the rate
	// p for which seeing 0 failures in Requests tries has 5 % probability,
	// 1-0.05^(1/n) (about 3/n, the "rule of three"). It treats requests as
	// independent, which they are not (failures cluster in a rollout's
	// window), so read it with RunsWithFailures. 0 when some failed.
	RateUpper95 float64 `json:"rateUpper95,omitempty"`
}

// AggregateSweep groups a sweep's results by configuration and propagation,
// in the order the configurations are listed and by growing propagation.
func AggregateSweep(results []scenario.Result) []SweepRow {
	type key struct {
		config string
		secs   float64
	}
	rows := map[key]*SweepRow{}
	completes := map[key][]float64{}
	for _, r := range results {
		p, ok := ParseSweepScenario(r.Name)
		if !ok || r.Report == nil {
			continue
		}
		k := key{p.Config, p.Propagation.Seconds()}
		row := rows[k]
		if row == nil {
			row = &SweepRow{Config: p.Config, PropagationSeconds: k.secs, Paths: map[string]SweepPath{}}
			rows[k] = row
		}
		addSweepRun(row, r)
		completes[k] = append(completes[k], r.CompleteSeconds)
	}
	out := make([]SweepRow, 0, len(rows))
	for k, row := range rows {
		row.CompleteMedianSeconds = median(completes[k])
		for path, s := range row.Paths {
			if s.Failures == 0 && s.Requests > 0 {
				s.RateUpper95 = 1 - math.Pow(0.05, 1/float64(s.Requests))
				row.Paths[path] = s
			}
		}
		out = append(out, *row)
	}
	sort.Slice(out, func(i, j int) bool {
		ci, cj := slices.Index(SweepConfigs, out[i].Config), slices.Index(SweepConfigs, out[j].Config)
		if ci != cj {
			return ci < cj
		}
		return out[i].PropagationSeconds < out[j].PropagationSeconds
	})
	return out
}

// addSweepRun adds one repeat's measurement to its row.
func addSweepRun(row *SweepRow, r scenario.Result) {
	row.Runs++
	row.BoundarySeconds = r.BoundarySeconds
	failed := false
	for path, s := range r.Summary() {
		agg := row.Paths[path]
		agg.Requests += s.Requests
		agg.Failures += s.Failures
		if agg.ByClass == nil {
			agg.ByClass = map[string]int64{}
		}
		for c, n := range s.ByClass {
			agg.ByClass[c] += n
		}
		row.Paths[path] = agg
		failed = failed || s.Failures > 0
	}
	if failed {
		row.RunsWithFailures++
	}
}

// median of xs (0 for none).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// WriteSweepTable prints the aggregated sweep for a person: per
// configuration and propagation, the runs, failed requests per path with
// their classes (or the 95 % upper bound on the rate where none failed), the
// model's boundary and the median time to Deployment complete.
func WriteSweepTable(w io.Writer, rows []SweepRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "configuration\tpropagation\tboundary\truns failed\texternal\tinternal\tcomplete (median)")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%gs\t%ds\t%d/%d\t%s\t%s\t%.0fs\n", r.Config, r.PropagationSeconds, r.BoundarySeconds,
			r.RunsWithFailures, r.Runs, sweepCell(r.Paths[scenario.PathExternal]), sweepCell(r.Paths[scenario.PathInternal]), r.CompleteMedianSeconds)
	}
	return tw.Flush()
}

// sweepCell renders one path's sums: "0/6180 (<0.05%)" or "49/6020 502×8 timeout×41".
func sweepCell(s SweepPath) string {
	if s.Failures == 0 {
		return fmt.Sprintf("0/%d (<%.2g%%)", s.Requests, 100*s.RateUpper95)
	}
	var classes []string
	for _, c := range slices.Sorted(maps.Keys(s.ByClass)) {
		classes = append(classes, fmt.Sprintf("%s×%d", c, s.ByClass[c]))
	}
	return fmt.Sprintf("%d/%d %s", s.Failures, s.Requests, strings.Join(classes, " "))
}
