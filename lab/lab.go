// Package lab is the local proving ground: a real Kubernetes on this
// machine (lab/cluster), an emulated AWS Load Balancer Controller and ALB
// (lab/emulator), the demo app's images, and the rollout scenarios
// (lab/scenario) — the field report's four manifests and ZeroDowntimeApp
// deployed through the real Pulumi engine — each measured by the rollout
// verifier.
package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/zdt-eks/zdt/engine"
	"github.com/zdt-eks/zdt/infra"
	"github.com/zdt-eks/zdt/lab/cluster"
	"github.com/zdt-eks/zdt/lab/emulator"
	"github.com/zdt-eks/zdt/lab/scenario"
)

// Scenario names, in the order they run.
const (
	ScenarioNoProbes      = "1-no-probes"
	ScenarioProbes        = "2-probes"
	ScenarioPreStop       = "3-prestop"
	ScenarioReadinessGate = "4-readiness-gate"
	ScenarioZeroDowntime  = "ZeroDowntimeApp"
	ScenarioNeverReady    = "fault-never-ready"
	ScenarioSustained     = "sustained-3-rollouts"

	// The falsification scenarios run at a fixed emulated propagation on
	// either side of the boundary the timing model predicts for the app as
	// deployed (PredictBoundary): a claim that cannot fail is not measured.
	ScenarioReadinessGateOver = "4-readiness-gate past-boundary"
	ScenarioZeroDowntimeUnder = "ZeroDowntimeApp under-boundary"
	ScenarioZeroDowntimeOver  = "ZeroDowntimeApp past-boundary"
	// ScenarioNeverReadyAgain rolls back to the good version, then to the
	// broken one a second time: its ReplicaSet exists already, which must
	// still fail `pulumi up` (issue 15).
	ScenarioNeverReadyAgain = "fault-never-ready-again"
	// ScenarioAutoscaled puts the running app under a
	// HorizontalPodAutoscaler, scales it as the autoscaler would, and rolls
	// it: the `pulumi up` must neither conflict nor reset the count. It runs
	// last: it leaves spec.replicas to the autoscaler's field manager.
	ScenarioAutoscaled = "ZeroDowntimeApp autoscaled"
	// ScenarioYAML rolls the same app created from a Pulumi YAML program
	// through the component package (plugin + YAML language host), then
	// previews (no changes allowed) and destroys it (issue 14).
	ScenarioYAML = "ZeroDowntimeApp from YAML"
	// ScenarioExisting deploys through the program's `existing` stack into
	// a namespace created beforehand, rolls under load, and destroys: the
	// namespace must stay, without the readiness-gate label (issue 12).
	ScenarioExisting = "ZeroDowntimeApp existing platform"
	// ScenarioEvicted evicts every pod of the running app through the
	// Eviction API, as a node drain does, under load (lab/faults.go).
	ScenarioEvicted = "fault-evicted"
	// ScenarioLBCStoppedIgnore and ScenarioLBCStopped roll the app with the
	// emulated LBC down, its pod webhook's failurePolicy Ignore (the LBC
	// chart's default) and Fail (lab/faults.go).
	ScenarioLBCStoppedIgnore = "fault-lbc-stopped-ignore"
	ScenarioLBCStopped       = "fault-lbc-stopped-fail"
)

// The autoscaled scenario's counts: zdt:replicas (3) is the autoscaler's
// minimum; the stand-in scales to autoscaledTo, within autoscaledMax.
const (
	autoscaledMax = 6
	autoscaledTo  = 5
)

// Falsification margins around the predicted boundary: under it by more
// than the EndpointSlice lag the model allows for, past it by enough that
// every ALB node routes to a stopped pod for several seconds at 20 req/s.
const (
	underBoundary = 3 * time.Second
	pastBoundary  = 5 * time.Second
)

// AllScenarios is every scenario, in order.
var AllScenarios = []string{
	ScenarioNoProbes, ScenarioProbes, ScenarioPreStop, ScenarioReadinessGate,
	ScenarioZeroDowntime, ScenarioYAML, ScenarioExisting, ScenarioReadinessGateOver, ScenarioZeroDowntimeUnder, ScenarioZeroDowntimeOver,
	ScenarioNeverReady, ScenarioNeverReadyAgain, ScenarioSustained,
	ScenarioEvicted, ScenarioLBCStoppedIgnore, ScenarioLBCStopped, ScenarioAutoscaled,
}

