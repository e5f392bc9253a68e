package check

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/zdt-eks/zdt/components/zerodowntime"
)

// replicas is the Deployment's replica count (API default 1).
func (a *App) replicas() int {
	if a.Deployment.Spec.Replicas == nil {
		return 1
	}
	return int(*a.Deployment.Spec.Replicas)
}

// ResolvedStrategy is maxSurge and maxUnavailable in pods, as the Deployment
// controller resolves them (surge rounds up, unavailable down; 25 % each by
// default).
func ResolvedStrategy(d *appsv1.Deployment, replicas int) (surge, unavailable int, err error) {
	def := intstr.FromString("25%")
	s, u := &def, &def
	if ru := d.Spec.Strategy.RollingUpdate; ru != nil {
		if ru.MaxSurge != nil {
			s = ru.MaxSurge
		}
		if ru.MaxUnavailable != nil {
			u = ru.MaxUnavailable
		}
	}
	if surge, err = intstr.GetScaledValueFromIntOrPercent(s, replicas, true); err != nil {
		return 0, 0, fmt.Errorf("maxSurge: %w", err)
	}
	if unavailable, err = intstr.GetScaledValueFromIntOrPercent(u, replicas, false); err != nil {
		return 0, 0, fmt.Errorf("maxUnavailable: %w", err)
	}
	return surge, unavailable, nil
}

func checkStrategy(a *App) []Finding {
	if a.Deployment == nil {
		return nil
	}
	const field = "spec.strategy"
	outage := predict(PhaseRollout, PathInternal, ClassRefused)
	if a.behindALB() {
		outage = append(outage, predict(PhaseRollout, PathExternal, Class503)...)
	}
	if a.Deployment.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		return []Finding{a.deployFinding(SeverityError, MechanismNoHealthyTarget, field+".type",
			"Recreate stops every old pod before a new one starts: each rollout is an outage",
			"use type RollingUpdate with maxUnavailable: 0 and a maxSurge of at least 1", outage)}
	}
	n := a.replicas()
	surge, unavailable, err := ResolvedStrategy(a.Deployment, n)
	if err != nil {
		return []Finding{a.deployFinding(SeverityError, MechanismNone, field+".rollingUpdate", err.Error(), "use an integer or a percentage", nil)}
	}
	switch {
	case surge == 0 && unavailable == 0:
		return []Finding{a.deployFinding(SeverityError, MechanismNone, field+".rollingUpdate",
			fmt.Sprintf("with %d replicas both maxSurge and maxUnavailable resolve to 0: the API rejects the Deployment", n),
			"set maxSurge: 1 (or a percentage) and maxUnavailable: 0", nil)}
	case unavailable >= n:
		return []Finding{a.deployFinding(SeverityError, MechanismNoHealthyTarget, field+".rollingUpdate.maxUnavailable",
			fmt.Sprintf("maxUnavailable resolves to %d of %d replicas: every old pod may go before a new one is ready", unavailable, n),
			"set maxUnavailable: 0 and maxSurge of at least 1", outage)}
	case unavailable > 0:
		return []Finding{a.deployFinding(SeverityInfo, MechanismNone, field+".rollingUpdate.maxUnavailable",
			fmt.Sprintf("maxUnavailable resolves to %d of %d replicas: old pods go before their replacements are ready, so capacity drops during each rollout", unavailable, n),
			"set maxUnavailable: 0 (an old pod goes only once a new one is ready)", nil)}
	}
	return nil
}

