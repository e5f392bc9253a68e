package check

import (
	"context"
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
)

// FromCluster reads the objects the checks use from a live cluster: in
// namespace (every namespace when empty) the Deployments, Services,
// Ingresses, PodDisruptionBudgets and HorizontalPodAutoscalers, and the
// Namespaces themselves, so their labels are facts. TargetGroupBindings are
// not read (they need the LBC's CRD client).
func FromCluster(ctx context.Context, cs kubernetes.Interface, namespace string) ([]Object, error) {
	opts := metav1.ListOptions{}
	var items []kindList
	collect := func(kind schema.GroupVersionKind, list any, err error) error {
		if err != nil {
			return fmt.Errorf("listing %ss: %w", kind.Kind, err)
		}
		items = append(items, kindList{kind, list})
		return nil
	}
	steps := []func() error{
		func() error {
			l, err := cs.AppsV1().Deployments(namespace).List(ctx, opts)
			return collect(appsv1.SchemeGroupVersion.WithKind("Deployment"), l, err)
		},
		func() error {
			l, err := cs.CoreV1().Services(namespace).List(ctx, opts)
			return collect(corev1.SchemeGroupVersion.WithKind("Service"), l, err)
		},
		func() error {
			l, err := cs.NetworkingV1().Ingresses(namespace).List(ctx, opts)
			return collect(networkingv1.SchemeGroupVersion.WithKind("Ingress"), l, err)
		},
		func() error {
			l, err := cs.PolicyV1().PodDisruptionBudgets(namespace).List(ctx, opts)
			return collect(policyv1.SchemeGroupVersion.WithKind("PodDisruptionBudget"), l, err)
		},
		func() error {
			l, err := cs.AutoscalingV2().HorizontalPodAutoscalers(namespace).List(ctx, opts)
			return collect(autoscalingv2.SchemeGroupVersion.WithKind("HorizontalPodAutoscaler"), l, err)
		},
		func() error { return collectNamespaces(ctx, cs, namespace, collect) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return decodeLists(items)
}

func collectNamespaces(ctx context.Context, cs kubernetes.Interface, namespace string, collect func(schema.GroupVersionKind, any, error) error) error {
	kind := corev1.SchemeGroupVersion.WithKind("Namespace")
	if namespace == "" {
		l, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		return collect(kind, l, err)
	}
	ns, err := cs.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
	if err != nil {
		return collect(kind, nil, err)
	}
	return collect(kind, map[string]any{"items": []any{ns}}, nil)
}

// decodeLists runs typed lists through the same decoder as files, so a
// live object is checked exactly like its manifest.
func decodeLists(lists []kindList) ([]Object, error) {
	var out []Object
	for _, l := range lists {
		js, err := json.Marshal(l.list)
		if err != nil {
			return nil, fmt.Errorf("encoding cluster objects: %w", err)
		}
		var raw struct {
			Items []map[string]any `json:"items"`
		}
		if err := json.Unmarshal(js, &raw); err != nil {
			return nil, fmt.Errorf("decoding cluster objects: %w", err)
		}
		for j, item := range raw.Items {
			// Typed lists from client-go leave apiVersion and kind empty.
			item["apiVersion"], item["kind"] = l.kind.GroupVersion().String(), l.kind.Kind
			b, _ := json.Marshal(item)
			objs, err := decodeJSON(Location{File: "cluster", Document: j + 1}, b)
			if err != nil {
				return nil, err
			}
			out = append(out, objs...)
		}
	}
	return out, nil
}

// kindList is a list read from the cluster and the kind of its items.
type kindList struct {
	kind schema.GroupVersionKind
	list any
}
