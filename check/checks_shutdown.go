package check

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/zdt-eks/zdt/internal/lbc"
)

// PreStopSleep is the preStop hook's sleep in seconds; native is false for
// an exec sleep; ok is false when there is no sleep the check can read. The
// lab reads deployed pods with it too.
func PreStopSleep(c corev1.Container) (seconds int, native, ok bool) {
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil {
		return 0, false, false
	}
	h := c.Lifecycle.PreStop
	if h.Sleep != nil {
		return int(h.Sleep.Seconds), true, true
	}
	if h.Exec != nil {
		return execSleep(h.Exec.Command)
	}
	return 0, false, false
}

// execSleep reads ["sleep", "N"] or ["/bin/sh", "-c", "sleep N"].
func execSleep(cmd []string) (int, bool, bool) {
	words := cmd
	if len(cmd) == 3 && strings.HasSuffix(cmd[0], "sh") && cmd[1] == "-c" {
		words = strings.Fields(cmd[2])
	}
	if len(words) == 2 && strings.HasSuffix(words[0], "sleep") {
		if n, err := strconv.Atoi(words[1]); err == nil {
			return n, false, true
		}
	}
	return 0, false, false
}

func checkPreStop(a *App) []Finding {
	if a.Deployment == nil {
		return nil
	}
	alb := a.behindALB()
	need := a.Timing.RequiredPreStopSeconds(alb)
	var out []Finding
	for _, c := range a.servingContainers() {
		field := containerField(c, "lifecycle.preStop")
		secs, native, ok := PreStopSleep(c)
		switch {
		case c.Lifecycle == nil || c.Lifecycle.PreStop == nil:
			out = append(out, a.deployFinding(SeverityWarning, MechanismDyingPod, field,
				"no preStop: the pod gets SIGTERM the moment it is marked for deletion, while kube-proxy and the ALB still send it new requests",
				fmt.Sprintf("add lifecycle.preStop.sleep.seconds: %d (%s), and let the app drain after SIGTERM", need, needWhy(a, alb)),
				dyingPodFailures(true, alb)))
			continue
		case !ok:
			out = append(out, a.deployFinding(SeverityInfo, MechanismDyingPod, field,
				"the preStop hook is not a sleep the check can time: it must keep the pod serving until routing stops",
				fmt.Sprintf("use lifecycle.preStop.sleep.seconds: %d (%s)", need, needWhy(a, alb)), nil))
			continue
		case !native:
			out = append(out, a.deployFinding(SeverityWarning, MechanismDyingPod, field+".exec",
				"an exec sleep needs a shell or sleep binary in the image: in a distroless or scratch image the hook fails (FailedPreStopHook) and SIGTERM comes at once",
				fmt.Sprintf("use the native lifecycle.preStop.sleep.seconds: %d (Kubernetes 1.30+)", max(need, secs)),
				dyingPodFailures(true, alb)))
		}
		if secs < need {
			internal := secs < a.Timing.RequiredPreStopSeconds(false)
			out = append(out, a.deployFinding(SeverityWarning, MechanismDyingPod, field,
				fmt.Sprintf("preStop sleeps %d s, shorter than the %d s until routing to the pod stops (%s): requests still arrive at a pod that is shutting down", secs, need, needWhy(a, alb)),
				fmt.Sprintf("raise the preStop sleep to %d s", need),
				dyingPodFailures(internal, alb)))
		}
	}
	return out
}

func needWhy(a *App, alb bool) string {
	if !alb {
		return "kube-proxy's propagation inside the cluster"
	}
	return fmt.Sprintf("the LBC and ALB deregistration propagation allowance, %s", a.InputSources["ALB propagation"])
}

// gracePeriod is the pod's terminationGracePeriodSeconds (API default 30).
func gracePeriod(spec corev1.PodSpec) int {
	if spec.TerminationGracePeriodSeconds == nil {
		return 30 // Kubernetes API default
	}
	return int(*spec.TerminationGracePeriodSeconds)
}

