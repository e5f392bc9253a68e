package scenario

import (
	"context"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// appFixture is a complete Deployment demo/web with its ReplicaSet (hash
// h1) and pods.
func appFixture(pods ...string) []runtime.Object {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "web", UID: "dep-uid", Generation: 1},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(len(pods))),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: int32(len(pods)), UpdatedReplicas: int32(len(pods)), AvailableReplicas: int32(len(pods))},
	}
	objs := []runtime.Object{d, replicaSet(d, "h1", 1)}
	for _, name := range pods {
		objs = append(objs, appPod(name, "h1"))
	}
	return objs
}

func replicaSet(d *appsv1.Deployment, hash string, revision int) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{
		Namespace: d.Namespace, Name: d.Name + "-" + hash, UID: types.UID("rs-" + hash),
		Labels:          map[string]string{"app": "web", appsv1.DefaultDeploymentUniqueLabelKey: hash},
		Annotations:     map[string]string{"deployment.kubernetes.io/revision": itoa(revision)},
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(d, appsv1.SchemeGroupVersion.WithKind("Deployment"))},
	}}
}

func appPod(name, hash string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Namespace: "demo", Name: name, UID: types.UID("uid-" + name),
		Labels: map[string]string{"app": "web", appsv1.DefaultDeploymentUniqueLabelKey: hash},
	}}
}

// fakeDeployer names demo/web; its Deploy calls deploy (nil: succeeds).
type fakeDeployer struct {
	deploy func(ctx context.Context, version string) error
}

func (f fakeDeployer) Deploy(ctx context.Context, version string) error {
	if f.deploy == nil {
		return nil
	}
	return f.deploy(ctx, version)
}

func (fakeDeployer) Namespace() string  { return "demo" }
func (fakeDeployer) Deployment() string { return "web" }
func (fakeDeployer) Service() string    { return "web" }
func (fakeDeployer) Host() string       { return "web.example.com" }

// pdbOfOne answers evictions like a PodDisruptionBudget with maxUnavailable
// 1: one pod at a time; the evicted pod is gone and replaced after a short
// termination, and only then is the next eviction allowed.
func pdbOfOne(t *testing.T, client *fake.Clientset) {
	var (
		mu        sync.Mutex
		disrupted bool
	)
	pods := corev1.SchemeGroupVersion.WithResource("pods")
	client.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "eviction" {
			return false, nil, nil
		}
		ev := a.(k8stesting.CreateAction).GetObject().(*policyv1.Eviction)
		mu.Lock()
		defer mu.Unlock()
		if disrupted {
			return true, nil, apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0)
		}
		disrupted = true
		go func() {
			time.Sleep(50 * time.Millisecond)
			if err := client.Tracker().Delete(pods, ev.Namespace, ev.Name); err != nil {
				t.Errorf("deleting the evicted pod: %v", err)
			}
			if err := client.Tracker().Add(appPod("new-"+ev.Name, "h1")); err != nil {
				t.Errorf("adding its replacement: %v", err)
			}
			mu.Lock()
			disrupted = false
			mu.Unlock()
		}()
		return true, nil, nil
	})
}

func TestEvictEvictsEveryPodThroughTheBudget(t *testing.T) {
	client := fake.NewClientset(appFixture("a", "b", "c")...)
	pdbOfOne(t, client)
	env := Env{Client: client, RolloutTimeout: 30 * time.Second}
	fault := &Fault{}
	res := &Result{}
	want, err := Evict(env, "evict", fakeDeployer{}, "v2", 10*time.Millisecond, fault).Run(t.Context(), res)
	if err != nil {
		t.Fatal(err)
	}
	if want != "v2" {
		t.Errorf("want %q after the evictions, the version running", want)
	}
	if fault.Evicted != 3 || fault.EvictionsRefused == 0 {
		t.Errorf("evicted %d, refused %d: want all 3 evicted and the budget refusing some", fault.Evicted, fault.EvictionsRefused)
	}
	list, err := client.CoreV1().Pods("demo").List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list.Items {
		if p.Name == "a" || p.Name == "b" || p.Name == "c" {
			t.Errorf("original pod %s is still there", p.Name)
		}
	}
	if res.DeploySeconds <= 0 || res.CompleteSeconds < res.DeploySeconds {
		t.Errorf("drain %.3fs, complete %.3fs: want the drain timed and completion seen after it", res.DeploySeconds, res.CompleteSeconds)
	}
}

func TestEvictStopsOnAnotherError(t *testing.T) {
	client := fake.NewClientset(appFixture("a")...)
	client.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return a.GetSubresource() == "eviction", nil, apierrors.NewForbidden(corev1.Resource("pods"), "a", nil)
	})
	env := Env{Client: client, RolloutTimeout: 30 * time.Second}
	if _, err := Evict(env, "evict", fakeDeployer{}, "v2", time.Millisecond, &Fault{}).Run(t.Context(), &Result{}); err == nil {
		t.Fatal("a forbidden eviction was not reported")
	}
}

func TestEvictGivesUpWhenAlwaysRefused(t *testing.T) {
	client := fake.NewClientset(appFixture("a")...)
	client.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return a.GetSubresource() == "eviction", nil, apierrors.NewTooManyRequests("budget", 0)
	})
	env := Env{Client: client, RolloutTimeout: 200 * time.Millisecond}
	fault := &Fault{}
	if _, err := Evict(env, "evict", fakeDeployer{}, "v2", 10*time.Millisecond, fault).Run(t.Context(), &Result{}); err == nil {
		t.Fatal("an eviction refused until the timeout was not reported")
	}
	if fault.Evicted != 0 || fault.EvictionsRefused == 0 {
		t.Errorf("evicted %d, refused %d: want none evicted, refusals counted", fault.Evicted, fault.EvictionsRefused)
	}
}
