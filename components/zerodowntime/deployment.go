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
		Metadata: &metav1.ObjectMetaArgs{
			Name:      pulumi.String(a.AppName),
			Namespace: a.Namespace,
			Labels:    toStringMap(objectLabels(a)),
			// pulumi up waits until the rollout is complete, whatever the
			// ReplicaSet history (await.go), for at most every batch's
			// progress deadline.
			Annotations: pulumi.StringMap{
				pulumiTimeoutAnnotation: pulumi.String(awaitSeconds(a.maxReplicas(), surge, t)),
				pulumiWaitForAnnotation: pulumi.String(waitForAnnotation()),
			},
		},
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
				Metadata: &metav1.ObjectMetaArgs{Labels: toStringMap(podLabels(a))},
				Spec:     podSpecArgs(a, t),
			},
		},
	}
}

func podSpecArgs(a Args, t Timing) *corev1.PodSpecArgs {
	return &corev1.PodSpecArgs{
		TerminationGracePeriodSeconds: pulumi.Int(t.TerminationGracePeriodSeconds),
		AutomountServiceAccountToken:  pulumi.Bool(false),
		SecurityContext: &corev1.PodSecurityContextArgs{
			RunAsNonRoot:   pulumi.Bool(true),
			RunAsUser:      pulumi.Int(a.RunAsUser),
			RunAsGroup:     pulumi.Int(a.RunAsUser),
			SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
		},
		// Spread replicas over zones when the scheduler can; never block
		// scheduling on it (a rollout surge must always find room).
		TopologySpreadConstraints: corev1.TopologySpreadConstraintArray{
			&corev1.TopologySpreadConstraintArgs{
				MaxSkew:           pulumi.Int(1),
				TopologyKey:       pulumi.String("topology.kubernetes.io/zone"),
				WhenUnsatisfiable: pulumi.String("ScheduleAnyway"),
				LabelSelector:     &metav1.LabelSelectorArgs{MatchLabels: toStringMap(selectorLabels(a))},
			},
		},
		Containers: corev1.ContainerArray{containerArgs(a, t)},
	}
}

func containerArgs(a Args, t Timing) *corev1.ContainerArgs {
	return &corev1.ContainerArgs{
		Name:            pulumi.String(containerName),
		Image:           a.Image,
		ImagePullPolicy: pulumi.String(a.ImagePullPolicy),
		Ports: corev1.ContainerPortArray{
			&corev1.ContainerPortArgs{Name: pulumi.String(portName), ContainerPort: pulumi.Int(a.Port), Protocol: pulumi.String("TCP")},
		},
		Env: envArgs(a, t),
		// Startup gates the other two probes: no initialDelaySeconds guess.
		StartupProbe:   probeArgs(a.StartupPath, t.Startup),
		ReadinessProbe: probeArgs(a.ReadinessPath, t.Readiness),
		LivenessProbe:  probeArgs(a.LivenessPath, t.Liveness),
		Lifecycle:      &corev1.LifecycleArgs{PreStop: preStopArgs(a, t)},
		Resources: &corev1.ResourceRequirementsArgs{
			Requests: pulumi.StringMap{
				"cpu":    pulumi.String(a.Resources.CPURequest),
				"memory": pulumi.String(a.Resources.MemoryRequest),
			},
			Limits: pulumi.StringMap{"memory": pulumi.String(a.Resources.MemoryLimit)},
		},
		SecurityContext: &corev1.SecurityContextArgs{
			AllowPrivilegeEscalation: pulumi.Bool(false),
			ReadOnlyRootFilesystem:   pulumi.Bool(true),
			RunAsNonRoot:             pulumi.Bool(true),
			Capabilities:             &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
		},
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
	return env
}

// intOrString renders "50%" as a string and "2" as an integer, as the
// Kubernetes API stores them; a string "2" would be a perpetual diff.
func intOrString(v string) pulumi.Input {
	if n, err := strconv.Atoi(v); err == nil {
		return pulumi.Int(n)
	}
	return pulumi.String(v)
}
