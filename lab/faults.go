package lab

import (
	"context"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/zdt-eks/zdt/lab/scenario"
)

// lbcFailHold is how long the LBC stays down, with the webhook's
// failurePolicy Fail, once the rollout's new ReplicaSet exists. Long enough
// to show the ReplicaSet's creates refused (its controller retries a failed
// sync after 5 ms, doubling each time: a dozen refusals) while v1 serves
// alone; short enough that the rest fits well inside the local stack's
// bounds: after the restart that back-off delays the next create by at most
// about the outage again, then the rollout takes ~70 s, so the progress
// deadline (122 s without progress) is not crossed and `pulumi up` returns
// well before its 244 s timeout. No timeout is waited out.
const lbcFailHold = 30 * time.Second

// evicted evicts every pod of the running ZeroDowntimeApp through the
// Eviction API under load, as a node drain does: its PodDisruptionBudget
// (maxUnavailable 1) lets one pod go at a time, each only once its
// replacement is Ready (readiness gate included). It starts from whichever
// good version the app runs (v2 when none) and leaves it there.
func (r *runner) evicted(ctx context.Context, name string) (scenario.Result, error) {
	v := r.servingVersion(r.zda.NS)
	res, err := r.measure(ctx, r.env, r.zda, v, v, func(env scenario.Env, alreadyDeployed bool) (scenario.Result, error) {
		return scenario.Evicted(ctx, env, name, r.zda, v, alreadyDeployed)
	})
	// A drain replaces pods one at a time as the budget allows, not in the
	// Deployment's rollout batches: the rollout floor says nothing about it.
	res.Floor = nil
	return res, err
}

// lbcStopped rolls ZeroDowntimeApp to the other good version with the
// emulated LBC down and its pod webhook's failurePolicy Fail
// (ScenarioLBCStopped: held down lbcFailHold once the new ReplicaSet exists,
// then started so the rollout completes) or Ignore
// (ScenarioLBCStoppedIgnore: down until the rollout has finished). The
// run's failurePolicy is restored afterwards.
func (r *runner) lbcStopped(ctx context.Context, name string) (scenario.Result, error) {
	o := scenario.LBCOutage{LBC: r.emu, Policy: admissionregistrationv1.Fail, Hold: lbcFailHold}
	if name == ScenarioLBCStoppedIgnore {
		o.Policy, o.Hold = admissionregistrationv1.Ignore, 0
	}
	from := r.servingVersion(r.zda.NS)
	to := otherVersion(from)
	res, err := r.measure(ctx, r.env, r.zda, from, to, func(env scenario.Env, alreadyDeployed bool) (scenario.Result, error) {
		return scenario.RolloutWithLBCDown(ctx, env, name, r.zda, from, to, alreadyDeployed, o)
	})
	if o.Policy == admissionregistrationv1.Ignore {
		// The model's floor counts each batch's wait for the readiness
		// gate, read from the namespace's label; with Ignore and the LBC
		// down the new pods have no gate, so it is no floor for this one.
		res.Floor = nil
	}
	return res, err
}

// servingVersion is the good version (v1 or v2) the app in ns runs, or v2
// when it runs none (never deployed, stopped part-way, or stuck on the
// never-ready version): the fault scenarios start from a serving app.
func (r *runner) servingVersion(ns string) string {
	if v := r.at[ns]; v == "v1" || v == "v2" {
		return v
	}
	return "v2"
}

// otherVersion is the good version that is not v.
func otherVersion(v string) string {
	if v == "v1" {
		return "v2"
	}
	return "v1"
}
