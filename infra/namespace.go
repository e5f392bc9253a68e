package infra

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zdt-eks/zdt/components/zerodowntime"
)

// Namespace is the app's namespace, labelled for readiness-gate injection:
// created by the program, or an existing one that only gets the label.
type Namespace struct {
	// Name is the namespace's name, resolved once it exists (or is labelled).
	Name pulumi.StringOutput
	// Resource is what the app's objects depend on.
	Resource pulumi.Resource
}

// newNamespace creates the app's namespace with the label that makes the
// AWS Load Balancer Controller inject pod readiness gates, or, with
// zdt:namespaceExists (and not rendering), labels the existing one
// (labelNamespace). It depends on the controller (when the program
// installs it): the controller's pod webhook must serve before pods land
// here, and on destroy the namespace (with the app's Ingress) goes before
// the controller, so the Ingress finalizer is still handled.
//
// A rendering always shows the whole Namespace with its label: it reaches
// no cluster, so there is nothing to patch.
func newNamespace(ctx *pulumi.Context, cfg Config, provider pulumi.ProviderResource, deps []pulumi.Resource) (*Namespace, error) {
	if cfg.NamespaceExists && !cfg.Rendering() {
		return labelNamespace(ctx, cfg, provider, deps)
	}
	ns, err := corev1.NewNamespace(ctx, cfg.Namespace, &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name: pulumi.String(cfg.Namespace),
			Labels: pulumi.StringMap{
				zerodowntime.ReadinessGateInjectLabel: pulumi.String(zerodowntime.ReadinessGateInjectValue),
				"app.kubernetes.io/managed-by":        pulumi.String("pulumi"),
			},
		},
	}, pulumi.Provider(provider), pulumi.DependsOn(deps))
	if err != nil {
		return nil, fmt.Errorf("namespace %q: %w", cfg.Namespace, err)
	}
	return &Namespace{Name: ns.Metadata.Name().Elem(), Resource: ns}, nil
}

// labelNamespace applies only the readiness-gate label to a namespace that
// exists already (a team's), by server-side apply with its own field
// manager (a Patch resource). The namespace is never created, adopted or
// deleted: on destroy the provider gives up the fields this patch manages,
// so the label goes and the namespace stays. A namespace that does not
// exist fails `up` (the patch has nothing to apply to).
func labelNamespace(ctx *pulumi.Context, cfg Config, provider pulumi.ProviderResource, deps []pulumi.Resource) (*Namespace, error) {
	patch, err := corev1.NewNamespacePatch(ctx, cfg.Namespace, &corev1.NamespacePatchArgs{
		Metadata: &metav1.ObjectMetaPatchArgs{
			Name: pulumi.String(cfg.Namespace),
			Labels: pulumi.StringMap{
				zerodowntime.ReadinessGateInjectLabel: pulumi.String(zerodowntime.ReadinessGateInjectValue),
			},
		},
	}, pulumi.Provider(provider), pulumi.DependsOn(deps))
	if err != nil {
		return nil, fmt.Errorf("namespace %q label: %w", cfg.Namespace, err)
	}
	return &Namespace{Name: patch.Metadata.Name().Elem(), Resource: patch}, nil
}
