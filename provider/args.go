package provider

import (
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The wire types below are what the schema (and so every generated SDK)
// exposes: zerodowntime.Args field for field, same Go field names, with
// `pulumi` tags. They exist because infer cannot take zerodowntime.Args as
// it is: an optional struct must be a pointer for infer (Args.Timing,
// Args.Resources, Args.Ingress are values), and the component package must
// not depend on pulumi-go-provider. toArgs copies them onto
// zerodowntime.Args by field name; TestWireTypesMirrorArgs fails when a
// field of zerodowntime.Args (nested structs included) has no counterpart
// here. Their descriptions are the doc comments of the zerodowntime fields
// (docs.go), so no doc text is written twice.

// Args are the ZeroDowntimeApp's inputs (zerodowntime.Args).
type Args struct {
	Namespace                  pulumi.StringInput            `pulumi:"namespace"`
	Image                      pulumi.StringInput            `pulumi:"image"`
	AppName                    string                        `pulumi:"appName,optional"`
	Version                    string                        `pulumi:"version,optional"`
	Replicas                   int                           `pulumi:"replicas,optional"`
	Port                       int                           `pulumi:"port,optional"`
	ReadinessPath              string                        `pulumi:"readinessPath,optional"`
	LivenessPath               string                        `pulumi:"livenessPath,optional"`
	MaxSurge                   string                        `pulumi:"maxSurge,optional"`
	Timing                     *TimingArgs                   `pulumi:"timing,optional"`
	ShutdownTimeoutEnv         string                        `pulumi:"shutdownTimeoutEnv,optional"`
	Env                        map[string]pulumi.StringInput `pulumi:"env,optional"`
	Resources                  *Resources                    `pulumi:"resources,optional"`
	RunAsUser                  int                           `pulumi:"runAsUser,optional"`
	ImagePullPolicy            string                        `pulumi:"imagePullPolicy,optional"`
	PreStopExecFallback        bool                          `pulumi:"preStopExecFallback,optional"`
	DisablePodDisruptionBudget bool                          `pulumi:"disablePodDisruptionBudget,optional"`
	Ingress                    *IngressArgs                  `pulumi:"ingress,optional"`
}

// TimingArgs are the timing model's inputs (zerodowntime.TimingArgs).
type TimingArgs struct {
	BootSeconds                      int `pulumi:"bootSeconds,optional"`
	MaxRequestSeconds                int `pulumi:"maxRequestSeconds,optional"`
	HealthCheckIntervalSeconds       int `pulumi:"healthCheckIntervalSeconds,optional"`
	HealthyThreshold                 int `pulumi:"healthyThreshold,optional"`
	UnhealthyThreshold               int `pulumi:"unhealthyThreshold,optional"`
	DeregistrationPropagationSeconds int `pulumi:"deregistrationPropagationSeconds,optional"`
	PreStopSeconds                   int `pulumi:"preStopSeconds,optional"`
	TerminationGracePeriodSeconds    int `pulumi:"terminationGracePeriodSeconds,optional"`
	DeregistrationDelaySeconds       int `pulumi:"deregistrationDelaySeconds,optional"`
	HealthCheckTimeoutSeconds        int `pulumi:"healthCheckTimeoutSeconds,optional"`
	StartupFailureThreshold          int `pulumi:"startupFailureThreshold,optional"`
	ProgressDeadlineSeconds          int `pulumi:"progressDeadlineSeconds,optional"`
	MinReadySeconds                  int `pulumi:"minReadySeconds,optional"`
	SlowStartSeconds                 int `pulumi:"slowStartSeconds,optional"`
}

// Resources are the container's requests and limits (zerodowntime.Resources).
type Resources struct {
	CPURequest    string `pulumi:"cpuRequest,optional"`
	MemoryRequest string `pulumi:"memoryRequest,optional"`
	MemoryLimit   string `pulumi:"memoryLimit,optional"`
}

// IngressArgs configure the ALB (zerodowntime.IngressArgs).
type IngressArgs struct {
	Host               pulumi.StringInput `pulumi:"host,optional"`
	Paths              []string           `pulumi:"paths,optional"`
	ClassName          string             `pulumi:"className,optional"`
	GroupName          string             `pulumi:"groupName,optional"`
	Scheme             string             `pulumi:"scheme,optional"`
	TLS                *TLSArgs           `pulumi:"tls,optional"`
	IdleTimeoutSeconds int                `pulumi:"idleTimeoutSeconds,optional"`
}

// TLSArgs configure the HTTPS listener (zerodowntime.TLSArgs).
type TLSArgs struct {
	CertificateArns pulumi.StringArrayInput `pulumi:"certificateArns"`
}

// Schema tokens of the object types: in the component's module, without
// the Go "Args" suffix (SDKs append their own: TypeScript's would read
// TimingArgsArgs).

// Annotate names the type in the schema.
func (t *TimingArgs) Annotate(a infer.Annotator) { a.SetToken(module, "Timing") }

// Annotate names the type in the schema.
func (r *Resources) Annotate(a infer.Annotator) { a.SetToken(module, "Resources") }

// Annotate names the type in the schema.
func (i *IngressArgs) Annotate(a infer.Annotator) { a.SetToken(module, "Ingress") }

// Annotate names the type in the schema.
func (t *TLSArgs) Annotate(a infer.Annotator) { a.SetToken(module, "Tls") }
