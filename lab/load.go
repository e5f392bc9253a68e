package lab

import (
	"math"
	"time"

	"github.com/zdt-eks/zdt/lab/scenario"
	"github.com/zdt-eks/zdt/verify"
)

// The lab's load: what every scenario's verifier sends on each path.
const (
	// labLongRequest is the longest request the lab sends the field
	// report's app and ZeroDowntimeApp: the app's longest request as both
	// are deployed. ZeroDowntimeApp (stack local) runs with the program's
	// default zdt:maxRequestSeconds, 10 s, which sizes its deregistration
	// delay and shutdown timeout and is the app's MAX_DELAY (infra/app.go);
	// the field report's manifests set no MAX_DELAY, so its app serves up to
	// server.DefaultMaxDelay, 10 s too (load_test.go checks both).
	labLongRequest = 10 * time.Second
	// yamlLongRequest is the longest request of the app from Pulumi YAML:
	// examples/yaml declares maxRequestSeconds 5, and its deregistration
	// delay and shutdown are sized for that; longer requests would measure
	// a promise the app did not make.
	yamlLongRequest = 5 * time.Second
)

// labMix is the lab's request mix, with long requests of the given length:
// 70 % short GETs, 20 % long GETs, 10 % POSTs. No traffic profile comes
// with the field report; these shares are chosen, not measured, so that
// every kind is sent every second at the lab's 20 req/s (14 GETs, 4 long,
// 2 POSTs) and long requests are always in flight on every pod (4/s of
// 10 s: about 40 per path, a dozen per pod), which is what exercises the
// app's drain, its shutdown timeout and the ALB's deregistration delay. A
// tenth are POSTs, which no client may retry: a failure on one is a failure
// a user sees.
//
// Long requests all last the app's longest request rather than a spread up
// to it: the model's boundary (Timing.SafePropagationSeconds) is stated for
// requests of that length, and the one that tests it is a request of the
// full length routed at the last moment; spread delays would make most long
// requests shorter and the past-boundary rows fail fewer of them, so the lab
// would test less of the rule for the same load. Every long request then
// also has the same timeout, which keeps its failures readable.
func labMix(long time.Duration) verify.Mix {
	return verify.Mix{LongPercent: 20, LongDuration: long, PostPercent: 10}
}

// fieldReportLoad makes env send the field report's load: `while true; do
// curl -m 5 ...; sleep 0.5; done`, one short GET at a time per path, the
// next interval after the previous one ended (verify's closed loop), with
// the report's 5 s timeout. It reproduces the report's rows at its sampling.
func fieldReportLoad(env scenario.Env, interval time.Duration) scenario.Env {
	env.ClosedLoop = interval
	env.Mix = verify.Mix{}
	return env
}

// loadFor is the load a rollout of d runs under: the lab's mix, except for
// the field report's manifests, which get the report's own traffic, short
// GETs of "/" (its curl loop), at the lab's rate: the report's findings are
// about that load, and its app (naive: it exits at once on SIGTERM, no
// drain) would cut long requests in flight in a way no manifest tells
// zdt check. The mix is for the apps that promise a drain.
func loadFor(env scenario.Env, d scenario.Deployer) scenario.Env {
	if _, ok := d.(*scenario.FieldReport); ok {
		env.Mix = verify.Mix{}
	}
	return env
}

// requestSecondsOf is the longest request env's load asks the app for, in
// whole seconds rounded up: what the model's boundary must allow for (0 for
// short GETs only, which answer in milliseconds).
func requestSecondsOf(env scenario.Env) int {
	if env.Mix.LongPercent == 0 {
		return 0
	}
	return int(math.Ceil(env.Mix.LongDuration.Seconds()))
}
