package verify

import "time"

// Report is the result of a run. Its JSON form (field names in the tags) is
// the machine-readable output of cmd/rollout-verify --json; the names are
// stable. Times are RFC 3339 with nanoseconds; durations are in the unit
// named by the field (_seconds, _ms).
type Report struct {
	// Started and Ended bound the run (Ended is when the last result arrived).
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended"`
	// DurationSeconds is Ended - Started.
	DurationSeconds float64 `json:"duration_seconds"`
	// StopReason says what ended the run: "duration", "stop-file",
	// "stop-when", "cancelled".
	StopReason string `json:"stop_reason"`
	// Settings are the effective settings (after defaults).
	Settings Settings `json:"settings"`
	// Requests and Failures are totals over all targets.
	Requests int64 `json:"requests"`
	Failures int64 `json:"failures"`
	// Targets holds one entry per target, in Config order.
	Targets []TargetReport `json:"targets"`
}

// Settings echoes the configuration a report was produced with.
type Settings struct {
	// Rate and MaxWorkers are the open loop's; a closed loop
	// (ClosedLoopSeconds > 0) uses neither.
	Rate       int    `json:"rate_per_target"`
	MaxWorkers uint64 `json:"max_workers"`
	// ClosedLoopSeconds is the pause between one request's end and the
	// next one's start in closed-loop mode; absent for open loop.
	ClosedLoopSeconds float64 `json:"closed_loop_interval_seconds,omitempty"`
	// Mix is the request mix.
	Mix             MixSettings `json:"mix"`
	TimeoutSeconds  float64     `json:"timeout_seconds"`
	DurationSeconds float64     `json:"duration_seconds,omitempty"`
	StopFile        string      `json:"stop_file,omitempty"`
	Host            string      `json:"host,omitempty"`
	KeepAlive       bool        `json:"keepalive"`
	VersionHeader   string      `json:"version_header"`
}

// MixSettings echoes a Mix: the percentages of each kind and the long
// requests' length.
type MixSettings struct {
	GetPercent  int     `json:"get_percent"`
	LongPercent int     `json:"long_percent"`
	LongSeconds float64 `json:"long_seconds,omitempty"`
	PostPercent int     `json:"post_percent"`
}

// mixSettings echoes m.
func mixSettings(m Mix) MixSettings {
	return MixSettings{
		GetPercent: 100 - m.LongPercent - m.PostPercent, LongPercent: m.LongPercent,
		LongSeconds: m.longest().Seconds(), PostPercent: m.PostPercent,
	}
}

// KindReport is what one kind of request saw on a target.
type KindReport struct {
	Requests int64 `json:"requests"`
	Failures int64 `json:"failures"`
	// Classes counts this kind's requests per class.
	Classes map[Class]int64 `json:"classes"`
}

// TargetReport is what one target's clients saw.
type TargetReport struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// Planned is floor(rate × duration) for runs with a duration, else 0.
	Planned int64 `json:"planned,omitempty"`
	// Requests is the number of requests sent and completed (answered,
	// failed or timed out); Failures those whose class is not "ok".
	Requests int64 `json:"requests"`
	Failures int64 `json:"failures"`
	// Classes counts requests per class: "ok", "timeout", "refused",
	// "reset", "other" and one key per non-2xx status code ("503").
	Classes map[Class]int64 `json:"classes"`
	// Kinds splits Requests, Failures and Classes per kind of request
	// ("get", "long", "post"); only kinds sent are present.
	Kinds map[Kind]KindReport `json:"kinds"`
	// Errors counts distinct transport error messages (at most
	// maxErrorSamples kinds), to explain "other" and friends.
	Errors map[string]int64 `json:"errors,omitempty"`
	// Latency summarizes the latency of all requests, failures included.
	Latency Latency `json:"latency_ms"`
	// Timeline has one entry per second since Started, by request start
	// time; seconds without requests are present with zero counts.
	Timeline []Second `json:"timeline"`
	// Versions lists the application versions that answered (responses
	// with a non-empty version header), by time first seen.
	Versions []Version `json:"versions"`
	// CutOver is set when the version that answered first differs from the
	// one that answered last.
	CutOver *CutOver `json:"cutover,omitempty"`
}

// Latency holds request latency statistics in milliseconds. Percentiles are
// t-digest estimates (vegeta.LatencyMetrics); Max is exact.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Second is one second of a target's timeline.
type Second struct {
	// Second is the offset from Report.Started (0 = first second).
	Second int `json:"second"`
	// Start is the wall-clock start of this second.
	Start    time.Time `json:"start"`
	Requests int64     `json:"requests"`
	Failures int64     `json:"failures"`
	// Classes counts the requests started in this second per class.
	Classes map[Class]int64 `json:"classes"`
	// Versions counts the answers per version for requests started in
	// this second.
	Versions map[string]int64 `json:"versions,omitempty"`
}

// Version is one application version seen in responses. First and Last are
// the times the answers arrived (request start + latency).
type Version struct {
	Name  string    `json:"name"`
	Count int64     `json:"count"`
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
}

// CutOver describes the switch from the first version to answer (From) to the
// last one to answer (To).
type CutOver struct {
	From string `json:"from"`
	To   string `json:"to"`
	// FirstNew is when To answered first; LastOld when From answered last.
	FirstNew time.Time `json:"first_new"`
	LastOld  time.Time `json:"last_old"`
	// OverlapSeconds is LastOld - FirstNew: positive while both versions
	// answered, negative for a gap in which neither did.
	OverlapSeconds float64 `json:"overlap_seconds"`
}

// Failure is one failed request, passed to Config.OnFailure.
type Failure struct {
	Target string
	// Kind is the kind of request that failed.
	Kind  Kind
	Class Class
	// Time is when the request was sent.
	Time    time.Time
	Latency time.Duration
	// Error is the transport error message, empty for HTTP status failures.
	Error string
}

// Progress is a snapshot of a running verification, passed to
// Config.OnProgress and Config.StopWhen.
type Progress struct {
	Elapsed  time.Duration
	Requests int64
	Failures int64
	// Rate is the completed requests per second over the last interval,
	// all targets together.
	Rate    float64
	Targets []TargetProgress
}

// TargetProgress is one target's part of a Progress.
type TargetProgress struct {
	Name     string
	Requests int64
	Failures int64
	// LastFailure is the send time of the latest failed request (zero if
	// none).
	LastFailure time.Time
	// LastVersion is the version of the latest answer carrying one, and
	// VersionSince when it first answered after another version did.
	LastVersion  string
	VersionSince time.Time
}
