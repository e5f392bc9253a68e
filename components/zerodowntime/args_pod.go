package zerodowntime

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PodArgs are what a real service's pods need beyond the image: secrets and
// configuration, volumes, an identity, a command, scheduling controls and
// sidecars. Everything is optional; the zero value is the demo's pod.
type PodArgs struct {
	// SecretEnv sets environment variables from Secret keys (variable name
	// -> Secret and key), so secrets never appear in the pod spec.
	SecretEnv map[string]KeyRef
	// ConfigMapEnv sets environment variables from ConfigMap keys.
	ConfigMapEnv map[string]KeyRef
	// EnvFrom imports every key of Secrets or ConfigMaps as variables.
	EnvFrom []EnvFromArgs
	// Command replaces the image's entrypoint.
	Command []string
	// Args replaces the image's arguments.
	Args []string
	// ServiceAccountName runs the pods as this ServiceAccount (IRSA or EKS
	// Pod Identity). Its token is mounted only when it is set.
	ServiceAccountName string
	// WritableDirs are emptyDir volumes mounted into the app container: the
	// root filesystem is read-only, so an app that writes (a temp directory,
	// a cache) needs one.
	WritableDirs []WritableDirArgs
	// SecretVolumes mount Secrets' keys as read-only files.
	SecretVolumes []ObjectVolumeArgs
	// ConfigMapVolumes mount ConfigMaps' keys as read-only files.
	ConfigMapVolumes []ObjectVolumeArgs
	// NodeSelector restricts the pods to nodes with these labels.
	NodeSelector map[string]string
	// Tolerations let the pods run on tainted nodes.
	Tolerations []TolerationArgs
	// Affinity is the pods' node and pod affinity, passed through as given
	// (Go only: a Kubernetes type has no form in the package's schema).
	Affinity corev1.AffinityPtrInput
	// PriorityClassName is the pods' PriorityClass.
	PriorityClassName string
	// Sidecars run beside the app as native sidecars (init containers with
	// restartPolicy Always, Kubernetes 1.29+): they start before the app and
	// get SIGTERM only after it has exited, so a proxy keeps serving the
	// app's preStop and drain.
	Sidecars []SidecarArgs
	// Annotations are added to the pod template (e.g. for a log shipper).
	// Keys under pulumi.com/ are refused.
	Annotations map[string]string
}

// KeyRef names one key of a Secret or ConfigMap.
type KeyRef struct {
	// Name of the Secret or ConfigMap; pass a resource's name output to
	// order the app after it. Required.
	Name pulumi.StringInput
	// Key within it. Required.
	Key string
}

// EnvFromArgs imports all keys of one Secret or ConfigMap.
type EnvFromArgs struct {
	// SecretName names the Secret to import (or set ConfigMapName).
	SecretName pulumi.StringInput
	// ConfigMapName names the ConfigMap to import (or set SecretName).
	ConfigMapName pulumi.StringInput
	// Prefix is put before every variable name.
	Prefix string
}

// WritableDirArgs is an emptyDir volume mounted at MountPath.
type WritableDirArgs struct {
	// MountPath is an absolute path in the app container, e.g. /tmp.
	MountPath string
	// SizeLimit caps the directory (a Kubernetes quantity). Default 1Gi.
	SizeLimit string
}

// ObjectVolumeArgs mounts a Secret or ConfigMap read-only at MountPath.
type ObjectVolumeArgs struct {
	// Name of the Secret or ConfigMap. Required.
	Name pulumi.StringInput
	// MountPath is an absolute path in the app container.
	MountPath string
}

// TolerationArgs lets the pods run on tainted nodes.
type TolerationArgs struct {
	// Key is the taint's key; empty with Operator Exists tolerates all.
	Key string
	// Operator is Equal (default) or Exists.
	Operator string
	// Value is the taint's value, with Operator Equal.
	Value string
	// Effect is NoSchedule, PreferNoSchedule, NoExecute or empty (all).
	Effect string
}

// SidecarArgs is a native sidecar container. It runs with the app's
// security context (non-root, read-only root, no privileges).
type SidecarArgs struct {
	// Name of the container, a DNS-1123 label other than "app". Required.
	Name string
	// Image of the container. Required.
	Image pulumi.StringInput
	// Command replaces the image's entrypoint.
	Command []string
	// Args replaces the image's arguments.
	Args []string
	// Env sets the sidecar's environment variables.
	Env map[string]pulumi.StringInput
	// Resources default like the app's.
	Resources Resources
}

// DefaultWritableDirSizeLimit caps a WritableDirs entry without SizeLimit.
const DefaultWritableDirSizeLimit = "1Gi"
