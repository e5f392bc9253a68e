package check

import (
	"context"
	"encoding/json"
	"fmt"

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
	var items []any
	collect := func(what string, list any, err error) error {
		if err != nil {
			return fmt.Errorf("listing %s: %w", what, err)
		}
		items = append(items, list)
		return nil
	}
	steps := []func() error{
		func() error {
			l, err := cs.AppsV1().Deployments(namespace).List(ctx, opts)
			return collect("deployments", l, err)
		},
		func() error {
			l, err := cs.CoreV1().Services(namespace).List(ctx, opts)
			return collect("services", l, err)
		},
		func() error {
			l, err := cs.NetworkingV1().Ingresses(namespace).List(ctx, opts)
			return collect("ingresses", l, err)
		},
		func() error {
			l, err := cs.PolicyV1().PodDisruptionBudgets(namespace).List(ctx, opts)
			return collect("poddisruptionbudgets", l, err)
		},
		func() error {
			l, err := cs.AutoscalingV2().HorizontalPodAutoscalers(namespace).List(ctx, opts)
			return collect("horizontalpodautoscalers", l, err)
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

func collectNamespaces(ctx context.Context, cs kubernetes.Interface, namespace string, collect func(string, any, error) error) error {
	if namespace == "" {
		l, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		return collect("namespaces", l, err)
	}
	ns, err := cs.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
	if err != nil {
		return collect("namespace "+namespace, nil, err)
	}
	ns.APIVersion, ns.Kind = "v1", "Namespace"
	return collect("namespace", map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{ns}}, nil)
}

// decodeLists runs typed lists through the same decoder as files, so a
// live object is checked exactly like its manifest.
func decodeLists(lists []any) ([]Object, error) {
	var out []Object
	for i, l := range lists {
		js, err := json.Marshal(l)
		if err != nil {
			return nil, fmt.Errorf("encoding cluster objects: %w", err)
		}
		var raw struct {
			Items []map[string]any `json:"items"`
		}
		if err := json.Unmarshal(js, &raw); err != nil {
			return nil, fmt.Errorf("decoding cluster objects: %w", err)
		}
		kind := listKinds[i]
		for j, item := range raw.Items {
			// Typed lists from client-go leave apiVersion and kind empty.
			item["apiVersion"], item["kind"] = kind.GroupVersion().String(), kind.Kind
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

// listKinds are the kinds FromCluster lists, in its order.
var listKinds = []schema.GroupVersionKind{
	{Group: "apps", Version: "v1", Kind: "Deployment"},
	{Version: "v1", Kind: "Service"},
	{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"},
	{Group: "policy", Version: "v1", Kind: "PodDisruptionBudget"},
	{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"},
	{Version: "v1", Kind: "Namespace"},
}
