package scenario

import (
	"context"
	"fmt"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

func itoa(n int) string { return strconv.Itoa(n) }

// applyFieldReport creates the objects of a step, or updates the Deployment
// when it exists (the rollout). Order follows what the LBC needs for
// readiness gates: namespace, Service, Ingress, then Deployment.
func applyFieldReport(ctx context.Context, cs kubernetes.Interface, objs FieldReportObjects) error {
	if _, err := cs.CoreV1().Namespaces().Create(ctx, objs.Namespace, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", objs.Namespace.Name, err)
	}
	ns := objs.Namespace.Name
	if _, err := cs.CoreV1().Services(ns).Create(ctx, objs.Service, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating service: %w", err)
	}
	if _, err := cs.NetworkingV1().Ingresses(ns).Create(ctx, objs.Ingress, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating ingress: %w", err)
	}
	if err := waitIngressHostname(ctx, cs, ns, objs.Ingress.Name); err != nil {
		return err
	}
	return applyDeployment(ctx, cs, objs.Deployment)
}

func applyDeployment(ctx context.Context, cs kubernetes.Interface, d *appsv1.Deployment) error {
	deployments := cs.AppsV1().Deployments(d.Namespace)
	_, err := deployments.Get(ctx, d.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = deployments.Create(ctx, d, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("creating deployment %s/%s: %w", d.Namespace, d.Name, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading deployment %s/%s: %w", d.Namespace, d.Name, err)
	}
	// The controller writes status meanwhile: retry the read-modify-write
	// on a resourceVersion conflict.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := deployments.Get(ctx, d.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Spec = d.Spec
		_, err = deployments.Update(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("updating deployment %s/%s: %w", d.Namespace, d.Name, err)
	}
	return nil
}

// waitIngressHostname waits until the (emulated) LBC has reconciled the
// Ingress: it writes the ALB hostname last, after the target group exists,
// which is what readiness-gate injection needs.
func waitIngressHostname(ctx context.Context, cs kubernetes.Interface, ns, name string) error {
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		ing, err := cs.NetworkingV1().Ingresses(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		return hostnameOf(ing) != "", nil
	})
	if err != nil {
		return fmt.Errorf("ingress %s/%s got no load-balancer hostname: %w", ns, name, err)
	}
	return nil
}

func hostnameOf(ing *networkingv1.Ingress) string {
	for _, lb := range ing.Status.LoadBalancer.Ingress {
		if lb.Hostname != "" {
			return lb.Hostname
		}
	}
	return ""
}

// RolloutState is what waitRolledOut observed.
type RolloutState struct {
	// Complete is when every replica ran the new template and was available.
	Complete time.Time
	// OldPodsGone is when the last pod of an older template disappeared:
	// until then, traffic can still reach old pods.
	OldPodsGone time.Time
}

// waitRolledOut waits until the Deployment runs only its current template:
// all replicas updated and available, and no pod of an older template left
// (kubectl rollout status returns seconds before that; local-kubernetes.md).
func waitRolledOut(ctx context.Context, cs kubernetes.Interface, ns, name string, timeout time.Duration) (RolloutState, error) {
	var st RolloutState
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		if st.Complete.IsZero() && RolloutComplete(d) {
			st.Complete = time.Now()
		}
		if st.Complete.IsZero() {
			return false, nil
		}
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil {
			return false, fmt.Errorf("deployment selector: %w", err)
		}
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err != nil {
			return false, nil
		}
		if countOtherTemplates(pods.Items, currentHash(ctx, cs, d)) > 0 {
			return false, nil
		}
		st.OldPodsGone = time.Now()
		return true, nil
	})
	if err != nil {
		return st, fmt.Errorf("deployment %s/%s did not finish rolling out within %s: %w", ns, name, timeout, err)
	}
	return st, nil
}

// generation is the Deployment's metadata.generation, 0 when it does not
// exist yet.
func generation(ctx context.Context, cs kubernetes.Interface, ns, name string) (int64, error) {
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading deployment %s/%s: %w", ns, name, err)
	}
	return d.Generation, nil
}

// RolloutComplete tells whether the status shows the current generation's
// rollout complete: every replica updated and available, none of an older
// template.
func RolloutComplete(d *appsv1.Deployment) bool {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := d.Status
	return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want && s.AvailableReplicas == want && s.Replicas == want
}

// watchComplete polls the Deployment every 100 ms, independently of the
// deploy tool, and records when its status first shows the rollout of a
// generation newer than `after` complete. The returned func stops the watch
// and returns that time (zero if not seen).
func watchComplete(ctx context.Context, cs kubernetes.Interface, ns, name string, after int64) func() time.Time {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan time.Time, 1)
	go func() {
		var at time.Time
		_ = wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil || d.Generation <= after || !RolloutComplete(d) {
				return false, nil
			}
			at = time.Now()
			return true, nil
		})
		done <- at
	}()
	return func() time.Time {
		select {
		case at := <-done:
			cancel()
			return at
		default:
		}
		cancel()
		return <-done
	}
}

// currentHash is the pod-template-hash of the Deployment's newest ReplicaSet.
func currentHash(ctx context.Context, cs kubernetes.Interface, d *appsv1.Deployment) string {
	rs := newestReplicaSet(ctx, cs, d)
	if rs == nil {
		return ""
	}
	return rs.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
}

// newestReplicaSet is the Deployment's ReplicaSet of the highest revision
// (nil when there is none, or they cannot be listed).
func newestReplicaSet(ctx context.Context, cs kubernetes.Interface, d *appsv1.Deployment) *appsv1.ReplicaSet {
	sel, _ := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	rss, err := cs.AppsV1().ReplicaSets(d.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil
	}
	var newest *appsv1.ReplicaSet
	for i := range rss.Items {
		rs := &rss.Items[i]
		if !metav1.IsControlledBy(rs, d) {
			continue
		}
		if newest == nil || revision(rs) > revision(newest) {
			newest = rs
		}
	}
	return newest
}

func revision(rs *appsv1.ReplicaSet) int {
	n, _ := strconv.Atoi(rs.Annotations["deployment.kubernetes.io/revision"])
	return n
}

func countOtherTemplates(pods []corev1.Pod, hash string) int {
	if hash == "" {
		return len(pods)
	}
	n := 0
	for _, p := range pods {
		if p.Labels[appsv1.DefaultDeploymentUniqueLabelKey] != hash {
			n++
		}
	}
	return n
}
