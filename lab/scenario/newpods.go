package scenario

import (
	"context"

	"k8s.io/client-go/kubernetes"
)

// newPods counts the pods of a Deployment created after it starts: those
// a pod watch (watchPods, an informer) sees that were not there when its
// cache synced, so that a pod created and deleted between two looks is
// counted too.
type newPods struct{ w *podWatch }

// watchNewPods starts counting the Deployment's new pods until stop.
func watchNewPods(ctx context.Context, cs kubernetes.Interface, ns, deployment string) (*newPods, error) {
	w, err := watchPods(ctx, cs, ns, deployment)
	if err != nil {
		return nil, err
	}
	return &newPods{w: w}, nil
}

// counts returns how many pods were created so far, and how many of them
// without a readiness gate.
func (n *newPods) counts() (created, withoutGate int) {
	t := n.w.tracker
	t.mu.Lock()
	defer t.mu.Unlock()
	for name, p := range t.pods {
		if t.old[name] {
			continue
		}
		created++
		if !p.gated {
			withoutGate++
		}
	}
	return created, withoutGate
}

// stop ends the watch.
func (n *newPods) stop() { n.w.stop() }
