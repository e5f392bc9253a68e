package zerodowntime

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Defaults for Args.
const (
	DefaultReplicas        = 3
	DefaultPort            = 8080
	DefaultReadinessPath   = "/readyz"
	DefaultLivenessPath    = "/livez"
	DefaultMaxSurge        = "50%"
	DefaultScheme          = SchemeInternal
	DefaultCPURequest      = "100m"
	DefaultMemoryRequest   = "128Mi"
	DefaultRunAsUser       = 65532
	DefaultImagePullPolicy = "IfNotPresent"
	// SchemeInternal makes the ALB reachable only inside the VPC (the LBC's default).
	SchemeInternal = "internal"
	// SchemeInternetFacing makes the ALB public.
	SchemeInternetFacing = "internet-facing"
)

// Args configures a ZeroDowntimeApp.
//
// Values that other resources commonly produce (image, namespace, host,
// certificate ARNs, environment values) are Pulumi Inputs. The shape of the
// app and its timing are plain values on purpose: they are validated when
// NewZeroDowntimeApp is called, before any child resource is registered, so a
// bad combination fails `pulumi preview` with nothing created.
type Args struct {
	// Namespace to deploy into. Required. It must carry the label
	// `elbv2.k8s.aws/pod-readiness-gate-inject: enabled`; pass the
	// Namespace resource's name output to order the app after it.
	Namespace pulumi.StringInput
	// Image is the container image; prefer a reference by digest so that a
	// new build rolls the app and an unchanged one does not. Required.
	Image pulumi.StringInput
	// AppName names the Kubernetes objects and labels; defaults to the
	// component's resource name. A DNS-1035 label of at most 63 characters.
	AppName string
	// Version is recorded in the pod label app.kubernetes.io/version.
	Version string
	// Replicas is the desired pod count. Default 3. With Autoscaling it is
	// the count the Deployment starts with (Autoscaling.MinReplicas) and
	// must be left 0.
	Replicas int
	// Autoscaling, when set, adds a HorizontalPodAutoscaler; the Deployment
	// then leaves spec.replicas to it (see hpa.go).
	Autoscaling *AutoscalingArgs
	// Port is the container's HTTP port. Default 8080.
	Port int
	// ReadinessPath answers 200 only when the app can take traffic, and
	// fails while it drains. It is also the ALB health-check path. Default /readyz.
	ReadinessPath string
	// LivenessPath answers 200 while the process is healthy. Must differ
	// from ReadinessPath. Default /livez.
	LivenessPath string
	// StartupPath is what the startup probe checks while the app boots: 200
	// once the process is up. Must differ from ReadinessPath, which fails on
	// purpose while a dependency is down (a startup probe on it would kill
	// every new pod during that outage). Default: LivenessPath.
	StartupPath string
	// MaxSurge is the rollout's surge, an integer ("2") or a percentage
	// ("50%"). maxUnavailable is always 0. Default 50%.
	MaxSurge string
	// Timing holds the inputs of the timing model; see TimingArgs.
	Timing TimingArgs
	// ShutdownTimeoutEnv, when set, names an environment variable that
	// receives the model's bound on waiting for in-flight requests after
	// SIGTERM (and after Timing.AppDrainSeconds) as a Go duration (e.g.
	// "12s"), so the app's graceful shutdown uses the same number as the
	// grace period.
	ShutdownTimeoutEnv string
	// KeepAliveTimeoutEnv, when set, names an environment variable that
	// receives the keep-alive (idle connection) timeout the app must use as
	// a Go duration: longer than the ALB's idle timeout, so the ALB never
	// reuses a connection the app has closed. Without it, declare the app's
	// own in Timing.AppKeepAliveSeconds.
	KeepAliveTimeoutEnv string
	// Env sets container environment variables.
	Env map[string]pulumi.StringInput
	// Resources are the container's requests and limits.
	Resources Resources
	// Pod holds secrets, volumes, identity, command, scheduling and
	// sidecars; see PodArgs.
	Pod PodArgs
	// Labels are added to every object and to the pods. The component's
	// own keys (app.kubernetes.io/name, instance, version, managed-by and
	// zdt.dev/component) are refused.
	Labels map[string]string
	// ServiceAnnotations are added to the Service. Keys under pulumi.com/
	// are refused.
	ServiceAnnotations map[string]string
	// RunAsUser is the non-root UID the container runs as. Default 65532.
	RunAsUser int
	// ImagePullPolicy is Always, IfNotPresent or Never. Default IfNotPresent.
	ImagePullPolicy string
	// PreStopExecFallback replaces the native preStop sleep (GA in
	// Kubernetes 1.34) with `exec: [sleep, N]`, for older clusters. The
	// image must then contain a sleep binary (distroless and scratch do not).
	PreStopExecFallback bool
	// DisablePodDisruptionBudget skips the PodDisruptionBudget.
	DisablePodDisruptionBudget bool
	// Ingress configures the ALB.
	Ingress IngressArgs
	// DependsOn lists resources every child waits for, typically the LBC's
	// Helm release: its webhooks must serve before the Service, Ingress and
	// pods are created.
	DependsOn []pulumi.Resource
}

