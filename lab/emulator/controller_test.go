package emulator

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/zdt-eks/zdt/internal/lbc"
)

func webService() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "web"},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "web"},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80}},
		},
	}
}

// webIngress is an alb Ingress for Service web; extra annotations override
// the defaults (ip targets, /readyz checks).
func webIngress(extra map[string]string) *networkingv1.Ingress {
	ann := map[string]string{
		lbc.AnnotationTargetType:       "ip",
		lbc.AnnotationHealthCheckPath:  "/readyz",
		lbc.AnnotationTargetGroupAttrs: "deregistration_delay.timeout_seconds=30",
	}
	for k, v := range extra {
		ann[k] = v
	}
	prefix := networkingv1.PathTypePrefix
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "web", Annotations: ann},
		Spec: networkingv1.IngressSpec{
			IngressClassName: ptr.To(lbc.IngressClassALB),
			Rules: []networkingv1.IngressRule{{Host: "web.example.com", IngressRuleValue: networkingv1.IngressRuleValue{
				HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
					Path: "/", PathType: &prefix,
					Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
						Name: "web", Port: networkingv1.ServiceBackendPort{Name: "http"},
					}},
				}}},
			}}},
		},
	}
}

type podState struct {
	name            string
	ip              string
	containersReady bool
	ready           bool
	terminating     bool
	gate            bool
}

func webPod(p podState, gate corev1.PodConditionType) *corev1.Pod {
	status := corev1.ConditionFalse
	if p.containersReady {
		status = corev1.ConditionTrue
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: p.name, UID: types.UID("uid-" + p.name), Labels: map[string]string{"app": "web"}},
		Status: corev1.PodStatus{PodIP: p.ip, Conditions: []corev1.PodCondition{
			{Type: corev1.ContainersReady, Status: status},
		}},
	}
	if p.gate {
		pod.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: gate}}
	}
	return pod
}

func webSlice(pods ...podState) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: "app", Name: "web-abcde", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}},
	}
	for _, p := range pods {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{p.ip},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(p.ready), Terminating: ptr.To(p.terminating)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: "app", Name: p.name},
		})
	}
	return s
}

type controllerFixture struct {
	ctx      context.Context
	client   *fake.Clientset
	clock    *clocktesting.FakeClock
	check    *fakeChecker
	recorder *record.FakeRecorder
	ctrl     *Controller
}

func newControllerFixture(t *testing.T, objects ...runtime.Object) *controllerFixture {
	t.Helper()
	s := testSettings()
	s.RegistrationDelay = 2 * time.Second
	return newControllerFixtureWith(t, s, objects...)
}

// newControllerFixtureWith is newControllerFixture with the given settings.
func newControllerFixtureWith(t *testing.T, s Settings, objects ...runtime.Object) *controllerFixture {
	t.Helper()
	cf := &controllerFixture{ctx: t.Context(), client: fake.NewClientset(objects...), clock: clocktesting.NewFakeClock(t0), recorder: record.NewFakeRecorder(100)}
	cf.check = newFakeChecker(cf.clock)
	ctrl, err := NewController(ControllerOptions{Client: cf.client, Clock: cf.clock, HealthChecker: cf.check.check, Recorder: cf.recorder}, s)
	if err != nil {
		t.Fatal(err)
	}
	cf.ctrl = ctrl
	t.Cleanup(ctrl.queue.ShutDown)
	if err := ctrl.Start(cf.ctx); err != nil {
		t.Fatal(err)
	}
	return cf
}

func (cf *controllerFixture) reconcileModel(t *testing.T) {
	t.Helper()
	if err := cf.ctrl.reconcileModel(cf.ctx); err != nil {
		t.Fatalf("reconcileModel: %v", err)
	}
}

func (cf *controllerFixture) onlyGroup(t *testing.T) *TargetGroup {
	t.Helper()
	groups := cf.ctrl.targetGroups()
	if len(groups) != 1 {
		t.Fatalf("%d target groups, want 1", len(groups))
	}
	return groups[0]
}

func (cf *controllerFixture) reconcileGroup(t *testing.T, tg *TargetGroup) {
	t.Helper()
	if err := cf.ctrl.reconcileTargetGroup(cf.ctx, tg.Name()); err != nil {
		t.Fatalf("reconcileTargetGroup: %v", err)
	}
}

