package scenario

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// LBC is the emulated AWS Load Balancer Controller as a fault scenario
// drives it (lab/emulator's Emulator): stopped and started while the ALB
// serves, with its pod webhook's failurePolicy.
type LBC interface {
	StopLBC(ctx context.Context) error
	StartLBC() error
	WebhookFailurePolicy() admissionregistrationv1.FailurePolicyType
	SetWebhookFailurePolicy(ctx context.Context, p admissionregistrationv1.FailurePolicyType) error
}

// LBCOutage is a fault: the emulated LBC (controller and webhook) down
// during a rollout.
type LBCOutage struct {
	LBC LBC
	// Policy is the pod webhook's failurePolicy for the scenario (restored
	// afterwards).
	Policy admissionregistrationv1.FailurePolicyType
	// Hold is how long the LBC stays down once the rollout's new ReplicaSet
	// exists; zero keeps it down until the rollout has finished (no old pod
	// left).
	Hold time.Duration
}

// RolloutWithLBCDown measures a rollout from -> to during which the
// emulated LBC is down: the webhook's failurePolicy is set before the load
// starts; the LBC is stopped just before the deploy tool starts and started
// again after o.Hold (or once the rollout has finished) while the tool
// runs; then the rollout ends as Rollout's. Result.Fault holds what
// happened while the LBC was down: the pods created, those without a
// readiness gate, and whether the new ReplicaSet's creates were refused.
func RolloutWithLBCDown(ctx context.Context, env Env, name string, d Deployer, from, to string, alreadyDeployed bool, o LBCOutage) (res Result, err error) {
	prev := o.LBC.WebhookFailurePolicy()
	if err := o.LBC.SetWebhookFailurePolicy(ctx, o.Policy); err != nil {
		return Result{Name: name}, fmt.Errorf("%s: %w", name, err)
	}
	defer func() {
		if rerr := o.LBC.SetWebhookFailurePolicy(context.WithoutCancel(ctx), prev); rerr != nil {
			err = errors.Join(err, fmt.Errorf("%s: restoring the webhook failurePolicy: %w", name, rerr))
		}
	}()
	fault := &Fault{}
	res, err = UnderLoad(ctx, env, name, d, from, alreadyDeployed, o.roll(env, name, d, from, to, fault))
	res.Fault = fault
	return res, err
}

// roll is the Action of a rollout from -> to with the LBC down: stopped
// before the deploy tool starts, started again as o.Hold says; the rest is
// RollTo's. fault records the outage.
func (o LBCOutage) roll(env Env, name string, d Deployer, from, to string, fault *Fault) Action {
	fault.WebhookFailurePolicy = string(o.Policy)
	return Action{
		What: fmt.Sprintf("rolling to %s with the LBC down (webhook failurePolicy %s)", to, o.Policy),
		Run: func(ctx context.Context, res *Result) (string, error) {
			out, err := o.begin(ctx, env, name, d, fault)
			if err != nil {
				return "", err
			}
			want, err := RollTo(env, name, d, from, to, out.during).Run(ctx, res)
			return want, errors.Join(err, out.restart())
		},
	}
}

// outage is one LBC outage under way.
type outage struct {
	o       LBCOutage
	env     Env
	name    string
	d       Deployer
	fault   *Fault
	oldHash string
	pods    *newPods
	stopped time.Time

	once       sync.Once
	restartErr error
}

// begin starts counting the app's new pods and stops the LBC.
func (o LBCOutage) begin(ctx context.Context, env Env, name string, d Deployer, fault *Fault) (*outage, error) {
	dep, err := env.Client.AppsV1().Deployments(d.Namespace()).Get(ctx, d.Deployment(), metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("reading deployment %s/%s: %w", d.Namespace(), d.Deployment(), err)
	}
	pods, err := watchNewPods(ctx, env.Client, d.Namespace(), d.Deployment())
	if err != nil {
		return nil, err
	}
	out := &outage{o: o, env: env, name: name, d: d, fault: fault, oldHash: currentHash(ctx, env.Client, dep), pods: pods}
	if err := o.LBC.StopLBC(ctx); err != nil {
		pods.stop()
		return nil, fmt.Errorf("stopping the LBC: %w", err)
	}
	out.stopped = time.Now()
	logf(env, "[%s] LBC stopped (controller and webhook; webhook failurePolicy %s); the ALB keeps serving", name, o.Policy)
	return out, nil
}

