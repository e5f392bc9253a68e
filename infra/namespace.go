package infra

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zdt-eks/zdt/components/zerodowntime"
)

// newNamespace creates the app's namespace with the label that makes the
// AWS Load Balancer Controller inject pod readiness gates. It depends on
// the controller (when the program installs it): the controller's pod
// webhook must serve before pods land here, and on destroy the namespace
// (with the app's Ingress) goes before the controller, so the Ingress
// finalizer is still handled.
func newNamespace(ctx *pulumi.Context, cfg Config, provider pulumi.ProviderResource, deps []pulumi.Resource) (*corev1.Namespace, error) {
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
	return ns, nil
}