// Options configure a lab run.
type Options struct {
	// RepoDir is the repository root; WorkDir holds all state (default
	// <repo>/work/lab).
	RepoDir, WorkDir string
	// Scenarios to run; empty means AllScenarios.
	Scenarios []string
	// Rate is the verifier's rate per path in req/s (default 20, the
	// field report's curl loop was 2); the sustained scenario uses
	// SustainedRate (default 100). The load is the lab's mix (labMix).
	Rate, SustainedRate int
	// ClosedLoop, when positive, replaces the lab's load by the field
	// report's (fieldReportLoad): one short GET at a time per path, the
	// next ClosedLoop after the previous one ended (the report's 500 ms),
	// so its rows can be compared at its own sampling. Rate and the mix
	// are then unused. Not part of the e2e.
	ClosedLoop time.Duration
	// PulumiBin and PulumiHome locate the CLI and the kubernetes plugin;
	// empty means the ones `make engine-tools` put in the cache
	// (engine.CachedTools).
	PulumiBin, PulumiHome string
	// Emulator are the emulated AWS timings (default emulator.DefaultSettings).
	Emulator *emulator.Settings
	// KeepCluster leaves the cluster running afterwards.
	KeepCluster bool
	// Progress receives human-readable progress (default stdout).
	Progress io.Writer
}

// Run brings the lab up, runs the scenarios and tears it down (unless
// KeepCluster). It returns every scenario's result, also when one fails.
func Run(ctx context.Context, opts Options) ([]scenario.Result, error) {
	if opts.Progress == nil {
		opts.Progress = os.Stdout
	}
	if opts.WorkDir == "" {
		opts.WorkDir = filepath.Join(opts.RepoDir, "work", "lab")
	}
	if len(opts.Scenarios) == 0 {
		opts.Scenarios = AllScenarios
	}
	if opts.Rate == 0 {
		opts.Rate = 20
	}
	if opts.SustainedRate == 0 {
		opts.SustainedRate = 100
	}
	if opts.PulumiBin == "" || opts.PulumiHome == "" {
		tools, err := engine.CachedTools(opts.RepoDir)
		if err != nil {
			return nil, fmt.Errorf("locating the Pulumi tools: %w", err)
		}
		opts.PulumiBin, opts.PulumiHome = tools.PulumiBin, tools.PulumiHome
	}
	if _, err := os.Stat(opts.PulumiBin); err != nil {
		return nil, fmt.Errorf("the Pulumi CLI is missing (%w): run make engine-tools", err)
	}
	step := stepper{w: opts.Progress, start: time.Now()}

	step.say("cluster: starting (etcd, apiserver, controller-manager, scheduler, containerd, kubelet, kube-proxy)")
	cl, err := cluster.Up(ctx, cluster.Config{WorkDir: opts.WorkDir, RepoDir: opts.RepoDir, Progress: opts.Progress})
	if err != nil {
		return nil, fmt.Errorf("cluster up: %w", err)
	}
	if !opts.KeepCluster {
		defer func() {
			step.say("cluster: tearing down")
			if err := cluster.DownTo(context.WithoutCancel(ctx), opts.WorkDir, opts.Progress); err != nil {
				step.say("cluster: teardown failed: %v", err)
			}
		}()
	}
	cs, err := cl.Clientset()
	if err != nil {
		return nil, err
	}

	images, err := buildImages(ctx, step, cl, opts)
	if err != nil {
		return nil, err
	}

	settings := LabEmulatorSettings()
	if opts.Emulator != nil {
		settings = *opts.Emulator
	}
	emu, stopEmu, err := startEmulator(ctx, step, cs, opts, settings)
	if err != nil {
		return nil, err
	}
	defer stopEmu()

	env := scenario.Env{
		Client:         cs,
		ExternalURL:    "http://" + emu.DataPlaneAddr() + "/",
		Images:         images,
		BootSeconds:    10, // the field report's app
		Rate:           opts.Rate,
		Mix:            labMix(labLongRequest),
		Timeout:        5 * time.Second, // the field report's curl --max-time 5
		Settle:         5 * time.Second,
		RolloutTimeout: 10 * time.Minute,
		Log:            opts.Progress,
		ALB:            emu,
		Propagation:    settings.DeregistrationPropagation.String(),
		LBC:            lbcVersion(settings),
		HealthChecks:   healthChecks(settings),
	}
	if opts.ClosedLoop > 0 {
		env = fieldReportLoad(env, opts.ClosedLoop)
	}
	zda := &scenario.ZeroDowntimeApp{
		Env: env, NS: "zdt-demo", App: "demo-app", IngressHost: "zdt.lab.local",
		Engine: engine.Options{
			Program: infra.Program, Stack: "local", ProjectDir: opts.RepoDir,
			WorkDir:   filepath.Join(opts.WorkDir, "engine"),
			PulumiBin: opts.PulumiBin, PulumiHome: opts.PulumiHome, Progress: io.Discard,
		},
		Extra: map[string]string{"zdt:kubeconfigPath": cl.Kubeconfig()},
	}

	r := &runner{env: env, zda: zda, opts: opts, emu: emu, settings: settings, step: step, at: map[string]string{},
		propagation: settings.DeregistrationPropagation, kubeconfig: cl.Kubeconfig()}
	var results []scenario.Result
	for _, name := range opts.Scenarios {
		step.say("scenario %s", name)
		rs, err := r.run(ctx, name)
		results = append(results, rs...)
		if err != nil {
			return results, fmt.Errorf("scenario %s: %w", name, err)
		}
	}
	step.say("all scenarios done")
	return results, nil
}