func checkPDB(a *App) []Finding {
	if a.Deployment == nil {
		return nil
	}
	n := a.replicas()
	drain := predict(PhaseDisruption, PathInternal, ClassRefused)
	if a.behindALB() {
		drain = append(drain, predict(PhaseDisruption, PathExternal, Class503)...)
	}
	if len(a.PDBs) == 0 {
		if n < 2 {
			return []Finding{a.deployFinding(SeverityInfo, MechanismNone, "spec.replicas",
				"a single replica: every node drain or eviction is an outage, and a PodDisruptionBudget cannot help", "run at least 2 replicas", drain)}
		}
		return []Finding{a.deployFinding(SeverityWarning, MechanismNone, "(PodDisruptionBudget)",
			fmt.Sprintf("no PodDisruptionBudget selects the pods: a node drain may evict all %d replicas at once", n),
			"add a PodDisruptionBudget with maxUnavailable: 1 selecting the pod template's labels", drain)}
	}
	var out []Finding
	for _, p := range a.PDBs {
		if allowed := pdbAllowed(p.PDB, n); allowed < 1 {
			out = append(out, Finding{Severity: SeverityWarning, Mechanism: MechanismNone, Object: p.Obj.Ref(), Field: "spec",
				Location: p.Obj.Location,
				Why:      fmt.Sprintf("with %d replicas it allows no disruption: node drains hang until someone deletes pods by hand", n),
				Fix:      "use maxUnavailable: 1 (and at least 2 replicas)"})
		}
	}
	return out
}

// pdbAllowed is how many pods the budget lets go at once with n healthy.
func pdbAllowed(p *pdb, n int) int {
	if p.Spec.MaxUnavailable != nil {
		v, err := intstr.GetScaledValueFromIntOrPercent(p.Spec.MaxUnavailable, n, true)
		if err != nil {
			return 0
		}
		return v
	}
	if p.Spec.MinAvailable != nil {
		v, err := intstr.GetScaledValueFromIntOrPercent(p.Spec.MinAvailable, n, true)
		if err != nil {
			return 0
		}
		return n - v
	}
	return 0
}

func checkHPA(a *App) []Finding {
	if a.Deployment == nil || a.Deployment.Spec.Replicas == nil {
		return nil
	}
	if a.Deployment.Annotations[zerodowntime.ReplicasAnnotation] == zerodowntime.ReplicasInitial {
		return nil // applied only at creation (ZeroDowntimeApp: ignoreChanges)
	}
	var out []Finding
	for _, h := range a.HPAs {
		out = append(out, a.deployFinding(SeverityWarning, MechanismNone, "spec.replicas",
			fmt.Sprintf("%s scales this Deployment, but the manifest fixes replicas: %d: every apply resets the count, removing the pods the HPA added under load",
				h.Obj.Ref(), a.replicas()),
			"remove spec.replicas from the manifest and let the HPA own it", nil))
	}
	return out
}

// checkMinReady: a rollout that replaces every pod in one batch must keep
// the old pods until every ALB node has checked a new one, so
// minReadySeconds must cover the health-check interval
// (zerodowntime.Timing.MinReadySecondsRequired says why).
func checkMinReady(a *App) []Finding {
	if a.Deployment == nil || a.Deployment.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		return nil
	}
	n := a.replicas()
	surge, unavailable, err := ResolvedStrategy(a.Deployment, n)
	if err != nil {
		return nil // strategy reports a bad strategy
	}
	batches, minReady := zerodowntime.RolloutBatches(n, surge, unavailable), int(a.Deployment.Spec.MinReadySeconds)
	for _, b := range a.ipBackends() {
		if b.Ingress == nil {
			continue // a TGB's health check lives on the target group in AWS
		}
		hc, _ := parseHealthCheck(b) // alb-health-check reports bad annotations
		if zerodowntime.EveryALBNodeChecksBeforeOldPodsGo(batches, minReady, hc.interval) {
			continue
		}
		return []Finding{a.deployFinding(SeverityWarning, MechanismNoHealthyTarget, "spec.minReadySeconds",
			fmt.Sprintf("every rollout replaces all %d pod(s) in one batch and minReadySeconds (%d s) is shorter than the ALB health-check interval of %s (%d s): "+
				"each ALB node checks a new pod on its own schedule, so a node may lose its last old pod before it has found a new one healthy",
				n, minReady, b.Obj.Ref(), hc.interval),
			fmt.Sprintf("set minReadySeconds: %d (or more), or roll in more than one batch (replicas above maxSurge)", hc.interval),
			predict(PhaseRollout, PathExternal, Class502))}
	}
	return nil
}
