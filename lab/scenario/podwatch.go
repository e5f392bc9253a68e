package scenario

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Drainer is the emulated ALB's record of deregistrations. When Env.ALB
// implements it, each result gets its "ALB done": when the last old pod's
// target left draining.
type Drainer interface {
	// DrainEnd is when the target of pod namespace/pod, deregistered at or
	// after since, leaves draining, and whether it has already (else the
	// time is the schedule); ok is false when no such deregistration is
	// known.
	DrainEnd(namespace, pod string, since time.Time) (at time.Time, ended, ok bool)
}

// podWatch follows a Deployment's pods through an informer (a watch, no
// polling) for the length of one rollout.
type podWatch struct {
	tracker *podTracker
	stop    func()
}

// watchPods starts watching the pods the Deployment selects; the pods there
// once the informer's cache has synced are the rollout's old pods, so start
// it before the deploy.
func watchPods(ctx context.Context, cs kubernetes.Interface, ns, deployment string) (*podWatch, error) {
	sel, err := deploymentSelector(ctx, cs, ns, deployment)
	if err != nil {
		return nil, err
	}
	factory := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = sel }))
	inf := factory.Core().V1().Pods().Informer()
	tracker := newPodTracker()
	handle := func(obj any) {
		if pod, ok := obj.(*corev1.Pod); ok {
			tracker.observe(pod, time.Now())
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: handle, UpdateFunc: func(_, obj any) { handle(obj) },
	}); err != nil {
		return nil, fmt.Errorf("watching pods of %s/%s: %w", ns, deployment, err)
	}
	wctx, cancel := context.WithCancel(ctx)
	stop := func() { cancel(); factory.Shutdown() }
	factory.Start(wctx.Done())
	if !cache.WaitForCacheSync(wctx.Done(), inf.HasSynced) {
		stop()
		return nil, fmt.Errorf("watching pods of %s/%s: the cache never synced: %w", ns, deployment, context.Cause(ctx))
	}
	var old []string
	for _, obj := range inf.GetStore().List() {
		if pod, ok := obj.(*corev1.Pod); ok {
			old = append(old, pod.Name)
		}
	}
	tracker.markOld(old)
	return &podWatch{tracker: tracker, stop: stop}, nil
}

// finish stops the watch and records the rollout's batches and, when the
// ALB keeps a drain record, when it was done with the old pods' targets.
func (w *podWatch) finish(ctx context.Context, env Env, d Deployer, start time.Time, res *Result) error {
	w.stop()
	ns := d.Namespace()
	dep, err := env.Client.AppsV1().Deployments(ns).Get(ctx, d.Deployment(), metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading deployment %s/%s for its batches: %w", ns, d.Deployment(), err)
	}
	res.Batches = w.tracker.batches(start, time.Duration(dep.Spec.MinReadySeconds)*time.Second)
	if dr, ok := env.ALB.(Drainer); ok {
		res.ALBDoneSeconds, res.ALBDonePending = albDone(dr, ns, w.tracker.oldPods(), start)
	}
	return nil
}

// albDone is when the last old pod's target left draining, in seconds from
// start, and whether that had not happened yet (the emulator's schedule).
// It is 0 when some old pod's target was not deregistered (a failed
// rollout keeps its old pods).
func albDone(dr Drainer, ns string, old []string, start time.Time) (float64, bool) {
	var last time.Time
	pending := false
	for _, pod := range old {
		at, ended, ok := dr.DrainEnd(ns, pod, start)
		if !ok {
			return 0, false
		}
		if at.After(last) {
			last = at
		}
		pending = pending || !ended
	}
	if last.IsZero() {
		return 0, false
	}
	return last.Sub(start).Seconds(), pending
}

// deploymentSelector reads the Deployment and returns its pod selector as a
// list option's label selector.
func deploymentSelector(ctx context.Context, cs kubernetes.Interface, ns, name string) (string, error) {
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("reading deployment %s/%s: %w", ns, name, err)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return "", fmt.Errorf("deployment %s/%s selector: %w", ns, name, err)
	}
	return sel.String(), nil
}
