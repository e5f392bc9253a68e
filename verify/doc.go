// Package verify measures what clients see while a Deployment rolls: it sends
// open-loop HTTP load at a fixed rate to one or more targets (for example the
// ALB and the in-cluster Service), classifies every request (2xx, each other
// status code, timeout, connection refused, connection reset/EOF, other) and
// reports per target the counts, latency percentiles, a per-second timeline and
// which application versions answered, with the version cut-over times.
//
// The load engine is vegeta (github.com/tsenart/vegeta/v12): its Attacker and
// constant Pacer keep the request rate independent of how fast the server
// answers, so a slow or hanging server cannot hide failures by slowing the
// measurement down (the defect of a sequential curl loop). Its round-robin
// targeter sends the request Mix (short GETs, long GETs, POSTs) in exact
// proportions. This package adds what vegeta does not provide: exact typed
// classification of transport errors, per-target and per-kind aggregation
// into a timeline, version tracking, stop conditions, the report, and a
// closed-loop mode (Config.ClosedLoop) that reproduces the field report's
// curl loop on purpose, to compare with its numbers.
//
// The command cmd/rollout-verify wraps Run for shells and CI.
package verify
