// Package infra is the project's Pulumi program: the VPC, the EKS cluster,
// the AWS Load Balancer Controller, the labelled namespace, the app image and
// the app (components/zerodowntime), configured per stack.
//
// The whole program is the one function Program. infra/main runs it with
// pulumi.Run for the Pulumi CLI; tests run it under pulumi.WithMocks and the
// local lab through the Automation API, so all three run the same code.
package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Program is the Pulumi program. It reads and validates the stack's config
// once, then deploys to the platform it names (config zdt:platform), or, in
// render mode (config zdt:renderDir), writes that platform's Kubernetes
// objects as YAML without a cluster or cloud (render.go).
func Program(ctx *pulumi.Context) error {
	out, err := deploy(ctx)
	if err != nil {
		return err
	}
	exportOutputs(ctx, out)
	return nil
}

// deploy registers the stack's resources and returns its outputs.
func deploy(ctx *pulumi.Context) (outputs, error) {
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return outputs{}, err
	}
	switch {
	case cfg.Rendering():
		return programRender(ctx, cfg)
	case cfg.Platform == PlatformLocal:
		return programLocal(ctx, cfg)
	}
	return programEKS(ctx, cfg)
}

// programEKS is the full AWS path:
// VPC -> EKS -> LBC (IRSA, Helm) -> namespace (label) -> image (ECR) -> app.
func programEKS(ctx *pulumi.Context, cfg Config) (outputs, error) {
	net, err := newNetwork(ctx, cfg)
	if err != nil {
		return outputs{}, err
	}
	cl, err := newCluster(ctx, cfg, net)
	if err != nil {
		return outputs{}, err
	}
	lbc, err := newLBC(ctx, cfg, net, cl)
	if err != nil {
		return outputs{}, err
	}
	ns, err := newNamespace(ctx, cfg, cl.Provider, []pulumi.Resource{lbc.Release})
	if err != nil {
		return outputs{}, err
	}
	img, err := newImage(ctx, cfg)
	if err != nil {
		return outputs{}, err
	}
	app, err := newApp(ctx, cfg, appInputs{
		Provider:  cl.Provider,
		Namespace: ns.Metadata.Name().Elem(),
		Image:     img.Ref,
		// The controller's webhooks and the namespace label must be in
		// place before the first object; on destroy the app goes first.
		DependsOn: []pulumi.Resource{lbc.Release, ns},
	})
	if err != nil {
		return outputs{}, err
	}
	return outputs{
		ClusterName:      pulumi.String(cl.Name).ToStringOutput(),
		Kubeconfig:       cl.Kubeconfig,
		Namespace:        ns.Metadata.Name().Elem(),
		AlbHostname:      app.AlbHostname,
		AppURL:           app.URL,
		ECRRepositoryURL: img.Repository.RepositoryUrl,
		Image:            img.Ref,
		Timing:           app.Timing.String(),
	}, nil
}

// localImagePullPolicy: on the local platform images are imported into the
// node's containerd; there is no registry.
const localImagePullPolicy = "Never"

// programLocal deploys into an existing cluster (the local lab): the
// controller (or its emulator) and the image are already there, so only the
// labelled namespace and the app are created, with the same component.
func programLocal(ctx *pulumi.Context, cfg Config) (outputs, error) {
	provider, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{
		Kubeconfig: pulumi.ToSecret(pulumi.String(cfg.Kubeconfig)).(pulumi.StringOutput),
	})
	if err != nil {
		return outputs{}, fmt.Errorf("kubernetes provider: %w", err)
	}
	ns, err := newNamespace(ctx, cfg, provider, nil)
	if err != nil {
		return outputs{}, err
	}
	app, err := newApp(ctx, cfg, appInputs{
		Provider:        provider,
		Namespace:       ns.Metadata.Name().Elem(),
		Image:           pulumi.String(cfg.LocalImage),
		ImagePullPolicy: localImagePullPolicy,
		DependsOn:       []pulumi.Resource{ns},
	})
	if err != nil {
		return outputs{}, err
	}
	return outputs{
		Namespace:   ns.Metadata.Name().Elem(),
		AlbHostname: app.AlbHostname,
		AppURL:      app.URL,
		Image:       pulumi.String(cfg.LocalImage).ToStringOutput(),
		Timing:      app.Timing.String(),
	}, nil
}