// during runs beside the deploy tool: it keeps the LBC down as o.Hold
// says, then starts it again.
func (out *outage) during(ctx context.Context, deployed <-chan struct{}) error {
	err := out.hold(ctx, deployed)
	return errors.Join(err, out.restart())
}

// hold waits for the rollout's new ReplicaSet (unless the deploy tool
// returns first), then for o.Hold or the rollout's end, and records whether
// the ReplicaSet's creates were refused.
func (out *outage) hold(ctx context.Context, deployed <-chan struct{}) error {
	ns, name := out.d.Namespace(), out.d.Deployment()
	rs, err := waitNewReplicaSet(ctx, out.env, ns, name, out.oldHash, deployed)
	if err != nil || rs == "" {
		return err
	}
	logf(out.env, "[%s] new ReplicaSet %s exists; the LBC stays down %s", out.name, rs, out.holdText())
	if out.o.Hold > 0 {
		select {
		case <-time.After(out.o.Hold):
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	} else if _, err := waitRolledOut(ctx, out.env.Client, ns, name, out.env.RolloutTimeout); err != nil {
		return fmt.Errorf("with the LBC down: %w", err)
	}
	out.fault.CreateRefused, err = createRefused(ctx, out.env, ns, rs)
	return err
}

func (out *outage) holdText() string {
	if out.o.Hold > 0 {
		return out.o.Hold.String()
	}
	return "until the rollout has finished"
}

// restart records what happened while the LBC was down and starts it
// again; only the first call does anything.
func (out *outage) restart() error {
	out.once.Do(func() {
		out.fault.PodsCreated, out.fault.PodsWithoutGate = out.pods.counts()
		out.pods.stop()
		out.fault.LBCDownSeconds = time.Since(out.stopped).Seconds()
		if err := out.o.LBC.StartLBC(); err != nil {
			out.restartErr = fmt.Errorf("starting the LBC again: %w", err)
			return
		}
		logf(out.env, "[%s] LBC started again after %.1fs down: %d pods created meanwhile, %d without a readiness gate; refused creates: %q",
			out.name, out.fault.LBCDownSeconds, out.fault.PodsCreated, out.fault.PodsWithoutGate, out.fault.CreateRefused)
	})
	return out.restartErr
}

// waitNewReplicaSet waits until the Deployment's newest ReplicaSet is not
// oldHash's and returns its name; "" when the deploy tool returned first.
func waitNewReplicaSet(ctx context.Context, env Env, ns, name, oldHash string, deployed <-chan struct{}) (string, error) {
	var rs string
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, env.RolloutTimeout, true, func(ctx context.Context) (bool, error) {
		select {
		case <-deployed:
			return true, nil
		default:
		}
		d, err := env.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		newest := newestReplicaSet(ctx, env.Client, d)
		if newest == nil || newest.Labels[appsv1.DefaultDeploymentUniqueLabelKey] == oldHash {
			return false, nil
		}
		rs = newest.Name
		return true, nil
	})
	if err != nil {
		return "", fmt.Errorf("deployment %s/%s got no new ReplicaSet: %w", ns, name, err)
	}
	return rs, nil
}

// createRefused is the ReplicaSet's ReplicaFailure condition (the
// ReplicaSet controller sets it, reason FailedCreate, while the apiserver
// refuses its pods), "" when it has none.
func createRefused(ctx context.Context, env Env, ns, rs string) (string, error) {
	r, err := env.Client.AppsV1().ReplicaSets(ns).Get(ctx, rs, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("reading replicaset %s/%s: %w", ns, rs, err)
	}
	for _, c := range r.Status.Conditions {
		if c.Type == appsv1.ReplicaSetReplicaFailure && c.Status == corev1.ConditionTrue {
			return c.Reason + ": " + c.Message, nil
		}
	}
	return "", nil
}
