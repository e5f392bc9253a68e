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
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/zdt-eks/zdt/app/image"
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

// atBoundary rolls from -> to with the emulated propagation fixed at the
// model's predicted boundary for the deployed app plus offset, then restores
// the run's setting.
func (r *runner) atBoundary(ctx context.Context, name string, d scenario.Deployer, from, to string, offset time.Duration) (scenario.Result, error) {
	b, err := r.deployedBoundary(ctx, d, from)
	if err != nil {
		return scenario.Result{Name: name}, err
	}
	p := emulator.FixedPropagation(time.Duration(b.SafePropagationSeconds)*time.Second + offset)
	r.step.say("%s: model boundary %s; emulated propagation fixed at %s on every ALB node", name, b, p)
	return r.atPropagation(ctx, name, d, from, to, p, b.SafePropagationSeconds)
}

// deployedBoundary deploys version unless the app runs it already (the
// boundary is read from the deployed objects) and returns the model's
// boundary for it.
func (r *runner) deployedBoundary(ctx context.Context, d scenario.Deployer, version string) (Boundary, error) {
	if r.at[d.Namespace()] != version {
		if err := d.Deploy(ctx, version); err != nil {
			return Boundary{}, fmt.Errorf("deploying %s: %w", version, err)
		}
		r.at[d.Namespace()] = version
	}
	return PredictBoundary(ctx, r.env.Client, d.Namespace(), d.Deployment(), r.settings, requestSecondsOf(loadFor(r.env, d)))
}

// atPropagation rolls from -> to with the emulated propagation p on every
// ALB node, then restores the run's setting.
func (r *runner) atPropagation(ctx context.Context, name string, d scenario.Deployer, from, to string, p emulator.Propagation, boundary int) (scenario.Result, error) {
	if err := r.emu.SetPropagation(p); err != nil {
		return scenario.Result{Name: name}, err
	}
	r.propagation = p
	defer func() {
		_ = r.emu.SetPropagation(r.settings.DeregistrationPropagation)
		r.propagation = r.settings.DeregistrationPropagation
	}()
	env := r.env
	env.Propagation = p.String()
	res, err := r.roll(ctx, env, name, d, from, to)
	res.BoundarySeconds = boundary
	return res, err
}

// fault rolls ZeroDowntimeApp from `from` to the never-ready version, which
// must fail `pulumi up` while `from` keeps serving.
func (r *runner) fault(ctx context.Context, name, from string) (scenario.Result, error) {
	res, err := r.roll(ctx, r.env, name, r.zda, from, versionNeverReady)
	if err == nil && res.DeployError == "" {
		err = fmt.Errorf("pulumi up of a version that never becomes ready succeeded")
	}
	return res, err
}

