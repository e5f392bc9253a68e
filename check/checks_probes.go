package check

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// probeEndpoint renders a probe's handler for comparison ("" if none).
func probeEndpoint(p *corev1.Probe) string {
	switch {
	case p == nil:
		return ""
	case p.HTTPGet != nil:
		return fmt.Sprintf("http %s %s", p.HTTPGet.Port.String(), p.HTTPGet.Path)
	case p.GRPC != nil:
		svc := ""
		if p.GRPC.Service != nil {
			svc = *p.GRPC.Service
		}
		return fmt.Sprintf("grpc %d %s", p.GRPC.Port, svc)
	case p.TCPSocket != nil:
		return "tcp " + p.TCPSocket.Port.String()
	case p.Exec != nil:
		return fmt.Sprintf("exec %q", p.Exec.Command)
	}
	return ""
}

func checkReadinessProbe(a *App) []Finding {
	if a.Deployment == nil {
		return nil
	}
	var out []Finding
	for _, c := range a.servingContainers() {
		r := c.ReadinessProbe
		switch {
		case r == nil:
			out = append(out, a.deployFinding(SeverityWarning, MechanismBootingPod, containerField(c, "readinessProbe"),
				"no readiness probe: a pod counts as Ready when its process starts, so the Service and the ALB send requests to a pod that is still booting",
				"add a readinessProbe on a dedicated endpoint (e.g. httpGet /readyz) that answers 200 only once the app serves, and fails while it drains",
				bootingPodFailures(a.behindALB())))
			continue
		case r.TCPSocket != nil:
			out = append(out, a.deployFinding(SeverityInfo, MechanismBootingPod, containerField(c, "readinessProbe.tcpSocket"),
				"a TCP readiness probe passes as soon as the port is open, before the app can answer, and cannot fail on purpose while the app drains",
				"use an httpGet (or grpc) readiness probe on a dedicated endpoint", nil))
		case r.HTTPGet != nil && r.HTTPGet.Path == "/":
			out = append(out, a.deployFinding(SeverityInfo, MechanismDyingPod, containerField(c, "readinessProbe.httpGet.path"),
				"the readiness probe checks \"/\", the app's own page: the app cannot fail readiness on purpose while draining without failing real requests",
				"serve a dedicated readiness endpoint (e.g. /readyz) and probe it", nil))
		}
		if l := c.LivenessProbe; l != nil && probeEndpoint(l) == probeEndpoint(r) {
			out = append(out, a.deployFinding(SeverityWarning, MechanismDyingPod, containerField(c, "livenessProbe"),
				fmt.Sprintf("liveness checks the same endpoint as readiness (%s): when the app fails readiness (draining, overloaded) the kubelet also restarts it, killing requests in flight", probeEndpoint(l)),
				"give liveness its own endpoint (e.g. /livez) that fails only when the process is stuck", nil))
		}
		if st := c.StartupProbe; st != nil && r.HTTPGet != nil && probeEndpoint(st) == probeEndpoint(r) {
			out = append(out, a.deployFinding(SeverityWarning, MechanismBootingPod, containerField(c, "startupProbe"),
				fmt.Sprintf("the startup probe checks the readiness endpoint (%s): while a dependency is down readiness fails on purpose, so every new or rescheduled pod fails its startup budget and is restarted in a loop", probeEndpoint(st)),
				"point the startup probe at an endpoint that answers 200 once the process is up (e.g. the liveness endpoint /livez)", nil))
		}
	}
	return out
}

// killBudget is how long the kubelet lets a container boot before it
// restarts it: the startup probe's budget, else the liveness probe's; ok is
// false when no probe can restart it.
func killBudget(c corev1.Container) (seconds int, field string, ok bool) {
	budget := func(p *corev1.Probe) int {
		period, failures := int(p.PeriodSeconds), int(p.FailureThreshold)
		if period == 0 {
			period = 10 // Kubernetes API default
		}
		if failures == 0 {
			failures = 3 // Kubernetes API default
		}
		return int(p.InitialDelaySeconds) + period*failures
	}
	if c.StartupProbe != nil {
		return budget(c.StartupProbe), "startupProbe", true
	}
	if c.LivenessProbe != nil {
		return budget(c.LivenessProbe), "livenessProbe", true
	}
	return 0, "", false
}

func checkStartupBudget(a *App) []Finding {
	if a.Deployment == nil {
		return nil
	}
	var out []Finding
	boot := a.Timing.BootSeconds
	for _, c := range a.servingContainers() {
		if budget, field, ok := killBudget(c); ok && budget < boot {
			out = append(out, a.deployFinding(SeverityWarning, MechanismNone, containerField(c, field),
				fmt.Sprintf("the kubelet restarts the container after %d s without a passing %s, but the app may need %d s to boot (%s): new pods restart in a loop and the rollout stalls",
					budget, field, boot, a.InputSources["boot"]),
				fmt.Sprintf("add a startupProbe on an endpoint that answers once the process is up (e.g. the liveness endpoint) with periodSeconds %d and failureThreshold %d (%d s, the model's budget for a %d s boot), or declare the real boot time with the %s annotation",
					a.Timing.Startup.PeriodSeconds, a.Timing.Startup.FailureThreshold, a.Timing.StartupBudgetSeconds(), boot, AnnotationBootSeconds),
				nil))
		}
		if c.StartupProbe == nil && guessesDelay(c) {
			out = append(out, a.deployFinding(SeverityInfo, MechanismNone, containerField(c, "readinessProbe.initialDelaySeconds"),
				"initialDelaySeconds guesses the boot time: too short and the liveness probe kills slow boots, too long and every rollout waits",
				fmt.Sprintf("drop initialDelaySeconds and add a startupProbe (period %d s, failureThreshold %d)", a.Timing.Startup.PeriodSeconds, a.Timing.Startup.FailureThreshold),
				nil))
		}
	}
	return out
}

func guessesDelay(c corev1.Container) bool {
	for _, p := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe} {
		if p != nil && p.InitialDelaySeconds > 0 {
			return true
		}
	}
	return false
}