// AutoscalingArgs configures the HorizontalPodAutoscaler (autoscaling/v2).
type AutoscalingArgs struct {
	// MinReplicas is the fewest pods; at least 2 while the
	// PodDisruptionBudget is on. Default 3.
	MinReplicas int
	// MaxReplicas is the most pods; at least MinReplicas. Required. It
	// sizes how long `pulumi up` waits for a rollout.
	MaxReplicas int
	// CPUUtilizationPercent is the target average CPU use, in percent of
	// Resources.CPURequest. Default 70 when no target is set.
	CPUUtilizationPercent int
	// MemoryUtilizationPercent is the target average memory use, in
	// percent of Resources.MemoryRequest. Off by default.
	MemoryUtilizationPercent int
	// ScaleDownStabilizationSeconds is how long the autoscaler looks back
	// before removing pods (0..3600). Default 300, Kubernetes' default.
	ScaleDownStabilizationSeconds int
}

// Defaults for AutoscalingArgs.
const (
	DefaultAutoscalingCPUPercent         = 70
	DefaultScaleDownStabilizationSeconds = 300
)

// Resources are container resource requests and limits as Kubernetes
// quantities.
type Resources struct {
	// CPURequest defaults to 100m. No CPU limit is set: throttling a
	// draining pod stretches its shutdown.
	CPURequest string
	// MemoryRequest defaults to 128Mi.
	MemoryRequest string
	// MemoryLimit defaults to MemoryRequest.
	MemoryLimit string
	// CPULimit is off by default and best left off: a throttled pod drains
	// and answers its probes slower.
	CPULimit string
}

// IngressArgs configures the Ingress the AWS Load Balancer Controller turns
// into an ALB.
type IngressArgs struct {
	// Host restricts the rule to one host name; empty matches any host.
	Host pulumi.StringInput
	// AdditionalHosts are more host names routed the same way (one rule
	// each, same paths), e.g. a second domain; they need Host.
	AdditionalHosts []pulumi.StringInput
	// Paths routed to the app, each a prefix starting with "/". Default ["/"].
	Paths []string
	// ClassName is the IngressClass the cluster's AWS Load Balancer
	// Controller serves. Default IngressClassALB ("alb", the chart's).
	ClassName string
	// GroupName joins an IngressGroup that shares one ALB
	// (alb.ingress.kubernetes.io/group.name). Group-wide settings (Scheme,
	// TLS, Timing.IdleTimeoutSeconds, ClassName) must agree among the
	// members in one program, or the component refuses the second.
	GroupName string
	// GroupOrder orders this Ingress's rules within the group (-1000..1000,
	// lower first; alb.ingress.kubernetes.io/group.order). Needs GroupName.
	GroupOrder int
	// Scheme is internal or internet-facing. Default internal.
	Scheme string
	// TLS, when set, adds an HTTPS listener with these certificates and
	// redirects HTTP to HTTPS.
	TLS *TLSArgs
	// Annotations are added to the Ingress, e.g. a WAF ACL or tags. The
	// annotations the component derives (target type, health check,
	// attributes, listeners, scheme, group) and keys under pulumi.com/ are
	// refused: set them through their Args fields.
	Annotations map[string]string
}

