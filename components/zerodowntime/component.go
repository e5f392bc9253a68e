package zerodowntime

import (
	"fmt"
	"strings"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	autoscalingv2 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/autoscaling/v2"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TypeToken is the component's Pulumi resource type.
const TypeToken = "zdt:components:ZeroDowntimeApp"

// ZeroDowntimeApp is a Deployment, Service, Ingress and PodDisruptionBudget
// whose settings come from one timing model, so that rolling updates behind
// an ALB drop no requests (measured by the lab: see the package doc).
type ZeroDowntimeApp struct {
	pulumi.ResourceState

	// DeploymentName is the Deployment's name.
	DeploymentName pulumi.StringOutput `pulumi:"deploymentName"`
	// ServiceName is the Service's name.
	ServiceName pulumi.StringOutput `pulumi:"serviceName"`
	// IngressName is the Ingress's name.
	IngressName pulumi.StringOutput `pulumi:"ingressName"`
	// AlbHostname is the ALB's DNS name from the Ingress status ("" until
	// the controller has written it).
	AlbHostname pulumi.StringOutput `pulumi:"albHostname"`
	// URL is where the app answers: the Ingress host if set, else the ALB.
	URL pulumi.StringOutput `pulumi:"url"`

	// Timing is the derived timing model the objects were built from.
	Timing Timing

	Deployment *appsv1.Deployment
	Service    *corev1.Service
	Ingress    *networkingv1.Ingress
	// PodDisruptionBudget is nil when Args.DisablePodDisruptionBudget is set.
	PodDisruptionBudget *policyv1.PodDisruptionBudget
	// HorizontalPodAutoscaler is nil unless Args.Autoscaling is set.
	HorizontalPodAutoscaler *autoscalingv2.HorizontalPodAutoscaler
}

// NewZeroDowntimeApp validates args, derives the timing model and registers
// the app's objects as children. Invalid arguments fail before any resource
// is registered, with an error naming each field and its fix.
//
// Children are created in the order the AWS Load Balancer Controller needs
// for readiness gates: Service, then Ingress, then the Deployment, so that
// even the first pods get their gate. Destroy runs in reverse, removing the
// Ingress (and so the ALB) before anything in Args.DependsOn.
func NewZeroDowntimeApp(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*ZeroDowntimeApp, error) {
	if args == nil {
		args = &Args{}
	}
	a, t, err := Validate(name, *args)
	if err != nil {
		return nil, err
	}
	if err := checkGroupMember(ctx, a, t); err != nil {
		return nil, fmt.Errorf("ZeroDowntimeApp %q: invalid arguments:\n%w", name, err)
	}

	app := &ZeroDowntimeApp{Timing: t}
	if err := ctx.RegisterComponentResource(TypeToken, name, app, opts...); err != nil {
		return nil, fmt.Errorf("registering ZeroDowntimeApp %q: %w", name, err)
	}
	if err := logWarnings(ctx, app, a, t); err != nil {
		return nil, fmt.Errorf("ZeroDowntimeApp %q: %w", name, err)
	}
	parent := pulumi.Parent(app)
	after := func(extra ...pulumi.Resource) pulumi.ResourceOption {
		return pulumi.DependsOn(append(append([]pulumi.Resource{}, a.DependsOn...), extra...))
	}

	app.Service, err = corev1.NewService(ctx, name, serviceArgs(a), parent, after())
	if err != nil {
		return nil, fmt.Errorf("ZeroDowntimeApp %q: service: %w", name, err)
	}
	app.Ingress, err = networkingv1.NewIngress(ctx, name, ingressArgs(a, t), parent, after(app.Service))
	if err != nil {
		return nil, fmt.Errorf("ZeroDowntimeApp %q: ingress: %w", name, err)
	}
	deployOpts := []pulumi.ResourceOption{parent, after(app.Service, app.Ingress)}
	if a.Autoscaling != nil {
		deployOpts = append(deployOpts, pulumi.IgnoreChanges([]string{deploymentReplicasPath}))
	}
	app.Deployment, err = appsv1.NewDeployment(ctx, name, deploymentArgs(a, t), deployOpts...)
	if err != nil {
		return nil, fmt.Errorf("ZeroDowntimeApp %q: deployment: %w", name, err)
	}
	if a.Autoscaling != nil {
		app.HorizontalPodAutoscaler, err = autoscalingv2.NewHorizontalPodAutoscaler(ctx, name, hpaArgs(a), parent, after(app.Deployment))
		if err != nil {
			return nil, fmt.Errorf("ZeroDowntimeApp %q: horizontal pod autoscaler: %w", name, err)
		}
	}
	if !a.DisablePodDisruptionBudget {
		app.PodDisruptionBudget, err = policyv1.NewPodDisruptionBudget(ctx, name, pdbArgs(a), parent, after())
		if err != nil {
			return nil, fmt.Errorf("ZeroDowntimeApp %q: pod disruption budget: %w", name, err)
		}
	}

	app.DeploymentName = app.Deployment.Metadata.Name().Elem()
	app.ServiceName = app.Service.Metadata.Name().Elem()
	app.IngressName = app.Ingress.Metadata.Name().Elem()
	app.AlbHostname = albHostname(app.Ingress)
	app.URL = appURL(a, app.AlbHostname)

	if err := ctx.RegisterResourceOutputs(app, pulumi.Map{
		"deploymentName": app.DeploymentName,
		"serviceName":    app.ServiceName,
		"ingressName":    app.IngressName,
		"albHostname":    app.AlbHostname,
		"url":            app.URL,
		"timing":         pulumi.String(t.String()),
	}); err != nil {
		return nil, fmt.Errorf("ZeroDowntimeApp %q: registering outputs: %w", name, err)
	}
	return app, nil
}

// albHostname reads the first load-balancer hostname from the Ingress
// status. The status list is empty until the controller writes it, so it is
// read defensively (indexing it directly panics on an empty list).
func albHostname(ing *networkingv1.Ingress) pulumi.StringOutput {
	return ing.Status.ApplyT(func(s *networkingv1.IngressStatus) string {
		if s == nil || s.LoadBalancer == nil {
			return ""
		}
		for _, lb := range s.LoadBalancer.Ingress {
			if lb.Hostname != nil && *lb.Hostname != "" {
				return *lb.Hostname
			}
			if lb.Ip != nil && *lb.Ip != "" {
				return *lb.Ip
			}
		}
		return ""
	}).(pulumi.StringOutput)
}

// appURL is the app's address: https when TLS is configured, the Ingress
// host when set, the ALB hostname otherwise, and the first routed path.
func appURL(a Args, hostname pulumi.StringOutput) pulumi.StringOutput {
	scheme := "http"
	if a.Ingress.TLS != nil {
		scheme = "https"
	}
	host := hostname
	if a.Ingress.Host != nil {
		host = a.Ingress.Host.ToStringOutput()
	}
	path := strings.TrimSuffix(a.Ingress.Paths[0], "/") + "/"
	return host.ApplyT(func(h string) string {
		if h == "" {
			return ""
		}
		return scheme + "://" + h + path
	}).(pulumi.StringOutput)
}
