package emulator

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestGateRecheckRunsFromThePodsFirstSight pins down what the timing
// model's rollout floor (zerodowntime.BatchFloorInputs.GateTrueFloorSeconds)
// assumes of the LBC: the re-checks of a pending gate run every
// RequeueDuration from when the LBC first sees the new pod's endpoint, still
// booting, not from the registration when its containers are ready. A pod
// seen at 0 s, ready at 10 s, is re-checked at 15 s, not at 25 s.
func TestGateRecheckRunsFromThePodsFirstSight(t *testing.T) {
	boot := newControllerFixture(t, webService(), webIngress(nil))
	boot.reconcileModel(t)
	gate := GateConditionType(boot.onlyGroup(t).Name())
	p := podState{name: "web-1", ip: "10.244.1.7", gate: true} // booting
	cf := newControllerFixture(t, webService(), webIngress(nil), webPod(p, gate), webSlice(p))
	cf.reconcileModel(t)
	tg := cf.onlyGroup(t)
	drain := func() {
		time.Sleep(50 * time.Millisecond) // let the handlers of the latest updates run
		for cf.ctrl.queue.Len() > 0 {
			k, _ := cf.ctrl.queue.Get()
			cf.ctrl.queue.Done(k)
		}
	}
	cf.reconcileGroup(t, tg) // potential: requeued for +15 s
	if got := len(tg.Targets()); got != 0 {
		t.Fatalf("%d targets registered for a booting pod, want 0", got)
	}
	eventually(t, "the Ingress updates in the cache", func() bool {
		ing, err := cf.ctrl.ingresses.Ingresses("app").Get("web")
		return err == nil && len(ing.Finalizers) == 1 && len(ing.Status.LoadBalancer.Ingress) == 1
	})
	drain()

	cf.clock.Step(10 * time.Second) // the containers are ready: registered
	cf.markContainersReady(t, p, gate)
	cf.reconcileGroup(t, tg)
	if got := len(tg.Targets()); got != 1 {
		t.Fatalf("%d targets once the containers are ready, want 1", got)
	}
	eventually(t, "the gate patch in the cache", func() bool {
		pod, err := cf.ctrl.pods.Pods("app").Get("web-1")
		return err == nil && podGate(t, cf, "web-1", gate) != nil && len(pod.Status.Conditions) == 2
	})
	drain()

	cf.clock.Step(5*time.Second - time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	if n := cf.ctrl.queue.Len(); n != 0 {
		t.Fatalf("queue %d before +15 s, want 0", n)
	}
	cf.clock.Step(time.Millisecond)
	eventually(t, "the re-check at +15 s from the pod's first sight", func() bool { return cf.ctrl.queue.Len() == 1 })
	if k, _ := cf.ctrl.queue.Get(); k != targetGroupKey+tg.Name() {
		t.Fatalf("requeued %q", k)
	}
}

// TestPodEventsTriggerAReconcileOnlyInTheV3Mode pins the difference between
// the LBC modes: since v3.4.0 a pod update (here its containers turning
// ready) reconciles its target group at once; in the v2.x mode
// (ReconcileOnPodEvents false) nothing is queued and the pending gate waits
// for the requeue.
func TestPodEventsTriggerAReconcileOnlyInTheV3Mode(t *testing.T) {
	for _, tc := range []struct {
		name      string
		podEvents bool
		want      int
	}{
		{"v3.5: pod events", true, 1},
		{"v2: polling only", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSettings()
			s.RegistrationDelay = 2 * time.Second
			s.ReconcileOnPodEvents = tc.podEvents
			boot := newControllerFixtureWith(t, s, webService(), webIngress(nil))
			boot.reconcileModel(t)
			gate := GateConditionType(boot.onlyGroup(t).Name())
			p := podState{name: "web-1", ip: "10.244.1.7", gate: true} // booting
			cf := newControllerFixtureWith(t, s, webService(), webIngress(nil), webPod(p, gate), webSlice(p))
			cf.reconcileModel(t)
			tg := cf.onlyGroup(t)
			cf.reconcileGroup(t, tg)
			eventually(t, "the Ingress updates in the cache", func() bool {
				ing, err := cf.ctrl.ingresses.Ingresses("app").Get("web")
				return err == nil && len(ing.Finalizers) == 1 && len(ing.Status.LoadBalancer.Ingress) == 1
			})
			time.Sleep(50 * time.Millisecond) // let the handlers of the latest updates run
			for cf.ctrl.queue.Len() > 0 {
				k, _ := cf.ctrl.queue.Get()
				cf.ctrl.queue.Done(k)
			}

			cf.markContainersReady(t, p, gate)
			time.Sleep(50 * time.Millisecond)
			if got := cf.ctrl.queue.Len(); got != tc.want {
				t.Fatalf("queue after the pod update: %d, want %d", got, tc.want)
			}
		})
	}
}

// markContainersReady writes the pod's status with its containers ready (as
// the kubelet does) and waits until the controller's cache has it.
func (cf *controllerFixture) markContainersReady(t *testing.T, p podState, gate corev1.PodConditionType) {
	t.Helper()
	p.containersReady = true
	if _, err := cf.client.CoreV1().Pods("app").UpdateStatus(cf.ctx, webPod(p, gate), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the ready pod in the cache", func() bool {
		pod, err := cf.ctrl.pods.Pods("app").Get(p.name)
		return err == nil && containersReady(pod)
	})
}
