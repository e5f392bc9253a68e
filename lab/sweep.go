package lab

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zdt-eks/zdt/internal/lbc"
	"github.com/zdt-eks/zdt/lab/emulator"
	"github.com/zdt-eks/zdt/lab/scenario"
)

// The sweep rolls each of several configurations at fixed emulated
// propagations, each point repeated, so the failure boundary the timing
// model predicts for each configuration can be seen against what the lab
// measures on both sides of it (issue 10, item 5). It is not part of CI
// (each point is a full rollout under load): `make lab-sweep`.

// Sweep configurations: the field report's steps 3 and 4 (kubectl-style
// manifests), ZeroDowntimeApp with its defaults, and ZeroDowntimeApp given
// a larger propagation allowance.
const (
	SweepStep3     = ScenarioPreStop
	SweepStep4     = ScenarioReadinessGate
	SweepZDA       = ScenarioZeroDowntime
	SweepAllowance = "ZeroDowntimeApp allowance"
)

// One-batch configurations: the field report's step 4 as a single-replica
// service would run it, with a 30 s ALB health-check interval, so each
// rollout replaces every pod in one batch. Each ALB node checks the new pod
// on its own schedule while the gate may follow the first node's pass
// (emulator PerNodeHealthChecks, HealthAggregation any): without a
// minReadySeconds of one interval a node can lose the old pod before it has
// found the new one healthy (zerodowntime.Timing.MinReadySecondsRequired).
// Not in the default sweep: `make lab-one-batch`.
const (
	SweepOneReplica         = "4-readiness-gate one replica"
	SweepOneReplicaMinReady = "4-readiness-gate one replica minReady"
)

// oneBatchIntervalSeconds is the one-batch configurations' health-check
// interval: the ELB API allows 5..300 s; the LBC's 15 s default lines up
// with its 15 s gate re-check, which hides most of the window (README,
// "One batch"), so the next common setting up.
const oneBatchIntervalSeconds = 30

// SweepConfigs is every sweep configuration, in the order points roll.
var SweepConfigs = []string{SweepStep3, SweepStep4, SweepZDA, SweepAllowance, SweepOneReplica, SweepOneReplicaMinReady}

// DefaultSweepConfigs are the configurations a sweep rolls when none are
// named: the boundary's four.
var DefaultSweepConfigs = SweepConfigs[:4]

// allowanceSeconds is the larger allowance's zdt:deregistrationPropagationSeconds:
// the LBC issue tracker's reports reach 40 s with rare 502s left (#2106), so
// the next step up; its predicted boundary lies inside the grid
// (up to 60 s), so the sweep can show it from both sides.
const allowanceSeconds = 45

// The allowance app runs beside the default one, in its own namespace and
// state (a different preStop in the same namespace would be a rollout).
const (
	allowanceNS   = "zdt-allowance"
	allowanceHost = "allowance.lab.local"
)

// sweepName matches "<config> at <duration>" with an optional " #<repeat>".
var sweepName = regexp.MustCompile(`^(.+) at ([0-9][0-9a-zµ.]*)(?: #([0-9]+))?$`)

// SweepPoint is one rollout of a sweep.
type SweepPoint struct {
	// Config is one of SweepConfigs.
	Config string
	// Propagation is the emulated propagation fixed on every ALB node.
	Propagation time.Duration
	// Repeat counts from 1.
	Repeat int
}

// Name is the point's scenario name, e.g. "ZeroDowntimeApp at 26s #2".
func (p SweepPoint) Name() string {
	return fmt.Sprintf("%s at %s #%d", p.Config, p.Propagation, p.Repeat)
}

// ParseSweepScenario returns the sweep point a scenario name describes.
func ParseSweepScenario(name string) (SweepPoint, bool) {
	m := sweepName.FindStringSubmatch(name)
	if m == nil || !slices.Contains(SweepConfigs, m[1]) {
		return SweepPoint{}, false
	}
	d, err := time.ParseDuration(m[2])
	if err != nil || d <= 0 {
		return SweepPoint{}, false
	}
	p := SweepPoint{Config: m[1], Propagation: d, Repeat: 1}
	if m[3] != "" {
		if n, err := strconv.Atoi(m[3]); err != nil || n < 1 {
			return SweepPoint{}, false
		} else {
			p.Repeat = n
		}
	}
	return p, true
}