// runner runs the named scenarios on one cluster and emulator.
type runner struct {
	env      scenario.Env
	zda      *scenario.ZeroDowntimeApp
	opts     Options
	emu      *emulator.Emulator
	settings emulator.Settings
	step     stepper
	// at is the version each app's namespace was last rolled to (for a
	// failed deploy, the broken version its Deployment is stuck on), so a
	// scenario deploys its starting version only when needed.
	at map[string]string
	// propagation is the emulated ALB's current propagation setting.
	propagation emulator.Propagation
	// kubeconfig is the cluster's kubeconfig path.
	kubeconfig string
}

// roll runs one measured rollout from -> to, deploying `from` first unless
// the app already runs it, and records where the app is afterwards.
func (r *runner) roll(ctx context.Context, env scenario.Env, name string, d scenario.Deployer, from, to string) (scenario.Result, error) {
	return r.measure(ctx, env, d, from, to, func(env scenario.Env, alreadyDeployed bool) (scenario.Result, error) {
		return scenario.Rollout(ctx, env, name, d, from, to, alreadyDeployed)
	})
}

// measure runs one measurement of d under env's load for d (loadFor) that
// starts from version `from` (told whether the app runs it already) and
// leaves the app at `to`, records where the app is afterwards and sets zdt
// check's prediction beside it.
func (r *runner) measure(ctx context.Context, env scenario.Env, d scenario.Deployer, from, to string, run func(env scenario.Env, alreadyDeployed bool) (scenario.Result, error)) (scenario.Result, error) {
	ns := d.Namespace()
	env = loadFor(env, d)
	res, err := run(env, r.at[ns] == from)
	if err != nil && res.Report == nil {
		delete(r.at, ns) // stopped part-way: unknown
		return res, err
	}
	r.at[ns] = to
	var perr error
	res.Predicted, res.Findings, perr = r.predict(ctx, env, ns)
	ferr := r.floor(ctx, d, &res)
	return res, errors.Join(err, perr, ferr)
}

// fieldReport is the deployer of one of the field report's steps.
func (r *runner) fieldReport(st scenario.FieldReportStep) *scenario.FieldReport {
	return &scenario.FieldReport{Env: r.env, Step: st, NS: fmt.Sprintf("field-report-%d", st), IngressHost: fmt.Sprintf("fr%d.lab.local", st)}
}

// run runs one named scenario; the sustained one yields one result per
// rollout.
func (r *runner) run(ctx context.Context, name string) ([]scenario.Result, error) {
	one := func(res scenario.Result, err error) ([]scenario.Result, error) { return []scenario.Result{res}, err }
	steps := map[string]scenario.FieldReportStep{
		ScenarioNoProbes: scenario.StepNoProbes, ScenarioProbes: scenario.StepProbes,
		ScenarioPreStop: scenario.StepPreStop, ScenarioReadinessGate: scenario.StepReadinessGate,
	}
	if st, ok := steps[name]; ok {
		return one(r.roll(ctx, r.env, name, r.fieldReport(st), "v1", "v2"))
	}
	switch name {
	case ScenarioZeroDowntime:
		return one(r.roll(ctx, r.env, name, r.zda, "v1", "v2"))
	case ScenarioReadinessGateOver:
		return one(r.atBoundary(ctx, name, r.fieldReport(scenario.StepReadinessGate), "v2", "v1", pastBoundary))
	case ScenarioZeroDowntimeUnder:
		return one(r.atBoundary(ctx, name, r.zda, "v2", "v1", -underBoundary))
	case ScenarioZeroDowntimeOver:
		return one(r.atBoundary(ctx, name, r.zda, "v1", "v2", pastBoundary))
	case ScenarioNeverReady, ScenarioNeverReadyAgain:
		// A version that never becomes ready must halt the rollout with v2
		// still serving: pulumi up fails, no request does. The second time
		// starts from the stuck broken version: back to v2 (its ReplicaSet
		// exists), then to the broken one again (its ReplicaSet exists too).
		return one(r.fault(ctx, name, "v2"))
	case ScenarioSustained:
		return r.sustained(ctx, name)
	case ScenarioAutoscaled:
		return one(r.autoscaled(ctx, name))
	case ScenarioYAML:
		return one(r.yamlProgram(ctx, name))
	case ScenarioExisting:
		return one(r.existingPlatform(ctx, name))
	case ScenarioEvicted:
		return one(r.evicted(ctx, name))
	case ScenarioLBCStopped, ScenarioLBCStoppedIgnore:
		return one(r.lbcStopped(ctx, name))
	}
	if d, ok := ParseSweepScenario(name); ok {
		return one(r.sweepPoint(ctx, name, d))
	}
	return nil, fmt.Errorf("unknown scenario %q (known: %v)", name, AllScenarios)
}
