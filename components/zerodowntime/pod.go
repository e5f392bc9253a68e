package zerodowntime

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// podSpecArgs builds the pod template's spec: the app container, its native
// sidecars, volumes, identity and placement.
func podSpecArgs(a Args, t Timing) *corev1.PodSpecArgs {
	spec := &corev1.PodSpecArgs{
		TerminationGracePeriodSeconds: pulumi.Int(t.TerminationGracePeriodSeconds),
		// A token only for pods that have an identity to use.
		AutomountServiceAccountToken: pulumi.Bool(a.Pod.ServiceAccountName != ""),
		SecurityContext: &corev1.PodSecurityContextArgs{
			RunAsNonRoot:   pulumi.Bool(true),
			RunAsUser:      pulumi.Int(a.RunAsUser),
			RunAsGroup:     pulumi.Int(a.RunAsUser),
			FsGroup:        fsGroup(a),
			SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
		},
		TopologySpreadConstraints: spreadArgs(a),
		InitContainers:            sidecarArgs(a),
		Containers:                corev1.ContainerArray{containerArgs(a, t)},
		Volumes:                   volumeArgs(a.Pod),
		Tolerations:               tolerationArgs(a.Pod.Tolerations),
		Affinity:                  a.Pod.Affinity,
	}
	if a.Pod.ServiceAccountName != "" {
		spec.ServiceAccountName = pulumi.String(a.Pod.ServiceAccountName)
	}
	if len(a.Pod.NodeSelector) > 0 {
		spec.NodeSelector = toStringMap(a.Pod.NodeSelector)
	}
	if a.Pod.PriorityClassName != "" {
		spec.PriorityClassName = pulumi.String(a.Pod.PriorityClassName)
	}
	return spec
}

// fsGroup makes mounted Secret, ConfigMap and emptyDir files readable by
// the non-root user; nil when nothing is mounted.
func fsGroup(a Args) pulumi.IntPtrInput {
	p := a.Pod
	if len(p.WritableDirs)+len(p.SecretVolumes)+len(p.ConfigMapVolumes) == 0 {
		return nil
	}
	return pulumi.IntPtr(a.RunAsUser)
}

// spreadArgs spreads replicas over zones and over nodes when the scheduler
// can; never blocking scheduling on it (a rollout surge must always find
// room): losing a node or a zone takes as few pods as possible.
func spreadArgs(a Args) corev1.TopologySpreadConstraintArray {
	out := corev1.TopologySpreadConstraintArray{}
	for _, key := range []string{"topology.kubernetes.io/zone", "kubernetes.io/hostname"} {
		out = append(out, &corev1.TopologySpreadConstraintArgs{
			MaxSkew:           pulumi.Int(1),
			TopologyKey:       pulumi.String(key),
			WhenUnsatisfiable: pulumi.String("ScheduleAnyway"),
			LabelSelector:     &metav1.LabelSelectorArgs{MatchLabels: toStringMap(selectorLabels(a))},
		})
	}
	return out
}

// sidecarArgs renders the sidecars as native sidecars: init containers with
// restartPolicy Always start before the app, keep running beside it, and
// are stopped only after the app container has exited (KEP-753, Kubernetes
// 1.29+), so they serve the app through its preStop and drain. That order is
// Kubernetes' documented behaviour; the lab does not measure a sidecar yet.
func sidecarArgs(a Args) corev1.ContainerArray {
	if len(a.Pod.Sidecars) == 0 {
		return nil
	}
	out := corev1.ContainerArray{}
	for _, s := range a.Pod.Sidecars {
		c := &corev1.ContainerArgs{
			Name:            pulumi.String(s.Name),
			Image:           s.Image,
			ImagePullPolicy: pulumi.String(a.ImagePullPolicy),
			RestartPolicy:   pulumi.String("Always"),
			Command:         toStringArray(s.Command),
			Args:            toStringArray(s.Args),
			Resources:       resourcesArgs(s.Resources),
			SecurityContext: containerSecurityContext(),
		}
		if len(s.Env) > 0 {
			env := corev1.EnvVarArray{}
			for _, k := range sortedKeys(s.Env) {
				env = append(env, &corev1.EnvVarArgs{Name: pulumi.String(k), Value: s.Env[k]})
			}
			c.Env = env
		}
		out = append(out, c)
	}
	return out
}

// Volume names, by kind and position in their list.
func writableVolume(i int) string  { return fmt.Sprintf("writable-%d", i) }
func secretVolume(i int) string    { return fmt.Sprintf("secret-%d", i) }
func configMapVolume(i int) string { return fmt.Sprintf("configmap-%d", i) }

// volumeArgs declares the pod's volumes.
func volumeArgs(p PodArgs) corev1.VolumeArray {
	var out corev1.VolumeArray
	for i, d := range p.WritableDirs {
		out = append(out, &corev1.VolumeArgs{Name: pulumi.String(writableVolume(i)),
			EmptyDir: &corev1.EmptyDirVolumeSourceArgs{SizeLimit: pulumi.String(d.SizeLimit)}})
	}
	for i, v := range p.SecretVolumes {
		out = append(out, &corev1.VolumeArgs{Name: pulumi.String(secretVolume(i)),
			Secret: &corev1.SecretVolumeSourceArgs{SecretName: v.Name}})
	}
	for i, v := range p.ConfigMapVolumes {
		out = append(out, &corev1.VolumeArgs{Name: pulumi.String(configMapVolume(i)),
			ConfigMap: &corev1.ConfigMapVolumeSourceArgs{Name: v.Name}})
	}
	return out
}

// volumeMountArgs mounts the volumes into the app container; Secrets and
// ConfigMaps read-only.
func volumeMountArgs(p PodArgs) corev1.VolumeMountArray {
	var out corev1.VolumeMountArray
	for i, d := range p.WritableDirs {
		out = append(out, &corev1.VolumeMountArgs{Name: pulumi.String(writableVolume(i)), MountPath: pulumi.String(d.MountPath)})
	}
	for i, v := range p.SecretVolumes {
		out = append(out, &corev1.VolumeMountArgs{Name: pulumi.String(secretVolume(i)), MountPath: pulumi.String(v.MountPath), ReadOnly: pulumi.Bool(true)})
	}
	for i, v := range p.ConfigMapVolumes {
		out = append(out, &corev1.VolumeMountArgs{Name: pulumi.String(configMapVolume(i)), MountPath: pulumi.String(v.MountPath), ReadOnly: pulumi.Bool(true)})
	}
	return out
}

// tolerationArgs renders the tolerations.
func tolerationArgs(ts []TolerationArgs) corev1.TolerationArray {
	var out corev1.TolerationArray
	for _, t := range ts {
		tol := &corev1.TolerationArgs{}
		for _, f := range []struct {
			dst *pulumi.StringPtrInput
			v   string
		}{{&tol.Key, t.Key}, {&tol.Operator, t.Operator}, {&tol.Value, t.Value}, {&tol.Effect, t.Effect}} {
			if f.v != "" {
				*f.dst = pulumi.StringPtr(f.v)
			}
		}
		out = append(out, tol)
	}
	return out
}
