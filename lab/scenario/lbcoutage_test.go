package scenario

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// fakeLBC records the order of stops, starts and deploys.
type fakeLBC struct {
	mu      sync.Mutex
	policy  admissionregistrationv1.FailurePolicyType
	events  []string
	started chan struct{}
}

func newFakeLBC() *fakeLBC {
	return &fakeLBC{policy: admissionregistrationv1.Fail, started: make(chan struct{})}
}

func (l *fakeLBC) record(e string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *fakeLBC) StopLBC(context.Context) error { l.record("stop"); return nil }

func (l *fakeLBC) StartLBC() error {
	l.record("start")
	close(l.started)
	return nil
}

func (l *fakeLBC) WebhookFailurePolicy() admissionregistrationv1.FailurePolicyType {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.policy
}

func (l *fakeLBC) SetWebhookFailurePolicy(_ context.Context, p admissionregistrationv1.FailurePolicyType) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.policy = p
	return nil
}

func (l *fakeLBC) log() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.events...)
}

// rollout plays the Deployment controller's part of a rollout to hash h2 on
// the fake clientset: a new ReplicaSet (with a refused-create condition
// when refused), then, once ready() returns, new pods (gated or not), the
// old ones gone and the status complete for generation 2.
type rollout struct {
	t       *testing.T
	client  *fake.Clientset
	refused bool
	gated   bool
}

func (r rollout) newReplicaSet() {
	d, err := r.client.AppsV1().Deployments("demo").Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		r.t.Error(err)
		return
	}
	rs := replicaSet(d, "h2", 2)
	if r.refused {
		rs.Status.Conditions = []appsv1.ReplicaSetCondition{{
			Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate",
			Message: `Internal error occurred: failed calling webhook "mpod.elbv2.k8s.aws": connection refused`,
		}}
	}
	if err := r.client.Tracker().Add(rs); err != nil {
		r.t.Error(err)
	}
}

func (r rollout) complete(old ...string) {
	ctx := context.Background()
	for _, name := range old {
		if err := r.client.CoreV1().Pods("demo").Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			r.t.Error(err)
		}
		p := appPod("new-"+name, "h2")
		if r.gated {
			p.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "target-health.elbv2.k8s.aws/k8s-demo-web"}}
		}
		if _, err := r.client.CoreV1().Pods("demo").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			r.t.Error(err)
		}
	}
	d, err := r.client.AppsV1().Deployments("demo").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		r.t.Error(err)
		return
	}
	d.Generation, d.Status.ObservedGeneration = 2, 2
	if _, err := r.client.AppsV1().Deployments("demo").Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		r.t.Error(err)
	}
}

// TestLBCDownWithFailPolicy: the LBC is stopped before the deploy tool
// starts, held down for Hold after the new ReplicaSet appears, and started
// again while the tool still runs; no pod is created meanwhile and the
// refused creates are recorded.
func TestLBCDownWithFailPolicy(t *testing.T) {
	client := fake.NewClientset(appFixture("a", "b", "c")...)
	lbc := newFakeLBC()
	r := rollout{t: t, client: client, refused: true, gated: true}
	d := fakeDeployer{deploy: func(ctx context.Context, version string) error {
		lbc.record("deploy")
		r.newReplicaSet()
		select { // the rollout cannot go on while pods are refused
		case <-lbc.started:
		case <-ctx.Done():
			return ctx.Err()
		}
		r.complete("a", "b", "c")
		return nil
	}}
	env := Env{Client: client, RolloutTimeout: 30 * time.Second}
	o := LBCOutage{LBC: lbc, Policy: admissionregistrationv1.Fail, Hold: 300 * time.Millisecond}
	fault := &Fault{}
	res := &Result{}
	want, err := o.roll(env, "lbc", d, "v1", "v2", fault).Run(t.Context(), res)
	if err != nil {
		t.Fatal(err)
	}
	if want != "v2" {
		t.Errorf("want %q, the version rolled to", want)
	}
	if got := lbc.log(); len(got) != 3 || got[0] != "stop" || got[1] != "deploy" || got[2] != "start" {
		t.Errorf("events %v, want stop, deploy, start", got)
	}
	if fault.PodsCreated != 0 || fault.CreateRefused == "" || fault.WebhookFailurePolicy != "Fail" {
		t.Errorf("fault %+v: want no pod created, the refused creates recorded, policy Fail", fault)
	}
	if fault.LBCDownSeconds < o.Hold.Seconds() || res.DeploySeconds < fault.LBCDownSeconds {
		t.Errorf("down %.2fs, deploy %.2fs: want down at least the hold, the deploy tool waiting for the restart", fault.LBCDownSeconds, res.DeploySeconds)
	}
	if res.DeployError != "" || res.RolloutSeconds == 0 {
		t.Errorf("result %+v: want the rollout finished after the restart", res)
	}
}

// TestLBCDownWithIgnorePolicy: with Hold zero the LBC stays down until the
// rollout has finished; the pods created meanwhile are counted, with those
// lacking a readiness gate.
func TestLBCDownWithIgnorePolicy(t *testing.T) {
	client := fake.NewClientset(appFixture("a", "b", "c")...)
	lbc := newFakeLBC()
	r := rollout{t: t, client: client}
	d := fakeDeployer{deploy: func(context.Context, string) error {
		r.newReplicaSet()
		time.Sleep(100 * time.Millisecond)
		r.complete("a", "b", "c")
		return nil
	}}
	env := Env{Client: client, RolloutTimeout: 30 * time.Second}
	fault := &Fault{}
	o := LBCOutage{LBC: lbc, Policy: admissionregistrationv1.Ignore}
	if _, err := o.roll(env, "lbc", d, "v1", "v2", fault).Run(t.Context(), &Result{}); err != nil {
		t.Fatal(err)
	}
	if got := lbc.log(); len(got) != 2 || got[0] != "stop" || got[1] != "start" {
		t.Errorf("events %v, want stop, start", got)
	}
	if fault.PodsCreated != 3 || fault.PodsWithoutGate != 3 || fault.CreateRefused != "" {
		t.Errorf("fault %+v: want 3 pods created while down, none with a gate, no create refused", fault)
	}
}

// TestLBCDownDeployFails: a deploy tool that fails before any ReplicaSet
// appears ends the outage at once; the old version must go on serving.
func TestLBCDownDeployFails(t *testing.T) {
	client := fake.NewClientset(appFixture("a")...)
	lbc := newFakeLBC()
	d := fakeDeployer{deploy: func(context.Context, string) error { return errors.New("pulumi up: boom") }}
	env := Env{Client: client, RolloutTimeout: 30 * time.Second}
	o := LBCOutage{LBC: lbc, Policy: admissionregistrationv1.Fail, Hold: time.Hour}
	res := &Result{}
	want, err := o.roll(env, "lbc", d, "v1", "v2", &Fault{}).Run(t.Context(), res)
	if err != nil {
		t.Fatal(err)
	}
	if want != "v1" || res.DeployError == "" {
		t.Errorf("want %q, deploy error %q: want v1 and the error recorded", want, res.DeployError)
	}
	if got := lbc.log(); len(got) != 2 || got[1] != "start" {
		t.Errorf("events %v, want the LBC started again", got)
	}
}
