package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/zdt-eks/zdt/internal/podcond"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// podEndpoint is an endpoint the emulated LBC registers.
type podEndpoint struct {
	spec TargetSpec
	pod  *corev1.Pod
}

// reconcileTargetGroup is the LBC's TargetGroupBinding reconcile in ip mode:
// register the Service's eligible endpoints, deregister the others, update
// readiness gates, and requeue while a gate is pending.
func (c *Controller) reconcileTargetGroup(ctx context.Context, name string) error {
	c.mu.RLock()
	g, ok := c.groups[name]
	var ns, svcName string
	var port intstr.IntOrString
	if ok {
		ns, svcName, port = g.namespace, g.service, g.port
	}
	c.mu.RUnlock()
	if !ok {
		return nil
	}
	endpoints, potential, err := c.resolveEndpoints(ns, svcName, port, GateConditionType(name))
	if err != nil {
		return fmt.Errorf("resolve endpoints of target group %s: %w", name, err)
	}
	specs := make([]TargetSpec, 0, len(endpoints))
	for _, ep := range endpoints {
		specs = append(specs, ep.spec)
	}
	g.tg.SetTargets(specs)
	pending, err := c.updateGates(ctx, g.tg, endpoints)
	if err != nil {
		return err
	}
	if pending || potential {
		c.queue.AddAfter(targetGroupKey+name, c.settings.RequeueDuration)
	}
	return nil
}

// resolveEndpoints lists the endpoints to register, as the LBC's endpoint
// resolver does: ready endpoints, plus not-ready ones whose pod has
// ContainersReady=True and that are not terminating. potential reports
// endpoints that may become registrable later (pod not cached yet, or
// containers not ready on a pod carrying the gate): the LBC requeues for them.
func (c *Controller) resolveEndpoints(ns, svcName string, port intstr.IntOrString, gate corev1.PodConditionType) ([]podEndpoint, bool, error) {
	svc, err := c.services.Services(ns).Get(svcName)
	if apierrors.IsNotFound(err) {
		return nil, false, nil // the LBC deregisters everything (BackendNotFound)
	}
	if err != nil {
		return nil, false, fmt.Errorf("get service %s/%s: %w", ns, svcName, err)
	}
	svcPort, err := lookupServicePort(svc, port)
	if err != nil {
		return nil, false, nil
	}
	slices, err := c.slices.EndpointSlices(ns).List(labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: svcName}))
	if err != nil {
		return nil, false, fmt.Errorf("list endpointslices of %s/%s: %w", ns, svcName, err)
	}
	sort.Slice(slices, func(i, j int) bool { return slices[i].Name < slices[j].Name })
	var out []podEndpoint
	potential := false
	seen := map[string]bool{}
	for _, slice := range slices {
		if slice.AddressType == discoveryv1.AddressTypeFQDN {
			continue
		}
		for _, p := range slice.Ports {
			if p.Port == nil || (svcPort.Name != "" && (p.Name == nil || *p.Name != svcPort.Name)) {
				continue
			}
			for _, ep := range slice.Endpoints {
				pe, ok, maybe := c.eligible(ns, ep, *p.Port, gate)
				potential = potential || maybe
				if ok && !seen[pe.spec.ID()] {
					seen[pe.spec.ID()] = true
					out = append(out, pe)
				}
			}
		}
	}
	return out, potential, nil
}

// eligible applies the LBC's inclusion rules to one endpoint. The LBC also
// requires the pod's node to be Ready; the emulator does not check nodes.
func (c *Controller) eligible(ns string, ep discoveryv1.Endpoint, port int32, gate corev1.PodConditionType) (podEndpoint, bool, bool) {
	if ep.TargetRef == nil || ep.TargetRef.Kind != "Pod" || len(ep.Addresses) == 0 {
		return podEndpoint{}, false, false
	}
	pod, err := c.pods.Pods(ns).Get(ep.TargetRef.Name)
	if err != nil {
		return podEndpoint{}, false, true // not in the cache yet
	}
	pe := podEndpoint{
		spec: TargetSpec{IP: ep.Addresses[0], Port: port, Pod: types.NamespacedName{Namespace: ns, Name: pod.Name}},
		pod:  pod,
	}
	if ep.Conditions.Ready != nil && *ep.Conditions.Ready {
		return pe, true, false
	}
	if !containersReady(pod) {
		return podEndpoint{}, false, hasReadinessGate(pod, gate)
	}
	if ep.Conditions.Terminating != nil && *ep.Conditions.Terminating {
		return podEndpoint{}, false, false
	}
	return pe, true, false
}

