package scenario

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
)

// PathSummary is one path's line of the lab's table.
type PathSummary struct {
	Requests int64 `json:"requests"`
	Failures int64 `json:"failures"`
	// ByClass counts failures per class ("502", "timeout", ...).
	ByClass map[string]int64 `json:"byClass"`
	// ByKind counts failures per kind of request ("get", "long", "post").
	ByKind map[string]int64 `json:"byKind"`
	P99ms  float64          `json:"p99ms"`
}

// Summary condenses a Result for the table and for tests.
func (r Result) Summary() map[string]PathSummary {
	out := map[string]PathSummary{}
	if r.Report == nil {
		return out
	}
	for _, t := range r.Report.Targets {
		s := PathSummary{Requests: t.Requests, Failures: t.Failures, ByClass: map[string]int64{}, ByKind: map[string]int64{}, P99ms: t.Latency.P99}
		for c, n := range t.Classes {
			if c.Failed() && n > 0 {
				s.ByClass[string(c)] = n
			}
		}
		for k, kr := range t.Kinds {
			if kr.Failures > 0 {
				s.ByKind[string(k)] = kr.Failures
			}
		}
		out[t.Name] = s
	}
	return out
}

// ServerErrors counts a path's failures answered with a 5xx status (what the
// field report counted as 502/504 from the ALB).
func (r Result) ServerErrors(path string) int64 {
	var n int64
	for class, c := range r.Summary()[path].ByClass {
		if len(class) == 3 && class[0] == '5' {
			n += c
		}
	}
	return n
}

// returnTolerance absorbs the completion watcher's polling (100 ms) and
// one apiserver round trip.
const returnTolerance = 0.5

// DeployReturnedEarly tells whether a deploy that reported success returned
// before the Deployment's rollout was complete (or it never completed).
func (r Result) DeployReturnedEarly() bool {
	return r.DeployError == "" && (r.CompleteSeconds == 0 || r.DeploySeconds+returnTolerance < r.CompleteSeconds)
}

// Failures is the scenario's failed requests on a path.
func (r Result) Failures(path string) int64 { return r.Summary()[path].Failures }

// WriteTable prints the lab's table: one row per scenario and path.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tpropagation\tpath\trequests\tfailed\tby class\tby kind\tpredicted\tp99 ms\tdeploy s\tcomplete s\trollout s\tALB done s\tfloor s\tratio\tdeploy")
	pending := false
	for _, r := range results {
		sum := r.Summary()
		for _, path := range []string{PathExternal, PathInternal} {
			s, ok := sum[path]
			if !ok {
				continue
			}
			deploy := "ok"
			if r.DeployError != "" {
				deploy = "failed (expected)"
			}
			floor, ratio := r.floorCells()
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%.0f\t%.1f\t%.1f\t%.1f\t%s\t%s\t%s\t%s\n", r.Name, r.Propagation, path, s.Requests, s.Failures,
				classes(s.ByClass), classes(s.ByKind), predictedClasses(r.Predicted[path]), s.P99ms, r.DeploySeconds, r.CompleteSeconds, r.RolloutSeconds,
				r.albDoneCell(), floor, ratio, deploy)
		}
		pending = pending || r.ALBDonePending
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if pending {
		_, err := fmt.Fprintln(w, "* ALB done: the last old target was still draining when the measurement ended; the emulator's schedule (its deregistration delay's end)")
		return err
	}
	return nil
}

// predictedClasses renders zdt check's prediction for one path.
func predictedClasses(cs []string) string {
	if len(cs) == 0 {
		return "-"
	}
	return strings.Join(cs, ",")
}

// Unpredicted lists the classes measured on a path that zdt check did not
// predict for it (empty when the prediction covers the measurement).
func (r Result) Unpredicted(path string) []string {
	var out []string
	for class := range r.Summary()[path].ByClass {
		if !slices.Contains(r.Predicted[path], class) {
			out = append(out, class)
		}
	}
	slices.Sort(out)
	return out
}

func classes(m map[string]int64) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s×%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// WriteJSON writes the results, full verifier reports included.
func WriteJSON(w io.Writer, results []Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Scenarios []Result `json:"scenarios"`
	}{results})
}
