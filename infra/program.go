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
	case cfg.UsesKubeconfig():
		return programKubeconfig(ctx, cfg)
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
		Namespace: ns.Name,
		Image:     img.Ref,
		// The controller's webhooks and the namespace label must be in
		// place before the first object; on destroy the app goes first.
		DependsOn: []pulumi.Resource{lbc.Release, ns.Resource},
	})
	if err != nil {
		return outputs{}, err
	}
	return outputs{
		ClusterName:      pulumi.String(cl.Name).ToStringOutput(),
		Kubeconfig:       cl.Kubeconfig,
		Namespace:        ns.Name,
		AlbHostname:      app.AlbHostname,
		AppURL:           app.URL,
		ECRRepositoryURL: img.Repository.RepositoryUrl,
		Image:            img.Ref,
		Timing:           app.Timing.String(),
	}, nil
}

// programKubeconfig deploys into a cluster that exists, named by
// zdt:kubeconfigPath and zdt:kubeContext: the local lab (controller
// emulated, image imported into the node) or a team's cluster (platform
// existing: its own AWS Load Balancer Controller, the image from a
// registry). The controller and the image are not the program's: only the
// namespace (or its label, zdt:namespaceExists) and the app are, with the
// same component and timing settings as on eks.
func programKubeconfig(ctx *pulumi.Context, cfg Config) (outputs, error) {
	args := &kubernetes.ProviderArgs{
		Kubeconfig: pulumi.ToSecret(pulumi.String(cfg.Kubeconfig)).(pulumi.StringOutput),
	}
	if cfg.KubeContext != "" {
		args.Context = pulumi.String(cfg.KubeContext)
	}
	provider, err := kubernetes.NewProvider(ctx, "k8s", args)
	if err != nil {
		return outputs{}, fmt.Errorf("kubernetes provider: %w", err)
	}
	ns, err := newNamespace(ctx, cfg, provider, nil)
	if err != nil {
		return outputs{}, err
	}
	image := configuredImage(cfg)
	app, err := newApp(ctx, cfg, appInputs{
		Provider:        provider,
		Namespace:       ns.Name,
		Image:           pulumi.String(image),
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
		Image:       pulumi.String(image).ToStringOutput(),
		Timing:      app.Timing.String(),
	}, nil
}