// gateTrue tells whether the pod's gate condition is True.
func gateTrue(pod *corev1.Pod, gate corev1.PodConditionType) bool {
	return podcond.IsTrue(pod, gate)
}

// containersReady tells whether the kubelet reports every container ready.
func containersReady(pod *corev1.Pod) bool {
	return podcond.IsTrue(pod, corev1.ContainersReady)
}

// updateGates writes each registered pod's gate condition from its target's
// health, as the LBC does: True when healthy, else False with the target's
// reason and description. It reports whether any gate is still not True.
//
// A gate that is True stays True (unless Settings.GateFollowsHealth): the
// LBC v3.5.0 caches healthy targets (5 minutes) and skips reconciles while
// every gate is True and the endpoints are unchanged, so in practice a gate
// never flips back (alb-behaviour.md, second review).
func (c *Controller) updateGates(ctx context.Context, tg *TargetGroup, endpoints []podEndpoint) (bool, error) {
	gate := GateConditionType(tg.Name())
	pending := false
	var errs []error
	for _, ep := range endpoints {
		if !hasReadinessGate(ep.pod, gate) {
			continue
		}
		if !c.settings.GateFollowsHealth && gateTrue(ep.pod, gate) {
			continue
		}
		st, ok := tg.Target(ep.spec.ID())
		if !ok {
			continue
		}
		want := corev1.ConditionFalse
		if st.State == StateHealthy {
			want = corev1.ConditionTrue
		}
		pending = pending || want != corev1.ConditionTrue
		if err := c.patchGate(ctx, ep.pod, gate, want, st.Reason, st.Description); err != nil {
			errs = append(errs, err)
		}
	}
	return pending, errors.Join(errs...)
}

// markGatesHealthyForDeletedGroup sets the gate of a deleted target group to
// True on every pod carrying it, so those pods do not stay unready forever
// (the LBC's updatePodAsHealthyForDeletedTGB).
func (c *Controller) markGatesHealthyForDeletedGroup(ctx context.Context, g *managedGroup) error {
	pods, err := c.pods.Pods(g.namespace).List(labels.Everything())
	if err != nil {
		return fmt.Errorf("list pods of %s: %w", g.namespace, err)
	}
	gate := GateConditionType(g.tg.Name())
	var errs []error
	for _, pod := range pods {
		if hasReadinessGate(pod, gate) {
			if err := c.patchGate(ctx, pod, gate, corev1.ConditionTrue, "", ""); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// patchGate writes one pod condition through the pods/status subresource
// with a strategic merge patch (conditions merge on type), guarded by the
// pod's UID. Nothing is written when the condition already matches.
func (c *Controller) patchGate(ctx context.Context, pod *corev1.Pod, gate corev1.PodConditionType, status corev1.ConditionStatus, reason, message string) error {
	var existing *corev1.PodCondition
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == gate {
			existing = &pod.Status.Conditions[i]
		}
	}
	if existing != nil && existing.Status == status && existing.Reason == reason && existing.Message == message {
		return nil
	}
	transition := metav1.NewTime(c.nowTime())
	if existing != nil && existing.Status == status {
		transition = existing.LastTransitionTime
	}
	meta := map[string]any{}
	if pod.UID != "" {
		meta["uid"] = pod.UID
	}
	patch, err := json.Marshal(map[string]any{
		"metadata": meta,
		"status": map[string]any{"conditions": []map[string]any{{
			"type": gate, "status": status, "reason": reason, "message": message,
			"lastTransitionTime": transition, "lastProbeTime": nil,
		}}},
	})
	if err != nil {
		return fmt.Errorf("encode gate patch: %w", err)
	}
	_, err = c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("patch condition %s of pod %s/%s: %w", gate, pod.Namespace, pod.Name, err)
	}
	c.log.Info("readiness gate updated", "pod", pod.Namespace+"/"+pod.Name, "condition", string(gate),
		"status", string(status), "reason", reason)
	return nil
}
