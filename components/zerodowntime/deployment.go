package zerodowntime

import (
	"fmt"
	"strconv"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// deploymentArgs builds the Deployment. Its rollout never removes an old pod
// before a new one is Ready, and Ready includes the LBC's target-health gate,
// so the ALB always has a healthy target.
func deploymentArgs(a Args, t Timing) *appsv1.DeploymentArgs {
	surge, _ := resolveSurge(a.MaxSurge, a.maxReplicas()) // validated
	return &appsv1.DeploymentArgs{
		Metadata: objectMeta(a, deploymentAnnotations(a, surge, t)),
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(a.Replicas),
			Selector: &metav1.LabelSelectorArgs{MatchLabels: toStringMap(selectorLabels(a))},
			Strategy: &appsv1.DeploymentStrategyArgs{
				Type: pulumi.String("RollingUpdate"),
				RollingUpdate: &appsv1.RollingUpdateDeploymentArgs{
					// Never take a serving pod away before its replacement
					// is Ready (and, through the gate, healthy in the ALB).
					MaxUnavailable: pulumi.Int(0),
					MaxSurge:       intOrString(a.MaxSurge),
				},
			},
			MinReadySeconds:         pulumi.Int(t.MinReadySeconds),
			ProgressDeadlineSeconds: pulumi.Int(t.ProgressDeadlineSeconds),
			RevisionHistoryLimit:    pulumi.Int(5),
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: toStringMap(podLabels(a)), Annotations: optionalStringMap(a.Pod.Annotations)},
				Spec:     podSpecArgs(a, t),
			},
		},
	}
}

// deploymentAnnotations: pulumi up waits until the rollout is complete,
// whatever the ReplicaSet history (await.go), for at most every batch's
// progress deadline; with an autoscaler, spec.replicas is only the initial
// count (hpa.go).
func deploymentAnnotations(a Args, surge int, t Timing) pulumi.StringMap {
	ann := pulumi.StringMap{
		pulumiTimeoutAnnotation: pulumi.String(awaitSeconds(a.maxReplicas(), surge, t)),
		pulumiWaitForAnnotation: pulumi.String(waitForAnnotation()),
	}
	if a.Autoscaling != nil {
		ann[ReplicasAnnotation] = pulumi.String(ReplicasInitial)
	}
	// The app's facts the manifests cannot tell, for `zdt check` on the
	// rendered or live objects (not the ALB propagation: that is the
	// environment's, and the check's caller states it).
	ann[AnnotationBootSeconds] = pulumi.String(strconv.Itoa(t.BootSeconds))
	ann[AnnotationMaxRequestSeconds] = pulumi.String(strconv.Itoa(t.MaxRequestSeconds))
	if t.AppDrainSeconds > 0 {
		ann[AnnotationAppDrainSeconds] = pulumi.String(strconv.Itoa(t.AppDrainSeconds))
	}
	return ann
}

// Annotations declaring the app's timing facts on the Deployment, read by
// `zdt check` (check.AnnotationBootSeconds, ...) and the lab's boundary.
// The app drain is written only when declared (Timing.AppDrainSeconds > 0).
const (
	AnnotationBootSeconds       = "zdt.dev/boot-seconds"
	AnnotationMaxRequestSeconds = "zdt.dev/max-request-seconds"
	AnnotationAppDrainSeconds   = "zdt.dev/app-drain-seconds"
)

func containerArgs(a Args, t Timing) *corev1.ContainerArgs {
	return &corev1.ContainerArgs{
		Name:            pulumi.String(containerName),
		Image:           a.Image,
		ImagePullPolicy: pulumi.String(a.ImagePullPolicy),
		Ports: corev1.ContainerPortArray{
			&corev1.ContainerPortArgs{Name: pulumi.String(portName), ContainerPort: pulumi.Int(a.Port), Protocol: pulumi.String("TCP")},
		},
		Command:      toStringArray(a.Pod.Command),
		Args:         toStringArray(a.Pod.Args),
		Env:          envArgs(a, t),
		EnvFrom:      envFromArgs(a.Pod.EnvFrom),
		VolumeMounts: volumeMountArgs(a.Pod),
		// Startup gates the other two probes: no initialDelaySeconds guess.
		StartupProbe:    probeArgs(a.StartupPath, t.Startup),
		ReadinessProbe:  probeArgs(a.ReadinessPath, t.Readiness),
		LivenessProbe:   probeArgs(a.LivenessPath, t.Liveness),
		Lifecycle:       &corev1.LifecycleArgs{PreStop: preStopArgs(a, t)},
		Resources:       resourcesArgs(a.Resources),
		SecurityContext: containerSecurityContext(),
	}
}

// resourcesArgs renders requests and limits; no CPU limit unless asked.
func resourcesArgs(r Resources) *corev1.ResourceRequirementsArgs {
	limits := pulumi.StringMap{"memory": pulumi.String(r.MemoryLimit)}
	if r.CPULimit != "" {
		limits["cpu"] = pulumi.String(r.CPULimit)
	}
	return &corev1.ResourceRequirementsArgs{
		Requests: pulumi.StringMap{
			"cpu":    pulumi.String(r.CPURequest),
			"memory": pulumi.String(r.MemoryRequest),
		},
		Limits: limits,
	}
}

