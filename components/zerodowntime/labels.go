package zerodowntime

import (
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zdt-eks/zdt/internal/lbc"
)

// Well-known keys the component writes or relies on.
const (
	// ReadinessGateInjectLabel is the namespace label that makes the AWS Load
	// Balancer Controller inject target-health readiness gates into new pods.
	ReadinessGateInjectLabel = lbc.ReadinessGateInjectLabel
	// ReadinessGateInjectValue is the value that enables injection.
	ReadinessGateInjectValue = lbc.ReadinessGateInjectValue

	labelName      = "app.kubernetes.io/name"
	labelInstance  = "app.kubernetes.io/instance"
	labelVersion   = "app.kubernetes.io/version"
	labelManagedBy = "app.kubernetes.io/managed-by"
	labelComponent = "zdt.dev/component"

	// containerName is the app container's name; the port is named so that
	// probes and the Service refer to it by name, never by a second number.
	containerName = "app"
	portName      = "http"
)

// selectorLabels are the labels the Deployment selects and the Service
// routes to. Both read this one function, so they cannot disagree (the
// field report's Service selected app=websvr-server while pods were app=websvr).
// They never include the version: a Deployment's selector is immutable.
func selectorLabels(a Args) map[string]string {
	return map[string]string{
		labelName:     a.AppName,
		labelInstance: a.AppName,
	}
}

// podLabels are the selector labels plus descriptive ones and Args.Labels.
func podLabels(a Args) map[string]string {
	l := withExtra(selectorLabels(a), a.Labels)
	if a.Version != "" {
		l[labelVersion] = a.Version
	}
	return l
}

// objectLabels label every object the component emits.
func objectLabels(a Args) map[string]string {
	l := withExtra(selectorLabels(a), a.Labels)
	l[labelManagedBy] = "pulumi"
	l[labelComponent] = "ZeroDowntimeApp"
	return l
}

// reservedLabels are the keys the component sets; Args.Labels may not.
var reservedLabels = []string{labelName, labelInstance, labelVersion, labelManagedBy, labelComponent}

// objectMeta is every emitted object's metadata: the app's name, namespace
// and object labels, and the object's annotations (nil for none).
func objectMeta(a Args, annotations pulumi.StringMapInput) *metav1.ObjectMetaArgs {
	return &metav1.ObjectMetaArgs{
		Name:        pulumi.String(a.AppName),
		Namespace:   a.Namespace,
		Labels:      toStringMap(objectLabels(a)),
		Annotations: annotations,
	}
}

// withExtra adds extra's entries to m (validation keeps them apart from the
// component's own keys) and returns m.
func withExtra(m, extra map[string]string) map[string]string {
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func toStringMap(m map[string]string) pulumi.StringMap {
	out := pulumi.StringMap{}
	for k, v := range m {
		out[k] = pulumi.String(v)
	}
	return out
}

// sortedKeys returns a map's keys in order, for stable output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
