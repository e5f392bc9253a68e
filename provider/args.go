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
	StartupPath                string                        `pulumi:"startupPath,optional"`
	Autoscaling                *AutoscalingArgs              `pulumi:"autoscaling,optional"`
	MaxSurge                   string                        `pulumi:"maxSurge,optional"`
	Timing                     *TimingArgs                   `pulumi:"timing,optional"`
	ShutdownTimeoutEnv         string                        `pulumi:"shutdownTimeoutEnv,optional"`
	KeepAliveTimeoutEnv        string                        `pulumi:"keepAliveTimeoutEnv,optional"`
	Env                        map[string]pulumi.StringInput `pulumi:"env,optional"`
	Resources                  *Resources                    `pulumi:"resources,optional"`
	Pod                        *PodArgs                      `pulumi:"pod,optional"`
	Labels                     map[string]string             `pulumi:"labels,optional"`
	ServiceAnnotations         map[string]string             `pulumi:"serviceAnnotations,optional"`
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
	IdleTimeoutSeconds               int `pulumi:"idleTimeoutSeconds,optional"`
	AppKeepAliveSeconds              int `pulumi:"appKeepAliveSeconds,optional"`
	AppDrainSeconds                  int `pulumi:"appDrainSeconds,optional"`
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
	CPULimit      string `pulumi:"cpuLimit,optional"`
}

// IngressArgs configure the ALB (zerodowntime.IngressArgs).
type IngressArgs struct {
	Host            pulumi.StringInput   `pulumi:"host,optional"`
	AdditionalHosts []pulumi.StringInput `pulumi:"additionalHosts,optional"`
	Paths           []string             `pulumi:"paths,optional"`
	ClassName       string               `pulumi:"className,optional"`
	GroupName       string               `pulumi:"groupName,optional"`
	GroupOrder      int                  `pulumi:"groupOrder,optional"`
	Scheme          string               `pulumi:"scheme,optional"`
	TLS             *TLSArgs             `pulumi:"tls,optional"`
	Annotations     map[string]string    `pulumi:"annotations,optional"`
}

// TLSArgs configure the HTTPS listener (zerodowntime.TLSArgs).
type TLSArgs struct {
	CertificateArns pulumi.StringArrayInput `pulumi:"certificateArns"`
}

// AutoscalingArgs configure the HorizontalPodAutoscaler
// (zerodowntime.AutoscalingArgs).
type AutoscalingArgs struct {
	MinReplicas                   int `pulumi:"minReplicas,optional"`
	MaxReplicas                   int `pulumi:"maxReplicas"`
	CPUUtilizationPercent         int `pulumi:"cpuUtilizationPercent,optional"`
	MemoryUtilizationPercent      int `pulumi:"memoryUtilizationPercent,optional"`
	ScaleDownStabilizationSeconds int `pulumi:"scaleDownStabilizationSeconds,optional"`
}

// PodArgs are what real pods need (zerodowntime.PodArgs). Affinity is Go
// only (notInSchema).
type PodArgs struct {
	SecretEnv          map[string]KeyRef  `pulumi:"secretEnv,optional"`
	ConfigMapEnv       map[string]KeyRef  `pulumi:"configMapEnv,optional"`
	EnvFrom            []EnvFromArgs      `pulumi:"envFrom,optional"`
	Command            []string           `pulumi:"command,optional"`
	Args               []string           `pulumi:"args,optional"`
	ServiceAccountName string             `pulumi:"serviceAccountName,optional"`
	WritableDirs       []WritableDirArgs  `pulumi:"writableDirs,optional"`
	SecretVolumes      []ObjectVolumeArgs `pulumi:"secretVolumes,optional"`
	ConfigMapVolumes   []ObjectVolumeArgs `pulumi:"configMapVolumes,optional"`
	NodeSelector       map[string]string  `pulumi:"nodeSelector,optional"`
	Tolerations        []TolerationArgs   `pulumi:"tolerations,optional"`
	PriorityClassName  string             `pulumi:"priorityClassName,optional"`
	Sidecars           []SidecarArgs      `pulumi:"sidecars,optional"`
	Annotations        map[string]string  `pulumi:"annotations,optional"`
}

// KeyRef names one key of a Secret or ConfigMap (zerodowntime.KeyRef).
type KeyRef struct {
	Name pulumi.StringInput `pulumi:"name"`
	Key  string             `pulumi:"key"`
}

// EnvFromArgs imports a Secret or ConfigMap (zerodowntime.EnvFromArgs).
type EnvFromArgs struct {
	SecretName    pulumi.StringInput `pulumi:"secretName,optional"`
	ConfigMapName pulumi.StringInput `pulumi:"configMapName,optional"`
	Prefix        string             `pulumi:"prefix,optional"`
}

// WritableDirArgs is an emptyDir mount (zerodowntime.WritableDirArgs).
type WritableDirArgs struct {
	MountPath string `pulumi:"mountPath"`
	SizeLimit string `pulumi:"sizeLimit,optional"`
}

// ObjectVolumeArgs mounts a Secret or ConfigMap (zerodowntime.ObjectVolumeArgs).
type ObjectVolumeArgs struct {
	Name      pulumi.StringInput `pulumi:"name"`
	MountPath string             `pulumi:"mountPath"`
}

// TolerationArgs is one toleration (zerodowntime.TolerationArgs).
type TolerationArgs struct {
	Key      string `pulumi:"key,optional"`
	Operator string `pulumi:"operator,optional"`
	Value    string `pulumi:"value,optional"`
	Effect   string `pulumi:"effect,optional"`
}

// SidecarArgs is a native sidecar (zerodowntime.SidecarArgs).
type SidecarArgs struct {
	Name      string                        `pulumi:"name"`
	Image     pulumi.StringInput            `pulumi:"image"`
	Command   []string                      `pulumi:"command,optional"`
	Args      []string                      `pulumi:"args,optional"`
	Env       map[string]pulumi.StringInput `pulumi:"env,optional"`
	Resources *Resources                    `pulumi:"resources,optional"`
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

// Annotate names the type in the schema.
func (h *AutoscalingArgs) Annotate(a infer.Annotator) { a.SetToken(module, "Autoscaling") }

// Annotate names the type in the schema.
func (p *PodArgs) Annotate(a infer.Annotator) { a.SetToken(module, "Pod") }

// Annotate names the type in the schema.
func (k *KeyRef) Annotate(a infer.Annotator) { a.SetToken(module, "KeyRef") }

// Annotate names the type in the schema.
func (e *EnvFromArgs) Annotate(a infer.Annotator) { a.SetToken(module, "EnvFrom") }

// Annotate names the type in the schema.
func (w *WritableDirArgs) Annotate(a infer.Annotator) { a.SetToken(module, "WritableDir") }

// Annotate names the type in the schema.
func (o *ObjectVolumeArgs) Annotate(a infer.Annotator) { a.SetToken(module, "ObjectVolume") }

// Annotate names the type in the schema.
func (t *TolerationArgs) Annotate(a infer.Annotator) { a.SetToken(module, "Toleration") }

// Annotate names the type in the schema.
func (s *SidecarArgs) Annotate(a infer.Annotator) { a.SetToken(module, "Sidecar") }
