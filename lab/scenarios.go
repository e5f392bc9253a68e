package lab

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/zdt-eks/zdt/engine"
	"github.com/zdt-eks/zdt/lab/emulator"
	"github.com/zdt-eks/zdt/lab/scenario"
)

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
