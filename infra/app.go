package infra

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zdt-eks/zdt/components/zerodowntime"
)

// Environment of the demo app (app/README.md).
const (
	// appShutdownTimeoutEnv receives the timing model's bound on waiting
	// for in-flight requests.
	appShutdownTimeoutEnv = "SHUTDOWN_TIMEOUT"
	// appKeepAliveEnv receives the keep-alive timeout the model derives
	// from the ALB's idle timeout.
	appKeepAliveEnv = "IDLE_TIMEOUT"
	// appDrainEnv is the app's own drain after SIGTERM, declared to the
	// model as Timing.AppDrainSeconds so the grace period covers it.
	appDrainEnv = "DRAIN"
	// appDrainSeconds is short: the preStop sleep already covers the
	// routing delay.
	appDrainSeconds = 2
	// appMaxDelayEnv is the longest "?delay=" the demo app serves (400
	// beyond): zdt:maxRequestSeconds, so a load that asks for the declared
	// longest request (the lab's long GETs) is served, and nothing longer.
	appMaxDelayEnv = "MAX_DELAY"
)

// appInputs are what differ between the platforms.
type appInputs struct {
	Provider        pulumi.ProviderResource
	Namespace       pulumi.StringInput
	Image           pulumi.StringInput
	ImagePullPolicy string
	DependsOn       []pulumi.Resource
}

// newApp deploys the demo app with the ZeroDowntimeApp component.
func newApp(ctx *pulumi.Context, cfg Config, in appInputs) (*zerodowntime.ZeroDowntimeApp, error) {
	app, err := zerodowntime.NewZeroDowntimeApp(ctx, cfg.AppName, appArgs(cfg, in), pulumi.Provider(in.Provider))
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	return app, nil
}

// appArgs are the component's arguments from the config: what newApp
// deploys and what validateApp checks, so both see the same values.
func appArgs(cfg Config, in appInputs) *zerodowntime.Args {
	args := &zerodowntime.Args{
		Namespace:           in.Namespace,
		Image:               in.Image,
		AppName:             cfg.AppName,
		Version:             cfg.AppVersion,
		Replicas:            cfg.Replicas,
		ImagePullPolicy:     in.ImagePullPolicy,
		ShutdownTimeoutEnv:  appShutdownTimeoutEnv,
		KeepAliveTimeoutEnv: appKeepAliveEnv,
		Env: map[string]pulumi.StringInput{
			appDrainEnv:    pulumi.String(fmt.Sprintf("%ds", appDrainSeconds)),
			appMaxDelayEnv: pulumi.String(fmt.Sprintf("%ds", cfg.MaxRequestSeconds)),
		},
		Timing: zerodowntime.TimingArgs{
			AppDrainSeconds:                  appDrainSeconds,
			BootSeconds:                      cfg.BootSeconds,
			MaxRequestSeconds:                cfg.MaxRequestSeconds,
			HealthCheckIntervalSeconds:       cfg.HealthCheckIntervalSeconds,
			DeregistrationPropagationSeconds: cfg.DeregistrationPropagationSeconds,
		},
		Ingress: zerodowntime.IngressArgs{
			ClassName: cfg.IngressClass,
			Scheme:    cfg.IngressScheme,
		},
		DependsOn: in.DependsOn,
	}
	if cfg.MaxReplicas > 0 {
		// The autoscaler owns the count from zdt:replicas up to
		// zdt:maxReplicas, on CPU (the component's default target).
		args.Replicas = 0
		args.Autoscaling = &zerodowntime.AutoscalingArgs{MinReplicas: cfg.Replicas, MaxReplicas: cfg.MaxReplicas}
	}
	if cfg.Host != "" {
		args.Ingress.Host = pulumi.String(cfg.Host)
	}
	if cfg.CertificateArn != "" {
		args.Ingress.TLS = &zerodowntime.TLSArgs{CertificateArns: pulumi.StringArray{pulumi.String(cfg.CertificateArn)}}
	}
	return args
}

// Image pull policies by platform: on local the images are imported into
// the node's containerd (there is no registry); on existing the nodes pull
// the configured reference once; on eks the component's default
// (IfNotPresent) applies to the image by digest.
const (
	localImagePullPolicy    = "Never"
	existingImagePullPolicy = "IfNotPresent"
)

// imagePullPolicy is the platform's pull policy ("" for the component's
// default).
func imagePullPolicy(cfg Config) string {
	switch cfg.Platform {
	case PlatformLocal:
		return localImagePullPolicy
	case PlatformExisting:
		return existingImagePullPolicy
	}
	return ""
}

// configuredImage is the image reference the config names: the local or
// existing platform's, or, on eks (built at `up`, by digest), the
// rendering's placeholder, which has the same shape.
func configuredImage(cfg Config) string {
	switch cfg.Platform {
	case PlatformLocal:
		return cfg.LocalImage
	case PlatformExisting:
		return cfg.Image
	}
	return renderImageRepo + ":" + cfg.AppVersion
}
