package lab

import (
	"context"
	"fmt"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/zdt-eks/zdt/check"
	"github.com/zdt-eks/zdt/components/zerodowntime"
	"github.com/zdt-eks/zdt/lab/emulator"
)

// Boundary is the failure boundary the timing model predicts for an app as
// deployed: the largest deregistration propagation it survives.
type Boundary struct {
	PreStopSeconds             int
	AppDrainSeconds            int
	DeregistrationDelaySeconds int
	// SafePropagationSeconds is zerodowntime.Timing.SafePropagationSeconds
	// for the deployed preStop and deregistration delay.
	SafePropagationSeconds int
}

// String renders the boundary and its inputs.
func (b Boundary) String() string {
	return fmt.Sprintf("%d s (preStop %d s, app drain %d s, deregistration delay %d s)", b.SafePropagationSeconds, b.PreStopSeconds, b.AppDrainSeconds, b.DeregistrationDelaySeconds)
}

// PredictBoundary reads what the model's boundary depends on from the live
// objects (the Deployment's preStop sleep and declared app drain, the
// Ingress's deregistration delay as the emulated LBC parses it) and applies
// the component's timing model to them for requests of up to requestSeconds
// (the longest the lab sends, requestSecondsOf): the lab asks the model, it
// does not restate it.
func PredictBoundary(ctx context.Context, cs kubernetes.Interface, ns, deployment string, s emulator.Settings, requestSeconds int) (Boundary, error) {
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, deployment, metav1.GetOptions{})
	if err != nil {
		return Boundary{}, fmt.Errorf("reading deployment %s/%s: %w", ns, deployment, err)
	}
	var preStop int
	if cs := d.Spec.Template.Spec.Containers; len(cs) > 0 {
		preStop, _, _ = check.PreStopSleep(cs[0])
	}
	ings, err := cs.NetworkingV1().Ingresses(ns).List(ctx, metav1.ListOptions{})
	if err != nil || len(ings.Items) != 1 {
		return Boundary{}, fmt.Errorf("want one Ingress in %s (err %v)", ns, err)
	}
	cfg, err := emulator.ParseTargetGroupConfig(ings.Items[0].Annotations, nil, s)
	if err != nil {
		return Boundary{}, fmt.Errorf("ingress %s/%s: %w", ns, ings.Items[0].Name, err)
	}
	drain, err := declaredDrain(d.Annotations)
	if err != nil {
		return Boundary{}, fmt.Errorf("deployment %s/%s: %w", ns, deployment, err)
	}
	t := zerodowntime.Timing{PreStopSeconds: preStop, AppDrainSeconds: drain, DeregistrationDelaySeconds: int(cfg.DeregistrationDelay.Seconds())}
	return Boundary{
		PreStopSeconds: preStop, AppDrainSeconds: drain, DeregistrationDelaySeconds: t.DeregistrationDelaySeconds,
		SafePropagationSeconds: t.SafePropagationSeconds(requestSeconds),
	}, nil
}

// declaredDrain is the app drain the Deployment declares
// (zerodowntime.AnnotationAppDrainSeconds); 0 when it declares none, as the
// field report's apps, which exit at once on SIGTERM.
func declaredDrain(ann map[string]string) (int, error) {
	raw, ok := ann[zerodowntime.AnnotationAppDrainSeconds]
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("annotation %s=%q: not a number of seconds", zerodowntime.AnnotationAppDrainSeconds, raw)
	}
	return n, nil
}
