package lab

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/zdt-eks/zdt/check"
	"github.com/zdt-eks/zdt/components/zerodowntime"
	"github.com/zdt-eks/zdt/internal/lbc"
	"github.com/zdt-eks/zdt/lab/emulator"
	"github.com/zdt-eks/zdt/lab/scenario"
)

// The emulator is the lab's scenario.Env.ALB: its drain record gives each
// rollout its "ALB done".
var _ scenario.Drainer = (*emulator.Emulator)(nil)

// PredictFloor reads what a rollout's floor depends on from the live
// objects (the Deployment's replicas, strategy, probes and minReadySeconds,
// the namespace's readiness-gate label, the Ingress's health check as the
// emulated LBC parses it) and from the emulator's settings (registration
// delay, checks a new target needs, gate re-check), takes the app's actual
// boot from the lab, and applies the component's timing model to them: the
// lab asks the model, it does not restate it.
func PredictFloor(ctx context.Context, cs kubernetes.Interface, ns, deployment string, s emulator.Settings, bootSeconds int) (scenario.Floor, error) {
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, deployment, metav1.GetOptions{})
	if err != nil {
		return scenario.Floor{}, fmt.Errorf("reading deployment %s/%s: %w", ns, deployment, err)
	}
	replicas := 1
	if d.Spec.Replicas != nil {
		replicas = int(*d.Spec.Replicas)
	}
	surge, unavailable, err := check.ResolvedStrategy(d, replicas)
	if err != nil {
		return scenario.Floor{}, fmt.Errorf("deployment %s/%s strategy: %w", ns, deployment, err)
	}
	in, err := floorInputs(ctx, cs, ns, d.Spec.Template.Spec.Containers, s)
	if err != nil {
		return scenario.Floor{}, err
	}
	in.BootSeconds = float64(bootSeconds)
	in.MinReadySeconds = float64(d.Spec.MinReadySeconds)
	return scenario.Floor{
		Inputs: in, Replicas: replicas, Surge: surge, Unavailable: unavailable,
		Batches:      zerodowntime.RolloutBatches(replicas, surge, unavailable),
		BatchSeconds: in.BatchFloorSeconds(), Seconds: in.RolloutFloorSeconds(replicas, surge, unavailable),
	}, nil
}

// floorInputs are the floor's inputs but the boot and minReadySeconds: the
// app container's probes, the gate and the ALB's checks.
func floorInputs(ctx context.Context, cs kubernetes.Interface, ns string, containers []corev1.Container, s emulator.Settings) (zerodowntime.BatchFloorInputs, error) {
	var in zerodowntime.BatchFloorInputs
	if len(containers) > 0 {
		in.ReadinessProbed = containers[0].ReadinessProbe != nil || containers[0].StartupProbe != nil
	}
	n, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		return in, fmt.Errorf("reading namespace %s: %w", ns, err)
	}
	in.Gated = n.Labels[lbc.ReadinessGateInjectLabel] == lbc.ReadinessGateInjectValue
	ings, err := cs.NetworkingV1().Ingresses(ns).List(ctx, metav1.ListOptions{})
	if err != nil || len(ings.Items) != 1 {
		return in, fmt.Errorf("want one Ingress in %s (err %v)", ns, err)
	}
	cfg, err := emulator.ParseTargetGroupConfig(ings.Items[0].Annotations, nil, s)
	if err != nil {
		return in, fmt.Errorf("ingress %s/%s: %w", ns, ings.Items[0].Name, err)
	}
	in.HealthCheckIntervalSeconds = cfg.HealthCheck.Interval.Seconds()
	in.ChecksToHealthy = cfg.HealthCheck.HealthyThreshold
	if s.InitialHealthyAfterOneCheck {
		in.ChecksToHealthy = 1
	}
	in.RegistrationSeconds = s.RegistrationDelay.Seconds()
	if !s.GateRecheckOnTargetChange {
		in.GateRecheckSeconds = s.RequeueDuration.Seconds()
	}
	return in, nil
}

// floor records the model's floor for a rollout and prints where its time
// went, batch by batch.
func (r *runner) floor(ctx context.Context, d scenario.Deployer, res *scenario.Result) error {
	f, err := PredictFloor(ctx, r.env.Client, d.Namespace(), d.Deployment(), r.settings, r.env.BootSeconds)
	if err != nil {
		return fmt.Errorf("%s: the rollout's floor: %w", res.Name, err)
	}
	res.SetFloor(f)
	if err := scenario.WriteBreakdown(r.opts.Progress, *res); err != nil {
		return fmt.Errorf("%s: printing the breakdown: %w", res.Name, err)
	}
	return nil
}
