package scenario

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// newPods counts the pods matching a selector that are created after it
// starts, from a watch (an informer), so that a pod created and deleted
// between two looks is counted too.
type newPods struct {
	before map[types.UID]bool
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	created map[types.UID]bool // UID -> created without a readiness gate
}

// watchNewPods lists the pods of ns matching sel (they are not new), then
// watches for new ones until stop.
func watchNewPods(ctx context.Context, cs kubernetes.Interface, ns string, sel labels.Selector) (*newPods, error) {
	list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, fmt.Errorf("listing the pods of %s: %w", ns, err)
	}
	n := &newPods{before: map[types.UID]bool{}, created: map[types.UID]bool{}, done: make(chan struct{})}
	for _, p := range list.Items {
		n.before[p.UID] = true
	}
	factory := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = sel.String() }))
	informer := factory.Core().V1().Pods().Informer()
	if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    n.see,
		UpdateFunc: func(_, obj any) { n.see(obj) },
	}); err != nil {
		return nil, fmt.Errorf("watching the pods of %s: %w", ns, err)
	}
	watchCtx, cancel := context.WithCancel(ctx)
	n.cancel = cancel
	factory.Start(watchCtx.Done())
	go func() {
		<-watchCtx.Done()
		factory.Shutdown()
		close(n.done)
	}()
	if !cache.WaitForCacheSync(watchCtx.Done(), informer.HasSynced) {
		n.stop()
		return nil, fmt.Errorf("watching the pods of %s: the cache never synced: %w", ns, context.Cause(ctx))
	}
	return n, nil
}

func (n *newPods) see(obj any) {
	p, ok := obj.(*corev1.Pod)
	if !ok || n.before[p.UID] {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.created[p.UID] = len(p.Spec.ReadinessGates) == 0
}

// counts returns how many pods were created so far, and how many of them
// without a readiness gate.
func (n *newPods) counts() (created, withoutGate int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, noGate := range n.created {
		created++
		if noGate {
			withoutGate++
		}
	}
	return created, withoutGate
}

// stop ends the watch.
func (n *newPods) stop() {
	n.cancel()
	<-n.done
}
