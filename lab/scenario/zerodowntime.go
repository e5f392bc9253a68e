package scenario

import (
	"context"
	"fmt"

	"github.com/zdt-eks/zdt/engine"
)

// ZeroDowntimeApp deploys the demo app through the real Pulumi engine: the
// same program function as `pulumi up` (infra.Program), stack `local`, with
// the CLI and kubernetes provider the lab built, against the lab's cluster.
type ZeroDowntimeApp struct {
	Env Env
	// Engine holds everything but Action and the per-version config.
	Engine engine.Options
	// NS, App and IngressHost set zdt:namespace, zdt:appName and zdt:host.
	NS, App, IngressHost string
	// Extra config applied to every deploy (e.g. zdt:kubeconfigPath).
	Extra map[string]string
}

// Deploy runs `pulumi up` of the local stack with the version's image.
func (z *ZeroDowntimeApp) Deploy(ctx context.Context, version string) error {
	image, ok := z.Env.Images[version]
	if !ok {
		return fmt.Errorf("no image for version %q", version)
	}
	opts := z.Engine
	opts.Action = engine.Up
	opts.Config = map[string]string{
		"zdt:localImage": image,
		"zdt:appVersion": version,
		"zdt:namespace":  z.NS,
		"zdt:appName":    z.App,
		"zdt:host":       z.IngressHost,
	}
	for k, v := range z.Extra {
		opts.Config[k] = v
	}
	res, err := engine.Run(ctx, opts)
	if err != nil {
		return fmt.Errorf("pulumi up (%s): %w", version, err)
	}
	logf(z.Env, "  pulumi up %s: %s", version, res)
	return nil
}

// Destroy runs `pulumi destroy` of the stack.
func (z *ZeroDowntimeApp) Destroy(ctx context.Context) error {
	opts := z.Engine
	opts.Action = engine.Destroy
	_, err := engine.Run(ctx, opts)
	return err
}

// Namespace implements Deployer.
func (z *ZeroDowntimeApp) Namespace() string { return z.NS }

// Deployment implements Deployer.
func (z *ZeroDowntimeApp) Deployment() string { return z.App }

// Service implements Deployer.
func (z *ZeroDowntimeApp) Service() string { return z.App }

// Host implements Deployer.
func (z *ZeroDowntimeApp) Host() string { return z.IngressHost }
