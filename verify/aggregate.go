package verify

import (
	"sort"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// maxErrorSamples bounds the distinct error messages kept per target.
const maxErrorSamples = 20

// aggregator accumulates one target's results. vegeta.Metrics aggregates a
// whole attack into totals only; the report needs our own classes, a
// per-second timeline and version tracking, so the aggregation is ours and
// only latency percentiles are delegated to vegeta.LatencyMetrics.
type aggregator struct {
	name          string
	url           string
	start         time.Time
	versionHeader string

	mu           sync.Mutex
	requests     int64
	failures     int64
	classes      map[Class]int64
	kinds        map[Kind]*KindReport
	errors       map[string]int64
	latency      vegeta.LatencyMetrics
	timeline     []Second
	versions     map[string]*Version
	lastFailure  time.Time
	lastVersion  string
	versionSince time.Time
}

// outcome is one classified result.
type outcome struct {
	kind    Kind
	class   Class
	sent    time.Time
	latency time.Duration
	version string
	err     string
}

// newAggregator returns an empty aggregator for a target.
func newAggregator(t Target, start time.Time, versionHeader string) *aggregator {
	return &aggregator{
		name:          t.Name,
		url:           t.URL,
		start:         start,
		versionHeader: versionHeader,
		classes:       make(map[Class]int64),
		kinds:         make(map[Kind]*KindReport),
		errors:        make(map[string]int64),
		versions:      make(map[string]*Version),
	}
}

// add folds one outcome into the totals, the timeline and the versions.
func (a *aggregator) add(o outcome) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests++
	a.classes[o.class]++
	a.addKind(o)
	a.latency.Add(o.latency)
	sec := a.second(o.sent)
	sec.Requests++
	sec.Classes[o.class]++
	if o.class.Failed() {
		a.failures++
		sec.Failures++
		if o.sent.After(a.lastFailure) {
			a.lastFailure = o.sent
		}
	}
	if o.err != "" {
		a.sampleError(o.err)
	}
	if o.version != "" {
		a.addVersion(sec, o.version, o.sent.Add(o.latency))
	}
}

// addKind counts an outcome under its kind.
func (a *aggregator) addKind(o outcome) {
	k, ok := a.kinds[o.kind]
	if !ok {
		k = &KindReport{Classes: make(map[Class]int64)}
		a.kinds[o.kind] = k
	}
	k.Requests++
	k.Classes[o.class]++
	if o.class.Failed() {
		k.Failures++
	}
}

// second returns the timeline entry for a send time, growing the timeline
// with empty seconds as needed.
func (a *aggregator) second(sent time.Time) *Second {
	i := max(int(sent.Sub(a.start)/time.Second), 0)
	for len(a.timeline) <= i {
		n := len(a.timeline)
		a.timeline = append(a.timeline, Second{
			Second:  n,
			Start:   a.start.Add(time.Duration(n) * time.Second),
			Classes: make(map[Class]int64),
		})
	}
	return &a.timeline[i]
}

// sampleError counts an error message, keeping at most maxErrorSamples kinds.
func (a *aggregator) sampleError(msg string) {
	if _, ok := a.errors[msg]; ok || len(a.errors) < maxErrorSamples {
		a.errors[msg]++
	}
}

// addVersion records an answer from an application version.
func (a *aggregator) addVersion(sec *Second, name string, answered time.Time) {
	if sec.Versions == nil {
		sec.Versions = make(map[string]int64)
	}
	sec.Versions[name]++
	v, ok := a.versions[name]
	if !ok {
		v = &Version{Name: name, First: answered, Last: answered}
		a.versions[name] = v
	}
	v.Count++
	if answered.Before(v.First) {
		v.First = answered
	}
	if answered.After(v.Last) {
		v.Last = answered
	}
	if name != a.lastVersion {
		a.lastVersion, a.versionSince = name, answered
	}
}

// progress returns the target's counters so far.
func (a *aggregator) progress() TargetProgress {
	a.mu.Lock()
	defer a.mu.Unlock()
	return TargetProgress{
		Name:         a.name,
		Requests:     a.requests,
		Failures:     a.failures,
		LastFailure:  a.lastFailure,
		LastVersion:  a.lastVersion,
		VersionSince: a.versionSince,
	}
}

// report returns the target's final report.
func (a *aggregator) report(planned uint64) TargetReport {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := TargetReport{
		Name:     a.name,
		URL:      a.url,
		Planned:  int64(planned),
		Requests: a.requests,
		Failures: a.failures,
		Classes:  a.classes,
		Kinds:    a.kindReports(),
		Latency:  a.latencySummary(),
		Timeline: a.timeline,
		Versions: a.sortedVersions(),
	}
	if len(a.errors) > 0 {
		r.Errors = a.errors
	}
	if r.Timeline == nil {
		r.Timeline = []Second{}
	}
	r.CutOver = cutOver(r.Versions)
	return r
}

// kindReports copies the per-kind counts.
func (a *aggregator) kindReports() map[Kind]KindReport {
	out := make(map[Kind]KindReport, len(a.kinds))
	for k, r := range a.kinds {
		out[k] = *r
	}
	return out
}

// latencySummary converts vegeta's latency metrics to milliseconds.
func (a *aggregator) latencySummary() Latency {
	if a.requests == 0 {
		return Latency{}
	}
	return Latency{
		P50:  ms(a.latency.Quantile(0.50)),
		P90:  ms(a.latency.Quantile(0.90)),
		P99:  ms(a.latency.Quantile(0.99)),
		Max:  ms(a.latency.Max),
		Mean: ms(a.latency.Total / time.Duration(a.requests)),
	}
}

// sortedVersions lists the versions by first answer.
func (a *aggregator) sortedVersions() []Version {
	vs := make([]Version, 0, len(a.versions))
	for _, v := range a.versions {
		vs = append(vs, *v)
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].First.Before(vs[j].First) })
	return vs
}

// cutOver derives the cut-over from versions sorted by first answer: from
// the first version to answer to the version whose last answer is latest.
// It returns nil when they are the same version (no roll-out, or a roll-back).
func cutOver(vs []Version) *CutOver {
	if len(vs) < 2 {
		return nil
	}
	from, to := vs[0], vs[0]
	for _, v := range vs[1:] {
		if v.Last.After(to.Last) {
			to = v
		}
	}
	if to.Name == from.Name {
		return nil
	}
	return &CutOver{
		From:           from.Name,
		To:             to.Name,
		FirstNew:       to.First,
		LastOld:        from.Last,
		OverlapSeconds: from.Last.Sub(to.First).Seconds(),
	}
}

// ms converts a duration to fractional milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
