package verify

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// maxTimelineLines bounds the failure seconds listed by WriteTable.
const maxTimelineLines = 60

// FailureLine formats a failure in the field report's style: the class and
// the local time of day the request was sent ("502 13:57:17", "timeout
// 13:57:18"), prefixed with the target name when withTarget is set, and
// followed by the kind of request unless it is a short GET ("502 13:57:17
// post").
func FailureLine(f Failure, withTarget bool) string {
	line := string(f.Class) + " " + f.Time.Format(time.TimeOnly)
	if f.Kind != "" && f.Kind != KindGet {
		line += " " + string(f.Kind)
	}
	if withTarget {
		return f.Target + " " + line
	}
	return line
}

// WriteTable writes the human-readable report: a summary line, one row per
// target (requests, failures, counts per class, latency), the seconds that
// had failures, and the versions with their cut-over.
func WriteTable(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	writeSummary(ew, r)
	writeTargets(ew, r)
	writeKinds(ew, r)
	writeFailureSeconds(ew, r)
	writeVersions(ew, r)
	if ew.err != nil {
		return fmt.Errorf("write report: %w", ew.err)
	}
	return nil
}

// writeSummary writes the one-line description of the run.
func writeSummary(w io.Writer, r *Report) {
	keepAlive := "on"
	if !r.Settings.KeepAlive {
		keepAlive = "off"
	}
	fmt.Fprintf(w, "%d requests, %d failed, over %.1fs (stopped: %s); %s, %s, timeout %gs, keep-alive %s\n\n",
		r.Requests, r.Failures, r.DurationSeconds, r.StopReason,
		loadMode(r.Settings), mixLine(r.Settings.Mix), r.Settings.TimeoutSeconds, keepAlive)
}

// loadMode describes the open or closed loop.
func loadMode(s Settings) string {
	if s.ClosedLoopSeconds > 0 {
		return fmt.Sprintf("closed loop (one request at a time per target, %gs between)", s.ClosedLoopSeconds)
	}
	return fmt.Sprintf("%d req/s per target", s.Rate)
}

// mixLine describes the request mix ("70% get, 20% long 10s, 10% post").
func mixLine(m MixSettings) string {
	parts := []string{fmt.Sprintf("%d%% %s", m.GetPercent, KindGet)}
	if m.LongPercent > 0 {
		parts = append(parts, fmt.Sprintf("%d%% %s %gs", m.LongPercent, KindLong, m.LongSeconds))
	}
	if m.PostPercent > 0 {
		parts = append(parts, fmt.Sprintf("%d%% %s", m.PostPercent, KindPost))
	}
	return strings.Join(parts, ", ")
}

