package emulator

import (
	"fmt"
	"time"
)

// HealthAggregation is how the ELB API (DescribeTargetHealth, which the LBC
// turns into the readiness gate) sums up the ALB nodes' own views of a
// target when each node checks it (Settings.PerNodeHealthChecks).
type HealthAggregation string

// The readings of the nodes' views. AWS documents none of them: the ALB user
// guide ("Health checks for Application Load Balancer target groups") says
// only that "each load balancer node checks the health of each target" and
// "routes requests only to the healthy targets", and DescribeTargetHealth
// returns one state per target.
const (
	// AggregateAny reports a target healthy as soon as one node finds it
	// healthy: the gate can turn True while other nodes have not checked
	// the target yet, the reading least favourable to a rollout.
	AggregateAny HealthAggregation = "any"
	// AggregateAll reports a target healthy only once every node does.
	AggregateAll HealthAggregation = "all"
)

// nodeView is one ALB node's health checks of a target: its own schedule
// (its own phase within the interval), its own counters, and the state it
// routes by. With Settings.PerNodeHealthChecks false every node shares
// view 0.
type nodeView struct {
	state       State
	reason      string
	description string

	checksStartAt time.Time // this node's first check
	nextCheck     time.Time
	checking      bool
	probeSeq      uint64
	passes        int
	failures      int

	// routeState is the state this node routes a deregistering target by
	// until it learns of the deregistration (the ELB API shows draining at
	// once).
	routeState State
}

// viewOf is the view ALB node n routes by.
func (t *target) viewOf(n int) *nodeView {
	if n < len(t.views) {
		return &t.views[n]
	}
	return &t.views[0]
}

// newViews starts the health checks of a (re-)registered target: one view,
// or one per ALB node, each with its own random phase within the interval
// after the registration delay (Settings.CheckPhaseJitter).
func (g *TargetGroup) newViews(now time.Time) []nodeView {
	n := 1
	if g.settings.PerNodeHealthChecks {
		n = g.nodes()
	}
	views := make([]nodeView, n)
	for i := range views {
		start := now.Add(g.settings.RegistrationDelay)
		if g.settings.CheckPhaseJitter && g.config.HealthCheck.Interval > 0 {
			start = start.Add(time.Duration(g.rng.Int64N(int64(g.config.HealthCheck.Interval))))
		}
		views[i] = nodeView{state: StateInitial, reason: ReasonRegistrationInProgress,
			description: DescRegistrationInProgress, checksStartAt: start, nextCheck: start}
	}
	return views
}

// applyResult updates one view with a check's result: a new target is healthy
// after one pass (Settings.InitialHealthyAfterOneCheck) or the healthy
// threshold; unhealthy after the unhealthy threshold of failures in a row.
func (v *nodeView) applyResult(r CheckResult, hc HealthCheckConfig, oneCheck bool) {
	if r.Healthy {
		v.passes, v.failures = v.passes+1, 0
		need := hc.HealthyThreshold
		if v.state == StateInitial && oneCheck {
			need = 1
		}
		if v.state != StateHealthy && v.passes >= need {
			v.state, v.reason, v.description = StateHealthy, "", ""
		}
		return
	}
	v.failures, v.passes = v.failures+1, 0
	if v.state == StateUnhealthy || v.failures >= hc.UnhealthyThreshold {
		// An unhealthy view keeps the latest failure's reason.
		v.state, v.reason, v.description = StateUnhealthy, r.Reason, r.Description
	}
}

// aggregate is the target's state as the ELB API reports it, from the
// nodes' views (Settings.HealthAggregation): healthy per the aggregation,
// else unhealthy when a node finds it so, else initial.
func aggregate(views []nodeView, how HealthAggregation) (State, string, string) {
	healthy, checking := 0, false
	var unhealthy *nodeView
	for i := range views {
		v := &views[i]
		switch {
		case v.state == StateHealthy:
			healthy++
		case v.state == StateUnhealthy && unhealthy == nil:
			unhealthy = v
		case v.reason == ReasonInitialHealthChecking:
			checking = true
		}
	}
	switch {
	case healthy == len(views) || (healthy > 0 && how != AggregateAll):
		return StateHealthy, "", ""
	case unhealthy != nil:
		return StateUnhealthy, unhealthy.reason, unhealthy.description
	case checking || healthy > 0:
		return StateInitial, ReasonInitialHealthChecking, DescInitialHealthChecking
	default:
		return StateInitial, ReasonRegistrationInProgress, DescRegistrationInProgress
	}
}

// nodeStates lists the nodes' own states of t, or nil when they share one.
func nodeStates(t *target) []State {
	if len(t.views) < 2 {
		return nil
	}
	out := make([]State, len(t.views))
	for i, v := range t.views {
		out[i] = v.state
	}
	return out
}

// validate reports an unknown aggregation.
func (a HealthAggregation) validate() error {
	switch a {
	case AggregateAny, AggregateAll:
		return nil
	default:
		return fmt.Errorf("must be %q or %q, got %q", AggregateAny, AggregateAll, a)
	}
}