// ParseSweep turns "2s,5s,8s", the configurations (empty: all) and the
// repeat count into the sweep's scenario names: for each propagation, each
// repeat, each configuration, so slow drift of the machine touches every
// configuration alike.
func ParseSweep(list string, configs []string, repeats int) ([]string, error) {
	if repeats < 1 {
		return nil, fmt.Errorf("sweep: --repeat %d: want at least 1", repeats)
	}
	if len(configs) == 0 {
		configs = DefaultSweepConfigs
	}
	for _, c := range configs {
		if !slices.Contains(SweepConfigs, c) {
			return nil, fmt.Errorf("sweep: configuration %q unknown (known: %s)", c, strings.Join(SweepConfigs, ", "))
		}
	}
	var names []string
	for _, f := range strings.Split(list, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(f))
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("sweep: %q is not a positive duration such as 26s", f)
		}
		for rep := 1; rep <= repeats; rep++ {
			for _, c := range configs {
				names = append(names, SweepPoint{Config: c, Propagation: d, Repeat: rep}.Name())
			}
		}
	}
	return names, nil
}

// sweepDeployer is the app a sweep configuration rolls.
func (r *runner) sweepDeployer(config string) scenario.Deployer {
	switch config {
	case SweepStep3:
		return r.fieldReport(scenario.StepPreStop)
	case SweepStep4:
		return r.fieldReport(scenario.StepReadinessGate)
	case SweepOneReplica:
		return r.oneReplica("one", 0)
	case SweepOneReplicaMinReady:
		return r.oneReplica("one-mr", oneBatchIntervalSeconds)
	case SweepAllowance:
		z := *r.zda
		z.NS, z.IngressHost = allowanceNS, allowanceHost
		z.Engine.WorkDir = filepath.Join(r.opts.WorkDir, "engine-allowance")
		z.Extra = map[string]string{"zdt:deregistrationPropagationSeconds": strconv.Itoa(allowanceSeconds)}
		for k, v := range r.zda.Extra {
			z.Extra[k] = v
		}
		return &z
	}
	return r.zda
}

// sweepPoint rolls one configuration once at a fixed propagation,
// alternating between v1 and v2, with the model's boundary for the deployed
// app recorded beside it.
func (r *runner) sweepPoint(ctx context.Context, name string, p SweepPoint) (scenario.Result, error) {
	d := r.sweepDeployer(p.Config)
	from, to := "v1", "v2"
	if r.at[d.Namespace()] == "v2" {
		from, to = "v2", "v1"
	}
	b, err := r.deployedBoundary(ctx, d, from)
	if err != nil {
		return scenario.Result{Name: name}, err
	}
	r.step.say("%s: model boundary %s", name, b)
	return r.atPropagation(ctx, name, d, from, to, emulator.FixedPropagation(p.Propagation), b.SafePropagationSeconds)
}

// oneReplica is the field report's step 4 with one replica, a
// oneBatchIntervalSeconds health check and the given minReadySeconds, in its
// own namespace and host (suffix tells them apart).
func (r *runner) oneReplica(suffix string, minReady int32) *scenario.FieldReport {
	f := r.fieldReport(scenario.StepReadinessGate)
	f.NS += "-" + suffix
	f.IngressHost = "fr4-" + suffix + ".lab.local"
	f.Edit = func(o *scenario.FieldReportObjects) {
		one := int32(1)
		o.Deployment.Spec.Replicas = &one
		o.Deployment.Spec.MinReadySeconds = minReady
		o.Ingress.Annotations[lbc.AnnotationHealthCheckInt] = strconv.Itoa(oneBatchIntervalSeconds)
	}
	return f
}