// writeKinds writes, when the mix has more than one kind, each target's
// requests, failures and classes per kind of request.
func writeKinds(w io.Writer, r *Report) {
	if m := r.Settings.Mix; m.LongPercent == 0 && m.PostPercent == 0 {
		return
	}
	classes := reportClasses(r)
	fmt.Fprintln(w, "\nper kind of request:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := []string{"  TARGET", "KIND", "REQUESTS", "FAILED"}
	for _, c := range classes {
		header = append(header, string(c))
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, t := range r.Targets {
		for _, k := range kindOrder {
			kr, ok := t.Kinds[k]
			if !ok {
				continue
			}
			row := []string{"  " + t.Name, string(k), strconv.FormatInt(kr.Requests, 10), strconv.FormatInt(kr.Failures, 10)}
			for _, c := range classes {
				row = append(row, strconv.FormatInt(kr.Classes[c], 10))
			}
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
	}
	_ = tw.Flush() // errors surface through the errWriter
}

// writeTargets writes the per-target table.
func writeTargets(w io.Writer, r *Report) {
	classes := reportClasses(r)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := []string{"TARGET", "REQUESTS", "FAILED"}
	for _, c := range classes {
		header = append(header, string(c))
	}
	header = append(header, "p50", "p90", "p99", "max")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, t := range r.Targets {
		row := []string{t.Name, strconv.FormatInt(t.Requests, 10), strconv.FormatInt(t.Failures, 10)}
		for _, c := range classes {
			row = append(row, strconv.FormatInt(t.Classes[c], 10))
		}
		row = append(row, fmtMS(t.Latency.P50), fmtMS(t.Latency.P90), fmtMS(t.Latency.P99), fmtMS(t.Latency.Max))
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	_ = tw.Flush() // errors surface through the errWriter
	for _, t := range r.Targets {
		if t.Planned > 0 && t.Requests < t.Planned {
			fmt.Fprintf(w, "warning: %s: %d of %d planned requests were sent (the verifier could not keep the rate)\n",
				t.Name, t.Requests, t.Planned)
		}
	}
}

// writeFailureSeconds lists the seconds of each target's timeline that had
// failures.
func writeFailureSeconds(w io.Writer, r *Report) {
	var lines []string
	for _, t := range r.Targets {
		for _, s := range t.Timeline {
			if s.Failures > 0 {
				lines = append(lines, fmt.Sprintf("  %s  +%ds  %s  %s",
					s.Start.Format(time.TimeOnly), s.Second, t.Name, classCounts(s.Classes)))
			}
		}
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, "\nseconds with failures:")
	for i, l := range lines {
		if i == maxTimelineLines {
			fmt.Fprintf(w, "  ... %d more (see --json)\n", len(lines)-i)
			break
		}
		fmt.Fprintln(w, l)
	}
}

// writeVersions lists the versions that answered and the cut-over.
func writeVersions(w io.Writer, r *Report) {
	for _, t := range r.Targets {
		if len(t.Versions) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nversions (%s):\n", t.Name)
		for _, v := range t.Versions {
			fmt.Fprintf(w, "  %s  %d answers  %s .. %s\n", v.Name, v.Count, fmtClock(v.First), fmtClock(v.Last))
		}
		if c := t.CutOver; c != nil {
			fmt.Fprintf(w, "  cut-over %s -> %s: first %s %s, last %s %s (overlap %.3fs)\n",
				c.From, c.To, c.To, fmtClock(c.FirstNew), c.From, fmtClock(c.LastOld), c.OverlapSeconds)
		}
	}
}

// reportClasses returns every class seen in the report, in display order:
// ok, status codes ascending, then timeout, refused, reset, other.
func reportClasses(r *Report) []Class {
	seen := map[Class]bool{ClassOK: true}
	for _, t := range r.Targets {
		for c := range t.Classes {
			seen[c] = true
		}
	}
	classes := make([]Class, 0, len(seen))
	for c := range seen {
		classes = append(classes, c)
	}
	sortClasses(classes)
	return classes
}

// classRank orders the non-status classes after the status codes.
var classRank = map[Class]int{ClassOK: -1, ClassTimeout: 1000, ClassRefused: 1001, ClassReset: 1002, ClassOther: 1003}

// sortClasses sorts classes in display order.
func sortClasses(cs []Class) {
	rank := func(c Class) int {
		if r, ok := classRank[c]; ok {
			return r
		}
		n, _ := strconv.Atoi(string(c))
		return n
	}
	sort.Slice(cs, func(i, j int) bool { return rank(cs[i]) < rank(cs[j]) })
}

// classCounts formats per-class counts as "ok 18, 502 2".
func classCounts(m map[Class]int64) string {
	classes := make([]Class, 0, len(m))
	for c := range m {
		classes = append(classes, c)
	}
	sortClasses(classes)
	parts := make([]string, 0, len(classes))
	for _, c := range classes {
		parts = append(parts, fmt.Sprintf("%s %d", c, m[c]))
	}
	return strings.Join(parts, ", ")
}

// fmtMS formats milliseconds for the table.
func fmtMS(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "ms" }

// fmtClock formats a time of day with milliseconds.
func fmtClock(t time.Time) string { return t.Format("15:04:05.000") }

// errWriter remembers the first write error so that formatting code can
// write freely and check once.
type errWriter struct {
	w   io.Writer
	err error
}

// Write implements io.Writer.
func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