// sustained runs three consecutive `pulumi up` rollouts under SustainedRate.
// Each returns to a pod template whose ReplicaSet already exists (v1 and v2
// from the scenarios before): the rollbacks of issue 15.
func (r *runner) sustained(ctx context.Context, name string) ([]scenario.Result, error) {
	env := r.env
	env.Rate = r.opts.SustainedRate
	z := *r.zda
	z.Env = env
	var out []scenario.Result
	versions := []string{"v1", "v2", "v1", "v2"}
	for i := 1; i < len(versions); i++ {
		res, err := r.roll(ctx, env, fmt.Sprintf("%s #%d", name, i), &z, versions[i-1], versions[i])
		out = append(out, res)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// autoscaled moves the app under a HorizontalPodAutoscaler (zdt:maxReplicas)
// with a `pulumi up` of the version it runs, scales it through the scale
// subresource as the autoscaler would, then rolls it to the other version
// under load. The rollout must succeed (no field-manager conflict), keep the
// scaled count, and fail no request (asserted by the e2e test).
func (r *runner) autoscaled(ctx context.Context, name string) (scenario.Result, error) {
	z := *r.zda
	z.Extra = map[string]string{"zdt:maxReplicas": strconv.Itoa(autoscaledMax)}
	for k, v := range r.zda.Extra {
		z.Extra[k] = v
	}
	from, to := "v1", "v2"
	if r.at[z.NS] == "v2" {
		from, to = "v2", "v1"
	}
	if err := z.Deploy(ctx, from); err != nil {
		return scenario.Result{Name: name}, fmt.Errorf("adding the autoscaler: %w", err)
	}
	r.at[z.NS] = from
	if err := scenario.ScaleLikeAnAutoscaler(ctx, r.env.Client, z.NS, z.App, autoscaledTo, 3*time.Minute); err != nil {
		return scenario.Result{Name: name}, err
	}
	r.step.say("%s: scaled to %d through the scale subresource (field manager %s)", name, autoscaledTo, scenario.AutoscalerStandIn)
	res, err := r.roll(ctx, r.env, name, &z, from, to)
	if err != nil {
		return res, err
	}
	got, err := scenario.DesiredReplicas(ctx, r.env.Client, z.NS, z.App)
	if err != nil {
		return res, err
	}
	if got != autoscaledTo {
		return res, fmt.Errorf("pulumi up reset the autoscaled count: spec.replicas is %d, want %d", got, autoscaledTo)
	}
	r.step.say("%s: spec.replicas still %d after pulumi up", name, got)
	// Leave nothing behind: the stand-in owns spec.replicas now, and a later
	// run's `pulumi up` without the autoscaler would conflict with it (going
	// back from Autoscaling to a fixed count is not handled; issue 11).
	if err := z.Destroy(ctx); err != nil {
		return res, fmt.Errorf("destroying the autoscaled app: %w", err)
	}
	delete(r.at, z.NS)
	r.step.say("%s: destroyed, so the next run starts from scratch", name)
	return res, nil
}

// yamlProgram deploys examples/yaml (a ZeroDowntimeApp from Pulumi YAML,
// through the plugin and the YAML language host) at v1, rolls it to v2
// under load, then requires a preview without changes and a destroy that
// removes the app's namespace.
func (r *runner) yamlProgram(ctx context.Context, name string) (scenario.Result, error) {
	plugins, err := engine.PackagePlugins(r.opts.RepoDir)
	if err != nil {
		return scenario.Result{Name: name}, err
	}
	env := r.env
	if env.Mix.LongPercent > 0 {
		env.Mix.LongDuration = yamlLongRequest // the app's declared longest request
	}
	y := &scenario.YAMLApp{
		Env: env, Kubeconfig: r.kubeconfig, NS: "zdt-yaml", App: "demo-app", IngressHost: "yaml.lab.local",
		Engine: engine.Options{
			ProjectProgram: true, ProjectDir: filepath.Join(r.opts.RepoDir, "examples", "yaml"), Stack: "local",
			WorkDir: filepath.Join(r.opts.WorkDir, "engine-yaml"), Plugins: plugins,
			PulumiBin: r.opts.PulumiBin, PulumiHome: r.opts.PulumiHome, Progress: io.Discard,
		},
	}
	res, err := r.roll(ctx, env, name, y, "v1", "v2")
	if err != nil {
		return res, err
	}
	if err := r.noChanges(ctx, name, y, "v2"); err != nil {
		return res, err
	}
	if err := y.Destroy(ctx, "v2"); err != nil {
		return res, err
	}
	delete(r.at, y.NS)
	if err := scenario.NamespaceGone(ctx, r.env.Client, y.NS); err != nil {
		return res, fmt.Errorf("after destroy: %w", err)
	}
	r.step.say("%s: destroyed; namespace %s is gone or terminating", name, y.NS)
	return res, nil
}

// versionNeverReady names the image whose app never finishes booting.
const versionNeverReady = "never-ready"

// buildImages builds the demo app for v1 and v2, and a never-ready variant
// (the v2 binary told to boot for a day), and imports them into containerd.
func buildImages(ctx context.Context, step stepper, cl *cluster.Cluster, opts Options) (map[string]string, error) {
	dir := filepath.Join(opts.WorkDir, "images")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("images: %w", err)
	}
	builds := []struct {
		version, binVersion string
		env                 []string
	}{
		{"v1", "v1", nil},
		{"v2", "v2", nil},
		{versionNeverReady, versionNeverReady, []string{"BOOT_DELAY=24h"}},
	}
	refs := map[string]string{}
	for _, b := range builds {
		ref := "docker.io/zdt/demo-app:" + b.version
		refs[b.version] = ref
		bin := filepath.Join(dir, "app-"+b.version)
		step.say("image %s: go build ./app (static, version %s)", ref, b.binVersion)
		if err := image.BuildStaticBinary(ctx, image.GoBuild{Dir: opts.RepoDir, Package: "./app", Output: bin, Version: b.binVersion, Stderr: opts.Progress}); err != nil {
			return nil, fmt.Errorf("building the app %s: %w", b.version, err)
		}
		content, err := os.ReadFile(bin)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", bin, err)
		}
		spec := image.Spec{Binary: content, Version: b.binVersion, ExposedPorts: []string{"8080/tcp"}}
		if b.env != nil {
			spec.Env = append([]string{image.DefaultPath}, b.env...)
		}
		tarball := filepath.Join(dir, "demo-app-"+b.version+".oci.tar")
		if _, err := image.BuildTarball(spec, ref, tarball); err != nil {
			return nil, fmt.Errorf("image %s: %w", ref, err)
		}
		if err := cl.ImportImage(ctx, tarball); err != nil {
			return nil, fmt.Errorf("importing %s: %w", ref, err)
		}
		step.say("image %s imported into containerd", ref)
	}
	return refs, nil
}

