package scenario

import (
	"context"
	"fmt"
	"maps"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// TeamNamespace creates the namespace a platform team owns before any
// Pulumi program touches it (what `kubectl create namespace` and `kubectl
// label` do, through the same API), with the team's own labels only. A
// namespace left by an earlier run is reset to exactly those labels, so the
// readiness-gate label is never there before `pulumi up`.
func TeamNamespace(ctx context.Context, cs kubernetes.Interface, name string, labels map[string]string) error {
	nss := cs.CoreV1().Namespaces()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: maps.Clone(labels)}}
	_, err := nss.Create(ctx, ns, metav1.CreateOptions{})
	if err == nil {
		return nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := nss.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.DeletionTimestamp != nil {
			return fmt.Errorf("namespace %s is being deleted; wait for it to go and run again", name)
		}
		cur.Labels = maps.Clone(labels)
		cur.Labels[corev1.LabelMetadataName] = name // set by the apiserver
		_, err = nss.Update(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("resetting the labels of namespace %s: %w", name, err)
	}
	return nil
}

// NamespaceLabelled checks that namespace name exists, is not being
// deleted, carries every label in want, and has none of the keys in absent.
func NamespaceLabelled(ctx context.Context, cs kubernetes.Interface, name string, want map[string]string, absent ...string) error {
	ns, err := cs.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading namespace %s: %w", name, err)
	}
	if ns.DeletionTimestamp != nil {
		return fmt.Errorf("namespace %s is being deleted", name)
	}
	var problems []string
	for k, v := range want {
		if got, ok := ns.Labels[k]; !ok || got != v {
			problems = append(problems, fmt.Sprintf("label %s=%q missing (have %q)", k, v, got))
		}
	}
	for _, k := range absent {
		if v, ok := ns.Labels[k]; ok {
			problems = append(problems, fmt.Sprintf("label %s=%q still present", k, v))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("namespace %s: %s", name, strings.Join(problems, "; "))
	}
	return nil
}

// PodsGated checks that every pod of the namespace carries a readiness
// gate, i.e. the controller's webhook injected one: the proof that the
// namespace's label took effect before the pods were created.
func PodsGated(ctx context.Context, cs kubernetes.Interface, ns string) (int, error) {
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, fmt.Errorf("listing pods of %s: %w", ns, err)
	}
	if len(pods.Items) == 0 {
		return 0, fmt.Errorf("no pods in %s", ns)
	}
	for _, p := range pods.Items {
		if len(p.Spec.ReadinessGates) == 0 {
			return 0, fmt.Errorf("pod %s/%s has no readiness gate", ns, p.Name)
		}
	}
	return len(pods.Items), nil
}

// NamespaceEmpty checks that no Deployment, Service or Ingress is left in
// the namespace (after a destroy).
func NamespaceEmpty(ctx context.Context, cs kubernetes.Interface, ns string) error {
	deps, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing deployments of %s: %w", ns, err)
	}
	svcs, err := cs.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing services of %s: %w", ns, err)
	}
	ings, err := cs.NetworkingV1().Ingresses(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing ingresses of %s: %w", ns, err)
	}
	if n := len(deps.Items) + len(svcs.Items) + len(ings.Items); n > 0 {
		return fmt.Errorf("namespace %s still holds %d deployments, %d services, %d ingresses", ns, len(deps.Items), len(svcs.Items), len(ings.Items))
	}
	return nil
}
