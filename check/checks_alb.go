package check

import (
	"fmt"
	"strconv"

	"github.com/zdt-eks/zdt/internal/lbc"
)

// ipBackends are the app's ALB backends with ip targets.
func (a *App) ipBackends() []Backend {
	var out []Backend
	for _, b := range a.ALBBackends() {
		if b.TargetType == lbc.TargetTypeIP {
			out = append(out, b)
		}
	}
	return out
}

func checkReadinessGate(a *App) []Finding {
	ips := a.ipBackends()
	if a.Deployment == nil || len(ips) == 0 {
		return nil
	}
	label := lbc.ReadinessGateInjectLabel + ": " + lbc.ReadinessGateInjectValue
	fix := fmt.Sprintf("label namespace %s with %s (pods created after the label get the gate)", a.Namespace, label)
	if !a.NamespaceKnown {
		return []Finding{a.deployFinding(SeverityWarning, MechanismNoHealthyTarget, "metadata.namespace",
			fmt.Sprintf("namespace %s is not among the inputs and no cluster was given, so whether it carries %s is unknown; without it an old pod may go before its replacement is healthy in the ALB", a.Namespace, label),
			"add the Namespace manifest to the inputs, or check against the cluster (--kubeconfig); "+fix,
			noHealthyTargetFailures())}
	}
	if a.NamespaceObj != nil && a.NamespaceObj.Labels[lbc.ReadinessGateInjectLabel] == lbc.ReadinessGateInjectValue {
		return nil
	}
	obj, loc := "Namespace/"+a.Namespace, a.DeployObj.Location
	if a.NamespaceObj != nil {
		obj, loc = a.NamespaceRef.Ref(), a.NamespaceRef.Location
	}
	return []Finding{{Severity: SeverityWarning, Mechanism: MechanismNoHealthyTarget, Object: obj,
		Field: "metadata.labels[" + lbc.ReadinessGateInjectLabel + "]", Location: loc,
		Why: fmt.Sprintf("%s targets pods (target-type ip) but the namespace lacks %s: a pod is Ready for Kubernetes before the ALB finds it healthy, so the rollout removes old targets while the new ones are still in initial health checks", ips[0].Obj.Ref(), label),
		Fix: fix, Predicts: noHealthyTargetFailures()}}
}

func checkTargetType(a *App) []Finding {
	var out []Finding
	for _, b := range a.ALBBackends() {
		if b.TargetType == lbc.TargetTypeIP {
			continue
		}
		if b.TargetType != lbc.TargetTypeInstance {
			out = append(out, annotationFinding(b, lbc.AnnotationTargetType, b.TargetType, "must be ip or instance"))
			continue
		}
		why := "target-type instance: the ALB routes through node ports and kube-proxy, so pod readiness gates do not apply and the ALB's health checks say nothing about single pods"
		if !b.TargetTypeSet {
			why = "no target-type annotation, so the LBC default (instance) applies: " + why[len("target-type instance: "):]
		}
		out = append(out, Finding{Severity: SeverityWarning, Mechanism: MechanismNoHealthyTarget, Object: b.Obj.Ref(),
			Field: "metadata.annotations[" + lbc.AnnotationTargetType + "]", Location: b.Obj.Location, Why: why,
			Fix: fmt.Sprintf("set %s: ip and label the namespace with %s: %s", lbc.AnnotationTargetType, lbc.ReadinessGateInjectLabel, lbc.ReadinessGateInjectValue)})
	}
	return out
}

// healthCheck is an Ingress target group's health check after LBC defaults.
type healthCheck struct {
	path                         string
	interval, healthy, unhealthy int
}

func parseHealthCheck(b Backend) (healthCheck, []Finding) {
	hc := healthCheck{path: lbc.DefaultHealthCheckPath}
	var bad []Finding
	num := func(key string, def int) int {
		raw, ok := b.annotations.Get(key)
		if !ok {
			return def
		}
		n, err := strconv.Atoi(raw)
		if err != nil {
			bad = append(bad, annotationFinding(b, key, raw, "not an integer"))
			return def
		}
		return n
	}
	if p, ok := b.annotations.Get(lbc.AnnotationHealthCheckPath); ok {
		hc.path = p
	}
	hc.interval = num(lbc.AnnotationHealthCheckInt, lbc.DefaultHealthCheckIntervalSeconds)
	hc.healthy = num(lbc.AnnotationHealthyThreshold, lbc.DefaultHealthyThreshold)
	hc.unhealthy = num(lbc.AnnotationUnhealthyThreshold, lbc.DefaultUnhealthyThreshold)
	return hc, bad
}

func checkALBHealthCheck(a *App) []Finding {
	if a.Deployment == nil {
		return nil
	}
	var out []Finding
	for _, b := range a.ipBackends() {
		if b.Ingress == nil {
			continue // a TGB's health check lives on the target group in AWS
		}
		hc, bad := parseHealthCheck(b)
		out = append(out, bad...)
		out = append(out, healthCheckPathFindings(a, b, hc)...)
		out = append(out, healthCheckTimingFindings(a, b, hc)...)
	}
	return out
}

func healthCheckPathFindings(a *App, b Backend, hc healthCheck) []Finding {
	for _, c := range a.servingContainers() {
		r := c.ReadinessProbe
		if r == nil || r.HTTPGet == nil || r.HTTPGet.Path == hc.path {
			continue
		}
		return []Finding{{Severity: SeverityWarning, Mechanism: MechanismNoHealthyTarget, Object: b.Obj.Ref(),
			Field: "metadata.annotations[" + lbc.AnnotationHealthCheckPath + "]", Location: b.Obj.Location,
			Why: fmt.Sprintf("the ALB checks %s but the kubelet checks readiness on %s: the ALB judges targets differently from Kubernetes (a draining pod failing readiness still passes the ALB's check)", hc.path, r.HTTPGet.Path),
			Fix: fmt.Sprintf("set %s: %s", lbc.AnnotationHealthCheckPath, r.HTTPGet.Path), Predicts: predict(PhaseRollout, PathExternal, Class502)}}
	}
	return nil
}

func healthCheckTimingFindings(a *App, b Backend, hc healthCheck) []Finding {
	t := a.Timing
	if hc.interval <= t.HealthCheckIntervalSeconds && hc.healthy <= t.HealthyThreshold && hc.unhealthy <= t.UnhealthyThreshold {
		return nil
	}
	return []Finding{{Severity: SeverityInfo, Mechanism: MechanismNoHealthyTarget, Object: b.Obj.Ref(),
		Field: "metadata.annotations[" + lbc.AnnotationHealthCheckInt + "]", Location: b.Obj.Location,
		Why: fmt.Sprintf("health checks every %d s with thresholds %d healthy / %d unhealthy: a new target needs %d s to turn healthy (each rollout batch waits for it with readiness gates) and a dead one serves errors for %d s",
			hc.interval, hc.healthy, hc.unhealthy, hc.interval*hc.healthy, hc.interval*hc.unhealthy),
		Fix: fmt.Sprintf("set %s: \"%d\", %s: \"%d\", %s: \"%d\"", lbc.AnnotationHealthCheckInt, t.HealthCheckIntervalSeconds,
			lbc.AnnotationHealthyThreshold, t.HealthyThreshold, lbc.AnnotationUnhealthyThreshold, t.UnhealthyThreshold)}}
}
