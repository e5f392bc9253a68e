package scenario

import (
	"context"
	"fmt"

	"github.com/zdt-eks/zdt/engine"
)

// ZeroDowntimeApp deploys the demo app through the real Pulumi engine: the
// same program function as `pulumi up` (infra.Program), stack `local` (or
// another stack of the program, e.g. `existing`), with the CLI and
// kubernetes provider the lab built, against the lab's cluster.
type ZeroDowntimeApp struct {
	Env Env
	// Engine holds everything but Action and the per-version config.
	Engine engine.Options
	// NS, App and IngressHost set zdt:namespace, zdt:appName and zdt:host.
	NS, App, IngressHost string
	// ImageKey is the config key that takes the version's image: the local
	// stack's zdt:localImage when empty; the existing platform's zdt:image.
	ImageKey string
	// Extra config applied to every deploy (e.g. zdt:kubeconfigPath).
	Extra map[string]string
}

// config is the stack's configuration for one version.
func (z *ZeroDowntimeApp) config(version string) (map[string]string, error) {
	image, ok := z.Env.Images[version]
	if !ok {
		return nil, fmt.Errorf("no image for version %q", version)
	}
	key := z.ImageKey
	if key == "" {
		key = "zdt:localImage"
	}
	cfg := map[string]string{
		key:              image,
		"zdt:appVersion": version,
		"zdt:namespace":  z.NS,
		"zdt:appName":    z.App,
		"zdt:host":       z.IngressHost,
	}
	for k, v := range z.Extra {
		cfg[k] = v
	}
	return cfg, nil
}

// run runs one engine action with the version's configuration.
func (z *ZeroDowntimeApp) run(ctx context.Context, action engine.Action, version string) (engine.Result, error) {
	cfg, err := z.config(version)
	if err != nil {
		return engine.Result{}, err
	}
	opts := z.Engine
	opts.Action, opts.Config = action, cfg
	return engine.Run(ctx, opts)
}

// Deploy runs `pulumi up` of the stack with the version's image.
func (z *ZeroDowntimeApp) Deploy(ctx context.Context, version string) error {
	res, err := z.run(ctx, engine.Up, version)
	if err != nil {
		return fmt.Errorf("pulumi up (%s): %w", version, err)
	}
	logf(z.Env, "  pulumi up %s: %s", version, res)
	return nil
}

// PreviewHasChanges runs `pulumi preview` for the version now deployed:
// after an up it must show no changes (no perpetual diff).
func (z *ZeroDowntimeApp) PreviewHasChanges(ctx context.Context, version string) (bool, string, error) {
	res, err := z.run(ctx, engine.Preview, version)
	if err != nil {
		return false, "", fmt.Errorf("pulumi preview (%s): %w", version, err)
	}
	return res.HasChanges(), res.String(), nil
}

// Destroy runs `pulumi destroy` of the stack.
func (z *ZeroDowntimeApp) Destroy(ctx context.Context) error {
	opts := z.Engine
	opts.Action = engine.Destroy
	opts.Config = z.Extra
	if _, err := engine.Run(ctx, opts); err != nil {
		return fmt.Errorf("pulumi destroy: %w", err)
	}
	return nil
}

// Namespace implements Deployer.
func (z *ZeroDowntimeApp) Namespace() string { return z.NS }

// Deployment implements Deployer.
func (z *ZeroDowntimeApp) Deployment() string { return z.App }

// Service implements Deployer.
func (z *ZeroDowntimeApp) Service() string { return z.App }

// Host implements Deployer.
func (z *ZeroDowntimeApp) Host() string { return z.IngressHost }
