package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// renderImageRepo is the placeholder image repository of a rendering on the
// eks platform. At `up` the Deployment's image is <ECR repository
// URL>@sha256:<digest of the build>, both produced by AWS and Docker; a
// rendering creates neither, so it shows renderImageRepo:<appVersion>
// instead. The .invalid TLD (RFC 2606) can never resolve: a rendered
// manifest applied by mistake fails to pull instead of running something.
const renderImageRepo = "render.invalid/demo-app"

// renderImage is the image reference a rendering shows: the eks
// placeholder, or the local or existing platform's configured image as is
// (the program does not build it there either).
func renderImage(cfg Config) string { return configuredImage(cfg) }

// programRender is render mode (config zdt:renderDir, set by `make render`),
// on any platform: the one kubernetes provider writes every object as YAML
// into cfg.RenderDir instead of sending it to a cluster.
//
// The rendered manifests show everything the program controls (namespace
// and label, the app's Service, Ingress, Deployment and PodDisruptionBudget
// with the stack's settings); what AWS produces at `up` is a placeholder.
// Nothing needing AWS or a cluster is created: no VPC, EKS, controller
// release, ECR repository or image build (their plugins are not even
// installed where it renders), and no kubeconfig is read. Hence:
//   - the image is renderImage (eks: not repo@sha256:<digest>);
//   - the namespace and the app do not depend on the controller release,
//     which does not exist here (at `up` they do, see programEKS);
//   - the outputs that name AWS resources (cluster, kubeconfig, ECR) are not
//     exported, and the ALB hostname is empty (no controller writes the
//     Ingress status).
//
// Every object has a fixed metadata.name, so two renderings are
// byte-identical, and none holds a secret (the provider would write it in
// plain text).
func programRender(ctx *pulumi.Context, cfg Config) (outputs, error) {
	provider, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{
		RenderYamlToDirectory: pulumi.String(cfg.RenderDir),
	})
	if err != nil {
		return outputs{}, fmt.Errorf("kubernetes provider (render into %s): %w", cfg.RenderDir, err)
	}
	ns, err := newNamespace(ctx, cfg, provider, nil)
	if err != nil {
		return outputs{}, err
	}
	app, err := newApp(ctx, cfg, appInputs{
		Provider:        provider,
		Namespace:       ns.Name,
		Image:           pulumi.String(renderImage(cfg)),
		ImagePullPolicy: imagePullPolicy(cfg),
		DependsOn:       []pulumi.Resource{ns.Resource},
	})
	if err != nil {
		return outputs{}, err
	}
	return outputs{
		Namespace:   ns.Name,
		AlbHostname: app.AlbHostname,
		AppURL:      app.URL,
		Image:       pulumi.String(renderImage(cfg)).ToStringOutput(),
		Timing:      app.Timing.String(),
	}, nil
}
