package scenario

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/zdt-eks/zdt/internal/podcond"
	corev1 "k8s.io/api/core/v1"
)

// batchGap groups new pods into rollout batches: the Deployment controller
// creates a batch's pods in one sync, or two quick ones when maxUnavailable
// lets it scale the old ReplicaSet down first; the next batch waits for a
// pod of this one to become available, which takes seconds.
const batchGap = time.Second

// PodTimes is one new pod's way through a rollout, in seconds from the start
// of the deploy; 0 means the pod did not get there while it was watched.
type PodTimes struct {
	Name string `json:"name"`
	// Created is when the watch first saw the pod.
	Created float64 `json:"created"`
	// ContainersReady is when its containers first passed readiness
	// (condition ContainersReady): the app has booted.
	ContainersReady float64 `json:"containersReady,omitempty"`
	// Gated tells whether the pod has readiness gates (the LBC's
	// target-health.elbv2.k8s.aws/<target group>); Gate is when the last of
	// them went True, set by the (emulated) LBC once the ALB found the
	// pod's target healthy.
	Gated bool    `json:"gated,omitempty"`
	Gate  float64 `json:"gate,omitempty"`
	// Ready is when the pod last turned Ready (containers ready and every
	// gate True).
	Ready float64 `json:"ready,omitempty"`
	// Available is Ready plus the Deployment's minReadySeconds, as the
	// Deployment controller counts a pod available.
	Available float64 `json:"available,omitempty"`
}

// Batch is one rollout batch: the new pods created together, and the phases
// of the one that became available last (the one the batch waits for).
type Batch struct {
	Pods []PodTimes `json:"pods"`
	// Start is when the batch's first pod was created, in seconds from the
	// start of the deploy.
	Start float64 `json:"start"`
	// Complete tells whether every pod of the batch became available; the
	// phases below are 0 otherwise.
	Complete bool `json:"complete"`
	// Boot runs from Start to the last pod's containers ready; GateWait from
	// then to its gate True (0 without a gate); MinReady from its Ready to
	// Available; Total from Start to its Available.
	Boot     float64 `json:"boot"`
	GateWait float64 `json:"gateWait"`
	MinReady float64 `json:"minReady"`
	Total    float64 `json:"total"`
}

// podTimeline is what the watch saw of one pod, in wall-clock times (zero:
// not yet).
type podTimeline struct {
	name                                  string
	gated                                 bool
	created, containersReady, gate, ready time.Time
}

// podTracker turns pod updates into timelines. Pods it knows before the
// rollout starts (markOld) are the old ones; every other pod is new. Safe
// for concurrent use.
type podTracker struct {
	mu    sync.Mutex
	old   map[string]bool
	pods  map[string]*podTimeline
	order []string
}

func newPodTracker() *podTracker {
	return &podTracker{old: map[string]bool{}, pods: map[string]*podTimeline{}}
}

// markOld records the pods that exist before the rollout starts.
func (t *podTracker) markOld(names []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, n := range names {
		t.old[n] = true
	}
}

// oldPods are the pods marked old, sorted.
func (t *podTracker) oldPods() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Sorted(maps.Keys(t.old))
}

// observe applies one state of a pod, seen at `at`. Containers ready and
// the gate count from their first True; Ready from its last turn to True
// (availability needs it to stay True).
func (t *podTracker) observe(pod *corev1.Pod, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.pods[pod.Name]
	if !ok {
		p = &podTimeline{name: pod.Name, created: at}
		t.pods[pod.Name] = p
		t.order = append(t.order, pod.Name)
	}
	p.gated = len(pod.Spec.ReadinessGates) > 0
	if p.containersReady.IsZero() && podcond.IsTrue(pod, corev1.ContainersReady) {
		p.containersReady = at
	}
	if p.gated && p.gate.IsZero() && gatesTrue(pod) {
		p.gate = at
	}
	switch ready := podcond.IsTrue(pod, corev1.PodReady); {
	case ready && p.ready.IsZero():
		p.ready = at
	case !ready:
		p.ready = time.Time{}
	}
}

// batches groups the new pods into batches (created within batchGap of the
// batch's first pod) and times them from start.
func (t *podTracker) batches(start time.Time, minReady time.Duration) []Batch {
	t.mu.Lock()
	var news []podTimeline
	for _, name := range t.order {
		if !t.old[name] {
			news = append(news, *t.pods[name])
		}
	}
	t.mu.Unlock()
	slices.SortStableFunc(news, func(a, b podTimeline) int { return a.created.Compare(b.created) })
	var out []Batch
	var first time.Time
	for _, p := range news {
		if len(out) == 0 || p.created.Sub(first) > batchGap {
			out = append(out, Batch{})
			first = p.created
		}
		b := &out[len(out)-1]
		b.Pods = append(b.Pods, p.times(start, minReady))
	}
	for i := range out {
		out[i].phase()
	}
	return out
}

// times is the timeline in seconds from start.
func (p podTimeline) times(start time.Time, minReady time.Duration) PodTimes {
	since := func(at time.Time) float64 {
		if at.IsZero() {
			return 0
		}
		return at.Sub(start).Seconds()
	}
	out := PodTimes{Name: p.name, Created: since(p.created), ContainersReady: since(p.containersReady),
		Gated: p.gated, Gate: since(p.gate), Ready: since(p.ready)}
	if !p.ready.IsZero() {
		out.Available = since(p.ready.Add(minReady))
	}
	return out
}

// phase fills the batch's start and the phases of its last available pod.
func (b *Batch) phase() {
	b.Start = b.Pods[0].Created
	last := b.Pods[0]
	for _, p := range b.Pods {
		if p.Available == 0 {
			return
		}
		if p.Available > last.Available {
			last = p
		}
	}
	b.Complete = true
	b.Boot = last.ContainersReady - b.Start
	if last.Gated {
		b.GateWait = last.Gate - last.ContainersReady
	}
	b.MinReady = last.Available - last.Ready
	b.Total = last.Available - b.Start
}

// gatesTrue tells whether every readiness gate of the pod is True.
func gatesTrue(pod *corev1.Pod) bool {
	for _, g := range pod.Spec.ReadinessGates {
		if !podcond.IsTrue(pod, g.ConditionType) {
			return false
		}
	}
	return true
}