// LabEmulatorSettings are the emulated AWS timings every scenario shares
// unless it fixes one on purpose: the emulator's defaults, each taken from
// the evidence cited on its Settings field (the deregistration propagation
// is a triangular 5/10/25 s distribution per ALB node), never chosen so that
// a scenario passes.
func LabEmulatorSettings() emulator.Settings {
	return emulator.DefaultSettings()
}

// startEmulator runs the LBC/ALB emulator in this process and registers its
// readiness-gate webhook with the apiserver.
func startEmulator(ctx context.Context, step stepper, cs kubernetes.Interface, opts Options, settings emulator.Settings) (*emulator.Emulator, func(), error) {
	logPath := filepath.Join(opts.WorkDir, "logs", "albemu.log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, nil, fmt.Errorf("emulator log: %w", err)
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, nil, fmt.Errorf("emulator log: %w", err)
	}
	emu, err := emulator.New(emulator.Config{
		Client: cs, Logger: slog.New(slog.NewJSONHandler(logFile, nil)),
		DataPlaneListen: "127.0.0.1:0", WebhookListen: "127.0.0.1:0", DebugListen: "127.0.0.1:0",
	}, settings)
	if err != nil {
		logFile.Close()
		return nil, nil, fmt.Errorf("emulator: %w", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- emu.Run(runCtx) }()
	select {
	case <-emu.Ready():
	case err := <-done:
		cancel()
		logFile.Close()
		return nil, nil, fmt.Errorf("emulator stopped before it was ready: %w", err)
	case <-ctx.Done():
		cancel()
		logFile.Close()
		return nil, nil, ctx.Err()
	}
	if err := emu.EnsureWebhookConfiguration(ctx); err != nil {
		cancel()
		logFile.Close()
		return nil, nil, fmt.Errorf("emulator webhook: %w", err)
	}
	step.say("emulator: data plane %s, debug %s/debug/targets, log %s", emu.DataPlaneAddr(), emu.DebugURL(), logPath)
	stop := func() {
		_ = emu.DeleteWebhookConfiguration(context.WithoutCancel(ctx))
		cancel()
		<-done
		_ = emu.Close()
		logFile.Close()
	}
	return emu, stop, nil
}

type stepper struct {
	w     io.Writer
	start time.Time
}

func (s stepper) say(format string, args ...any) {
	fmt.Fprintf(s.w, "==> [%6.1fs] %s\n", time.Since(s.start).Seconds(), fmt.Sprintf(format, args...))
}
