package scenario

import (
	"context"
	"fmt"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// AutoscalerStandIn is the field manager of ScaleLikeAnAutoscaler's writes.
const AutoscalerStandIn = "zdt-lab-autoscaler-stand-in"

// ScaleLikeAnAutoscaler changes a Deployment's pod count the way a
// HorizontalPodAutoscaler does, through the scale subresource (the lab has
// no metrics-server, so the real autoscaler cannot decide to scale; it only
// holds the count within its min and max), and waits until the new count
// is available. The write makes its field manager own spec.replicas, as the
// autoscaler's own writes do.
func ScaleLikeAnAutoscaler(ctx context.Context, cs kubernetes.Interface, ns, name string, replicas int32, timeout time.Duration) error {
	deployments := cs.AppsV1().Deployments(ns)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		sc, err := deployments.GetScale(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		sc.Spec = autoscalingv1.ScaleSpec{Replicas: replicas}
		_, err = deployments.UpdateScale(ctx, name, sc, metav1.UpdateOptions{FieldManager: AutoscalerStandIn})
		return err
	})
	if err != nil {
		return fmt.Errorf("scaling deployment %s/%s to %d: %w", ns, name, replicas, err)
	}
	if _, err := waitRolledOut(ctx, cs, ns, name, timeout); err != nil {
		return fmt.Errorf("after scaling to %d: %w", replicas, err)
	}
	return nil
}

// DesiredReplicas is the Deployment's spec.replicas.
func DesiredReplicas(ctx context.Context, cs kubernetes.Interface, ns, name string) (int32, error) {
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return 0, fmt.Errorf("reading deployment %s/%s: %w", ns, name, err)
	}
	if d.Spec.Replicas == nil {
		return 1, nil
	}
	return *d.Spec.Replicas, nil
}
