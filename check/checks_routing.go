package check

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// deployFinding is a finding on the app's Deployment.
func (a *App) deployFinding(sev Severity, m Mechanism, field, why, fix string, p []Failure) Finding {
	return Finding{Severity: sev, Mechanism: m, Object: a.DeployObj.Ref(), Field: field, Location: a.DeployObj.Location,
		Why: why, Fix: fix, Predicts: p}
}

// behindALB tells whether the LBC routes an ALB to the app.
func (a *App) behindALB() bool { return len(a.ALBBackends()) > 0 }

// servingContainers are the containers that declare ports (all of them when
// none does): the ones a Service routes to.
func (a *App) servingContainers() []corev1.Container {
	var out []corev1.Container
	for _, c := range a.Deployment.Spec.Template.Spec.Containers {
		if len(c.Ports) > 0 {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return a.Deployment.Spec.Template.Spec.Containers
	}
	return out
}

func containerField(c corev1.Container, rest string) string {
	return fmt.Sprintf("spec.template.spec.containers[%s].%s", c.Name, rest)
}

func checkServiceSelector(a *App) []Finding {
	var out []Finding
	for _, s := range a.Services {
		if s.Selects {
			continue
		}
		why := fmt.Sprintf("the selector %s matches no pod", formatLabels(s.Service.Spec.Selector))
		fix := "make spec.selector a subset of the pod template's labels"
		if a.Deployment != nil {
			why = fmt.Sprintf("the selector %s matches no pod of Deployment %s (pod labels %s): the Service has no endpoints, nothing can ever be served",
				formatLabels(s.Service.Spec.Selector), a.Name, formatLabels(a.Deployment.Spec.Template.Labels))
			fix = fmt.Sprintf("set spec.selector to %s", formatLabels(nearestSelector(s.Service.Spec.Selector, a.Deployment.Spec.Template.Labels)))
		}
		p := predict(PhaseAlways, PathInternal, ClassRefused)
		if a.behindALB() {
			p = append(p, predict(PhaseAlways, PathExternal, Class503)...)
		}
		out = append(out, Finding{Severity: SeverityError, Mechanism: MechanismNoHealthyTarget, Object: s.Obj.Ref(),
			Field: "spec.selector", Location: s.Obj.Location, Why: why, Fix: fix, Predicts: p})
	}
	return out
}

// nearestSelector keeps the selector's keys with the pod's values.
func nearestSelector(sel, pod map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range sel {
		if pv, ok := pod[k]; ok {
			v = pv
		}
		out[k] = v
	}
	return out
}

func formatLabels(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + m[k]
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func checkIngressBackend(a *App) []Finding {
	if len(a.Services) > 0 {
		return nil
	}
	var out []Finding
	for _, b := range a.Backends {
		var p []Failure
		if b.ALB {
			p = predict(PhaseAlways, PathExternal, Class503)
		}
		out = append(out, Finding{Severity: SeverityError, Mechanism: MechanismNoHealthyTarget, Object: b.Obj.Ref(),
			Field: b.Field, Location: b.Obj.Location,
			Why: fmt.Sprintf("names Service %q, which is not among the inputs in namespace %s: the load balancer has no target", b.Service, a.Namespace),
			Fix: fmt.Sprintf("name an existing Service, or add Service %q to the inputs", b.Service), Predicts: p})
	}
	return out
}