// TLSArgs configures the HTTPS listener.
type TLSArgs struct {
	// CertificateArns are ACM certificate ARNs; the first is the default
	// certificate. Required.
	CertificateArns pulumi.StringArrayInput
}

// withDefaults returns a copy of args with defaults applied.
func (a Args) withDefaults(name string) Args {
	if a.AppName == "" {
		a.AppName = name
	}
	if a.Autoscaling != nil {
		a.Autoscaling = a.Autoscaling.withDefaults()
		if a.Replicas == 0 {
			a.Replicas = a.Autoscaling.MinReplicas
		}
	}
	if a.Replicas == 0 {
		a.Replicas = DefaultReplicas
	}
	if a.Port == 0 {
		a.Port = DefaultPort
	}
	if a.ReadinessPath == "" {
		a.ReadinessPath = DefaultReadinessPath
	}
	if a.LivenessPath == "" {
		a.LivenessPath = DefaultLivenessPath
	}
	if a.StartupPath == "" {
		a.StartupPath = a.LivenessPath
	}
	if a.MaxSurge == "" {
		a.MaxSurge = DefaultMaxSurge
	}
	if a.RunAsUser == 0 {
		a.RunAsUser = DefaultRunAsUser
	}
	if a.ImagePullPolicy == "" {
		a.ImagePullPolicy = DefaultImagePullPolicy
	}
	a.Resources = a.Resources.withDefaults()
	a.Pod = a.Pod.withDefaults()
	if len(a.Ingress.Paths) == 0 {
		a.Ingress.Paths = []string{"/"}
	}
	if a.Ingress.ClassName == "" {
		a.Ingress.ClassName = IngressClassALB
	}
	if a.Ingress.Scheme == "" {
		a.Ingress.Scheme = DefaultScheme
	}
	return a
}

// withDefaults returns a copy of h with defaults applied.
func (h *AutoscalingArgs) withDefaults() *AutoscalingArgs {
	c := *h
	if c.MinReplicas == 0 {
		c.MinReplicas = DefaultReplicas
	}
	if c.CPUUtilizationPercent == 0 && c.MemoryUtilizationPercent == 0 {
		c.CPUUtilizationPercent = DefaultAutoscalingCPUPercent
	}
	if c.ScaleDownStabilizationSeconds == 0 {
		c.ScaleDownStabilizationSeconds = DefaultScaleDownStabilizationSeconds
	}
	return &c
}

// withDefaults returns r with defaults applied.
func (r Resources) withDefaults() Resources {
	if r.CPURequest == "" {
		r.CPURequest = DefaultCPURequest
	}
	if r.MemoryRequest == "" {
		r.MemoryRequest = DefaultMemoryRequest
	}
	if r.MemoryLimit == "" {
		r.MemoryLimit = r.MemoryRequest
	}
	return r
}

// withDefaults returns p with defaults applied, sharing nothing with p.
func (p PodArgs) withDefaults() PodArgs {
	p.WritableDirs = append([]WritableDirArgs(nil), p.WritableDirs...)
	for i := range p.WritableDirs {
		if p.WritableDirs[i].SizeLimit == "" {
			p.WritableDirs[i].SizeLimit = DefaultWritableDirSizeLimit
		}
	}
	p.Sidecars = append([]SidecarArgs(nil), p.Sidecars...)
	for i := range p.Sidecars {
		p.Sidecars[i].Resources = p.Sidecars[i].Resources.withDefaults()
	}
	return p
}