func checkGracePeriod(a *App) []Finding {
	if a.Deployment == nil {
		return nil
	}
	grace := gracePeriod(a.Deployment.Spec.Template.Spec)
	longest := 0
	for _, c := range a.servingContainers() {
		if s, _, ok := PreStopSleep(c); ok {
			longest = max(longest, s)
		}
	}
	need := a.Timing.GracePeriodFor(longest)
	if grace >= need {
		return nil
	}
	return []Finding{a.deployFinding(SeverityWarning, MechanismDyingPod, "spec.template.spec.terminationGracePeriodSeconds",
		fmt.Sprintf("the grace period (%d s, counted from the start of preStop) is shorter than preStop %d s + drain %d s (longest request %d s, %s) + the margin before SIGKILL: requests in flight are killed",
			grace, longest, a.Timing.DrainSeconds, a.Timing.MaxRequestSeconds, a.InputSources["longest request"]),
		fmt.Sprintf("set terminationGracePeriodSeconds: %d", need),
		dyingPodFailures(true, a.behindALB()))}
}

func checkDeregistrationDelay(a *App) []Finding {
	var out []Finding
	for _, b := range a.ALBBackends() {
		if b.Ingress == nil {
			continue // a TGB's target group attributes live in AWS
		}
		delay := lbc.DefaultDeregistrationDelaySeconds
		raw, set := b.annotations.Get(lbc.AnnotationTargetGroupAttrs)
		if set {
			attrs, err := lbc.ParseAttributes(raw)
			if v, ok := attrs[lbc.AttrDeregistrationDelay]; err == nil && ok {
				n, err := strconv.Atoi(v)
				if err != nil {
					out = append(out, annotationFinding(b, lbc.AnnotationTargetGroupAttrs, raw, lbc.AttrDeregistrationDelay+" is not a number"))
					continue
				}
				delay = n
			} else if err != nil {
				out = append(out, annotationFinding(b, lbc.AnnotationTargetGroupAttrs, raw, err.Error()))
				continue
			}
		}
		out = append(out, deregistrationFindings(a, b, delay)...)
	}
	return out
}

func deregistrationFindings(a *App, b Backend, delay int) []Finding {
	field := "metadata.annotations[" + lbc.AnnotationTargetGroupAttrs + "]"
	want := a.Timing.DeregistrationDelaySeconds
	// The model's rule (timing.go): the delay runs from the deregister call,
	// and the ALB may route a new request to the pod until its preStop ends.
	preStop := 0
	if cs := a.podSpec().Containers; len(cs) > 0 {
		preStop, _, _ = PreStopSleep(cs[0])
	}
	switch {
	case delay < a.Timing.MinDeregistrationDelaySeconds(preStop):
		return []Finding{{Severity: SeverityWarning, Mechanism: MechanismDyingPod, Object: b.Obj.Ref(), Field: field, Location: b.Obj.Location,
			Why: fmt.Sprintf("the ALB cuts requests in flight on a deregistered target %d s after deregistering it, but it may route one there until the preStop ends (%d s) and a request may take %d s (%s)",
				delay, preStop, a.Timing.MaxRequestSeconds, a.InputSources["longest request"]),
			Fix:      fmt.Sprintf("set %s=%d", lbc.AttrDeregistrationDelay, want),
			Predicts: predict(PhaseRollout, PathExternal, Class502)}}
	case delay > gracePeriod(a.podSpec()) && delay > want:
		return []Finding{{Severity: SeverityInfo, Mechanism: MechanismNone, Object: b.Obj.Ref(), Field: field, Location: b.Obj.Location,
			Why: fmt.Sprintf("deregistration delay %d s outlasts the pod (grace period %d s): targets linger in draining long after their pod is gone, slowing rollouts and LBC reconciles",
				delay, gracePeriod(a.podSpec())),
			Fix: fmt.Sprintf("set %s=%d (the preStop, plus the longest request, plus a margin: the model's value)", lbc.AttrDeregistrationDelay, want)}}
	}
	return nil
}

// podSpec is the app's pod spec (empty without a Deployment).
func (a *App) podSpec() corev1.PodSpec {
	if a.Deployment == nil {
		return corev1.PodSpec{}
	}
	return a.Deployment.Spec.Template.Spec
}

func annotationFinding(b Backend, key, value, reason string) Finding {
	return Finding{Severity: SeverityError, Mechanism: MechanismNone, Object: b.Obj.Ref(),
		Field: "metadata.annotations[" + key + "]", Location: b.Obj.Location,
		Why: fmt.Sprintf("%s=%q: %s; the LBC rejects it and does not reconcile the Ingress", key, value, reason),
		Fix: "correct the annotation value"}
}