// eventually polls cond (informer caches catch up asynchronously).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (cf *controllerFixture) events() []string {
	var out []string
	for {
		select {
		case e := <-cf.recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func TestControllerWritesIngressStatusAndFinalizer(t *testing.T) {
	cf := newControllerFixture(t, webService(), webIngress(nil))
	cf.reconcileModel(t)
	ing, err := cf.client.NetworkingV1().Ingresses("app").Get(cf.ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := LoadBalancerName("", "app", "web") + ".lab.local"
	if lb := ing.Status.LoadBalancer.Ingress; len(lb) != 1 || lb[0].Hostname != want {
		t.Fatalf("status %+v, want hostname %s", lb, want)
	}
	if !slices.Contains(ing.Finalizers, IngressFinalizer) {
		t.Fatalf("finalizers %v, want %s", ing.Finalizers, IngressFinalizer)
	}
	snap := cf.ctrl.Snapshot()
	if len(snap.TargetGroups) != 1 || len(snap.Routes) != 1 || snap.Routes[0].TargetGroup != snap.TargetGroups[0].Name {
		t.Fatalf("snapshot %+v", snap)
	}
	tg := snap.TargetGroups[0]
	if tg.HealthCheck.Path != "/readyz" || tg.DeregistrationDelaySeconds != 30 || tg.HealthCheck.IntervalSeconds != 15 || tg.ServicePort != "http" {
		t.Fatalf("target group %+v", tg)
	}
}

func TestControllerRefusesInstanceTargets(t *testing.T) {
	ing := webIngress(nil)
	delete(ing.Annotations, lbc.AnnotationTargetType) // the LBC default: instance
	cf := newControllerFixture(t, webService(), ing)
	cf.reconcileModel(t)
	if n := len(cf.ctrl.targetGroups()); n != 0 {
		t.Fatalf("%d target groups, want none", n)
	}
	evs := cf.events()
	if !slices.ContainsFunc(evs, func(e string) bool { return strings.HasPrefix(e, "Warning "+EventReasonUnsupportedTargetType+" ") }) {
		t.Fatalf("events %v, want a Warning %s", evs, EventReasonUnsupportedTargetType)
	}
}

func TestControllerInvalidAnnotationFailsTheModel(t *testing.T) {
	cf := newControllerFixture(t, webService(), webIngress(map[string]string{lbc.AnnotationHealthCheckInt: "1"}))
	cf.reconcileModel(t)
	ing, err := cf.client.NetworkingV1().Ingresses("app").Get(cf.ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ing.Status.LoadBalancer.Ingress) != 0 || len(cf.ctrl.targetGroups()) != 0 {
		t.Fatalf("status %+v / groups %d, want nothing built", ing.Status.LoadBalancer, len(cf.ctrl.targetGroups()))
	}
	evs := cf.events()
	if !slices.ContainsFunc(evs, func(e string) bool {
		return strings.HasPrefix(e, "Warning "+EventReasonFailedBuildModel+" ") && strings.Contains(e, lbc.AnnotationHealthCheckInt)
	}) {
		t.Fatalf("events %v, want a FailedBuildModel naming %s", evs, lbc.AnnotationHealthCheckInt)
	}
}

func TestControllerRegistersEligibleEndpoints(t *testing.T) {
	pods := []podState{
		{name: "ready", ip: "10.244.1.2", containersReady: true, ready: true},
		{name: "gated", ip: "10.244.1.3", containersReady: true},                       // containers ready, gate pending
		{name: "booting", ip: "10.244.1.4"},                                            // containers not ready
		{name: "stopping", ip: "10.244.1.5", containersReady: true, terminating: true}, // terminating
	}
	objs := []runtime.Object{webService(), webIngress(nil), webSlice(pods...)}
	for _, p := range pods {
		objs = append(objs, webPod(p, ""))
	}
	cf := newControllerFixture(t, objs...)
	cf.reconcileModel(t)
	tg := cf.onlyGroup(t)
	cf.reconcileGroup(t, tg)
	var ids []string
	for _, st := range tg.Targets() {
		ids = append(ids, st.ID)
	}
	if want := []string{"10.244.1.2:8080", "10.244.1.3:8080"}; !slices.Equal(ids, want) {
		t.Fatalf("registered %v, want %v", ids, want)
	}

	// The ready endpoint leaves the slice: it is deregistered.
	if _, err := cf.client.DiscoveryV1().EndpointSlices("app").Update(cf.ctx, webSlice(pods[1:]...), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the slice update in the cache", func() bool {
		s, err := cf.ctrl.slices.EndpointSlices("app").Get("web-abcde")
		return err == nil && len(s.Endpoints) == 3
	})
	cf.reconcileGroup(t, tg)
	st, ok := tg.Target("10.244.1.2:8080")
	if !ok || !st.Deregistering {
		t.Fatalf("removed endpoint: %+v, want deregistering", st)
	}
}

func podGate(t *testing.T, cf *controllerFixture, name string, gate corev1.PodConditionType) *corev1.PodCondition {
	t.Helper()
	pod, err := cf.client.CoreV1().Pods("app").Get(cf.ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == gate {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

func TestControllerPatchesTheGateTrueWhenHealthy(t *testing.T) {
	boot := newControllerFixture(t, webService(), webIngress(nil))
	boot.reconcileModel(t)
	gate := GateConditionType(boot.onlyGroup(t).Name())

	p := podState{name: "web-1", ip: "10.244.1.7", containersReady: true, gate: true}
	cf := newControllerFixture(t, webService(), webIngress(nil), webPod(p, gate), webSlice(p))
	cf.reconcileModel(t)
	tg := cf.onlyGroup(t)
	if GateConditionType(tg.Name()) != gate {
		t.Fatalf("target group name not stable: %s vs %s", tg.Name(), gate)
	}
	cf.reconcileGroup(t, tg)
	c := podGate(t, cf, "web-1", gate)
	if c == nil || c.Status != corev1.ConditionFalse || c.Reason != ReasonRegistrationInProgress || c.Message != DescRegistrationInProgress {
		t.Fatalf("gate after registration: %+v, want False %s", c, ReasonRegistrationInProgress)
	}
	// Registration delay 2 s, then checks every 10 s... here 15 s (LBC
	// default), healthy threshold 2: healthy at +2 s + 15 s.
	cf.clock.Step(2 * time.Second)
	tg.Sync(cf.ctx, cf.check.check)
	eventually(t, "the gate patch in the cache", func() bool {
		pod, err := cf.ctrl.pods.Pods("app").Get("web-1")
		return err == nil && len(pod.Status.Conditions) == 2
	})
	cf.reconcileGroup(t, tg)
	if c := podGate(t, cf, "web-1", gate); c == nil || c.Status != corev1.ConditionFalse || c.Reason != ReasonInitialHealthChecking {
		t.Fatalf("gate while checking: %+v, want False %s", c, ReasonInitialHealthChecking)
	}
	cf.clock.Step(15 * time.Second)
	tg.Sync(cf.ctx, cf.check.check)
	if st, _ := tg.Target("10.244.1.7:8080"); st.State != StateHealthy {
		t.Fatalf("target %+v, want healthy", st)
	}
	eventually(t, "the second gate patch in the cache", func() bool {
		pod, err := cf.ctrl.pods.Pods("app").Get("web-1")
		return err == nil && slices.ContainsFunc(pod.Status.Conditions, func(c corev1.PodCondition) bool { return c.Reason == ReasonInitialHealthChecking })
	})
	cf.reconcileGroup(t, tg)
	c = podGate(t, cf, "web-1", gate)
	if c == nil || c.Status != corev1.ConditionTrue || c.Reason != "" || c.Message != "" || !c.LastTransitionTime.Time.Equal(t0.Add(17*time.Second)) {
		t.Fatalf("gate when healthy: %+v, want True at +17s", c)
	}

	// The target turns unhealthy: the gate stays True (the LBC caches
	// healthy targets), unless GateFollowsHealth.
	eventually(t, "the True gate in the cache", func() bool {
		pod, err := cf.ctrl.pods.Pods("app").Get("web-1")
		return err == nil && gateTrue(pod, gate)
	})
	cf.check.fail("10.244.1.7:8080", CheckResult{Reason: ReasonTimeout, Description: "timed out"})
	for range 2 {
		cf.clock.Step(15 * time.Second)
		tg.Sync(cf.ctx, cf.check.check)
	}
	if st, _ := tg.Target("10.244.1.7:8080"); st.State != StateUnhealthy {
		t.Fatalf("target %+v, want unhealthy", st)
	}
	cf.reconcileGroup(t, tg)
	if c := podGate(t, cf, "web-1", gate); c == nil || c.Status != corev1.ConditionTrue {
		t.Fatalf("gate after the target turned unhealthy: %+v, want it latched True", c)
	}
	cf.ctrl.settings.GateFollowsHealth = true
	cf.reconcileGroup(t, tg)
	if c := podGate(t, cf, "web-1", gate); c == nil || c.Status != corev1.ConditionFalse || c.Reason != ReasonTimeout {
		t.Fatalf("gate with GateFollowsHealth: %+v, want False %s", c, ReasonTimeout)
	}
}

func TestControllerRequeuesPendingGates(t *testing.T) {
	boot := newControllerFixture(t, webService(), webIngress(nil))
	boot.reconcileModel(t)
	gate := GateConditionType(boot.onlyGroup(t).Name())
	p := podState{name: "web-1", ip: "10.244.1.7", containersReady: true, gate: true}
	cf := newControllerFixture(t, webService(), webIngress(nil), webPod(p, gate), webSlice(p))
	cf.reconcileModel(t)
	tg := cf.onlyGroup(t)
	drain := func() {
		for cf.ctrl.queue.Len() > 0 {
			k, _ := cf.ctrl.queue.Get()
			cf.ctrl.queue.Done(k)
		}
	}
	cf.reconcileGroup(t, tg)
	// The model's Ingress patches and the gate patch (a pod update, which
	// queues the group at once, as since LBC v3.4.0) come back as events:
	// wait for them to reach the caches, let the handlers run, drop them.
	eventually(t, "the Ingress and pod updates in the caches", func() bool {
		ing, err := cf.ctrl.ingresses.Ingresses("app").Get("web")
		pod, perr := cf.ctrl.pods.Pods("app").Get("web-1")
		return err == nil && perr == nil && len(ing.Finalizers) == 1 && len(ing.Status.LoadBalancer.Ingress) == 1 && len(pod.Status.Conditions) == 2
	})
	time.Sleep(50 * time.Millisecond)
	drain()
	cf.clock.Step(15*time.Second - time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	if n := cf.ctrl.queue.Len(); n != 0 {
		t.Fatalf("queue %d before the requeue duration, want 0", n)
	}
	cf.clock.Step(time.Millisecond)
	eventually(t, "the requeue after 15 s", func() bool { return cf.ctrl.queue.Len() == 1 })
	k, _ := cf.ctrl.queue.Get()
	cf.ctrl.queue.Done(k)
	if k != targetGroupKey+tg.Name() {
		t.Fatalf("requeued %q", k)
	}
}

func TestControllerDeletedIngressReleasesEverything(t *testing.T) {
	boot := newControllerFixture(t, webService(), webIngress(nil))
	boot.reconcileModel(t)
	gate := GateConditionType(boot.onlyGroup(t).Name())
	p := podState{name: "web-1", ip: "10.244.1.7", containersReady: true, gate: true}
	ing := webIngress(nil)
	ing.Finalizers = []string{IngressFinalizer}
	cf := newControllerFixture(t, webService(), ing, webPod(p, gate), webSlice(p))
	cf.reconcileModel(t)
	cf.reconcileGroup(t, cf.onlyGroup(t))

	// Deletion with a finalizer only sets deletionTimestamp.
	cur, err := cf.client.NetworkingV1().Ingresses("app").Get(cf.ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := metav1.NewTime(t0)
	cur.DeletionTimestamp = &now
	if _, err := cf.client.NetworkingV1().Ingresses("app").Update(cf.ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deletion in the cache", func() bool {
		i, err := cf.ctrl.ingresses.Ingresses("app").Get("web")
		return err == nil && i.DeletionTimestamp != nil
	})
	eventually(t, "the registration gate patch in the cache", func() bool {
		pod, err := cf.ctrl.pods.Pods("app").Get("web-1")
		return err == nil && len(pod.Status.Conditions) == 2
	})
	cf.reconcileModel(t)
	if n := len(cf.ctrl.targetGroups()); n != 0 {
		t.Fatalf("%d target groups after deletion", n)
	}
	after, err := cf.client.NetworkingV1().Ingresses("app").Get(cf.ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(after.Finalizers, IngressFinalizer) {
		t.Fatalf("finalizer still present: %v", after.Finalizers)
	}
	if c := podGate(t, cf, "web-1", gate); c == nil || c.Status != corev1.ConditionTrue {
		t.Fatalf("gate of a deleted target group: %+v, want True", c)
	}
}