// containerSecurityContext is every container's: PodSecurity "restricted".
func containerSecurityContext() *corev1.SecurityContextArgs {
	return &corev1.SecurityContextArgs{
		AllowPrivilegeEscalation: pulumi.Bool(false),
		ReadOnlyRootFilesystem:   pulumi.Bool(true),
		RunAsNonRoot:             pulumi.Bool(true),
		Capabilities:             &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
	}
}

// preStopArgs keeps the pod serving while routing to it stops. The native
// sleep action runs in the kubelet, so it works in distroless and scratch
// images where `exec: sleep` silently fails (FailedPreStopHook) and SIGTERM
// then arrives at once.
func preStopArgs(a Args, t Timing) *corev1.LifecycleHandlerArgs {
	if a.PreStopExecFallback {
		return &corev1.LifecycleHandlerArgs{Exec: &corev1.ExecActionArgs{
			Command: pulumi.StringArray{pulumi.String("sleep"), pulumi.String(strconv.Itoa(t.PreStopSeconds))},
		}}
	}
	return &corev1.LifecycleHandlerArgs{Sleep: &corev1.SleepActionArgs{Seconds: pulumi.Int(t.PreStopSeconds)}}
}

func probeArgs(path string, p Probe) *corev1.ProbeArgs {
	return &corev1.ProbeArgs{
		HttpGet:          &corev1.HTTPGetActionArgs{Path: pulumi.String(path), Port: pulumi.String(portName)},
		PeriodSeconds:    pulumi.Int(p.PeriodSeconds),
		TimeoutSeconds:   pulumi.Int(p.TimeoutSeconds),
		FailureThreshold: pulumi.Int(p.FailureThreshold),
		SuccessThreshold: pulumi.Int(p.SuccessThreshold),
	}
}

func envArgs(a Args, t Timing) corev1.EnvVarArray {
	env := corev1.EnvVarArray{
		// The pod's name, for logs and response headers.
		&corev1.EnvVarArgs{Name: pulumi.String("POD_NAME"), ValueFrom: &corev1.EnvVarSourceArgs{
			FieldRef: &corev1.ObjectFieldSelectorArgs{FieldPath: pulumi.String("metadata.name")},
		}},
	}
	for _, fromModel := range []struct {
		name    string
		seconds int
	}{{a.ShutdownTimeoutEnv, t.ShutdownTimeoutSeconds}, {a.KeepAliveTimeoutEnv, t.KeepAliveSeconds}} {
		if fromModel.name != "" {
			env = append(env, &corev1.EnvVarArgs{
				Name:  pulumi.String(fromModel.name),
				Value: pulumi.String(fmt.Sprintf("%ds", fromModel.seconds)),
			})
		}
	}
	for _, k := range sortedKeys(a.Env) {
		env = append(env, &corev1.EnvVarArgs{Name: pulumi.String(k), Value: a.Env[k]})
	}
	for _, k := range sortedKeys(a.Pod.SecretEnv) {
		ref := a.Pod.SecretEnv[k]
		env = append(env, &corev1.EnvVarArgs{Name: pulumi.String(k), ValueFrom: &corev1.EnvVarSourceArgs{
			SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: ref.Name, Key: pulumi.String(ref.Key)},
		}})
	}
	for _, k := range sortedKeys(a.Pod.ConfigMapEnv) {
		ref := a.Pod.ConfigMapEnv[k]
		env = append(env, &corev1.EnvVarArgs{Name: pulumi.String(k), ValueFrom: &corev1.EnvVarSourceArgs{
			ConfigMapKeyRef: &corev1.ConfigMapKeySelectorArgs{Name: ref.Name, Key: pulumi.String(ref.Key)},
		}})
	}
	return env
}

// envFromArgs imports whole Secrets and ConfigMaps.
func envFromArgs(from []EnvFromArgs) corev1.EnvFromSourceArray {
	if len(from) == 0 {
		return nil
	}
	out := corev1.EnvFromSourceArray{}
	for _, f := range from {
		src := &corev1.EnvFromSourceArgs{}
		if f.Prefix != "" {
			src.Prefix = pulumi.String(f.Prefix)
		}
		if f.SecretName != nil {
			src.SecretRef = &corev1.SecretEnvSourceArgs{Name: f.SecretName}
		} else {
			src.ConfigMapRef = &corev1.ConfigMapEnvSourceArgs{Name: f.ConfigMapName}
		}
		out = append(out, src)
	}
	return out
}

// optionalStringMap is nil for an empty map, so nothing is rendered.
func optionalStringMap(m map[string]string) pulumi.StringMapInput {
	if len(m) == 0 {
		return nil
	}
	return toStringMap(m)
}

// toStringArray is nil for an empty list, so an unset command stays unset.
func toStringArray(v []string) pulumi.StringArrayInput {
	if len(v) == 0 {
		return nil
	}
	return pulumi.ToStringArray(v)
}

// intOrString renders "50%" as a string and "2" as an integer, as the
// Kubernetes API stores them; a string "2" would be a perpetual diff.
func intOrString(v string) pulumi.Input {
	if n, err := strconv.Atoi(v); err == nil {
		return pulumi.Int(n)
	}
	return pulumi.String(v)
}
