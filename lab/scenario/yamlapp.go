package scenario

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/zdt-eks/zdt/engine"
)

// YAMLApp deploys examples/yaml, a Pulumi YAML program that creates a
// ZeroDowntimeApp through the component package's plugin
// (pulumi-resource-zdt) and the YAML language host, through the real engine
// against the lab's cluster: the path another team's program takes.
type YAMLApp struct {
	Env Env
	// Engine holds the project dir, plugins and tools; Action and Config
	// are set per call.
	Engine engine.Options
	// Kubeconfig is the cluster's kubeconfig path (absolute).
	Kubeconfig string
	// NS, App and IngressHost are the program's namespace, appName and host.
	NS, App, IngressHost string
}

// config is the program's configuration for one version.
func (y *YAMLApp) config(version string) (map[string]string, error) {
	image, ok := y.Env.Images[version]
	if !ok {
		return nil, fmt.Errorf("no image for version %q", version)
	}
	return map[string]string{
		"kubeconfig":      y.Kubeconfig,
		"image":           image,
		"appVersion":      version,
		"imagePullPolicy": "Never", // imported into the node's containerd
		"namespace":       y.NS,
		"appName":         y.App,
		"host":            y.IngressHost,
		"bootSeconds":     fmt.Sprint(y.Env.BootSeconds),
	}, nil
}

// run runs one engine action with the version's configuration.
func (y *YAMLApp) run(ctx context.Context, action engine.Action, version string) (engine.Result, error) {
	cfg, err := y.config(version)
	if err != nil {
		return engine.Result{}, err
	}
	opts := y.Engine
	opts.Action, opts.Config = action, cfg
	return engine.Run(ctx, opts)
}

// Deploy runs `pulumi up` of the YAML program with the version's image.
func (y *YAMLApp) Deploy(ctx context.Context, version string) error {
	res, err := y.run(ctx, engine.Up, version)
	if err != nil {
		return fmt.Errorf("pulumi up (YAML, %s): %w", version, err)
	}
	logf(y.Env, "  pulumi up %s (YAML program): %s", version, res)
	return nil
}

// PreviewHasChanges runs `pulumi preview` for the version now deployed:
// after an up it must show no changes (no perpetual diff).
func (y *YAMLApp) PreviewHasChanges(ctx context.Context, version string) (bool, string, error) {
	res, err := y.run(ctx, engine.Preview, version)
	if err != nil {
		return false, "", fmt.Errorf("pulumi preview (YAML, %s): %w", version, err)
	}
	return res.HasChanges(), res.String(), nil
}

// Destroy runs `pulumi destroy` of the YAML program.
func (y *YAMLApp) Destroy(ctx context.Context, version string) error {
	if _, err := y.run(ctx, engine.Destroy, version); err != nil {
		return fmt.Errorf("pulumi destroy (YAML): %w", err)
	}
	return nil
}

// Namespace implements Deployer.
func (y *YAMLApp) Namespace() string { return y.NS }

// Deployment implements Deployer.
func (y *YAMLApp) Deployment() string { return y.App }

// Service implements Deployer.
func (y *YAMLApp) Service() string { return y.App }

// Host implements Deployer.
func (y *YAMLApp) Host() string { return y.IngressHost }

// NamespaceGone checks that a destroy removed the namespace: absent, or
// terminating (deletion finishes asynchronously).
func NamespaceGone(ctx context.Context, cs kubernetes.Interface, ns string) error {
	got, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("reading namespace %s: %w", ns, err)
	case got.DeletionTimestamp != nil:
		return nil
	}
	return fmt.Errorf("namespace %s still exists and is not being deleted", ns)
}
