package scenario

import (
	"math"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const testGate corev1.PodConditionType = "target-health.elbv2.k8s.aws/k8s-app-app-0123456789"

// podState is one update of a pod as a watch delivers it.
type podState struct {
	at                         float64 // seconds from the deploy start
	name                       string
	gated                      bool
	containers, gate, podReady bool
}

func (s podState) pod() *corev1.Pod {
	cond := func(t corev1.PodConditionType, ok bool) corev1.PodCondition {
		st := corev1.ConditionFalse
		if ok {
			st = corev1.ConditionTrue
		}
		return corev1.PodCondition{Type: t, Status: st}
	}
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: s.name}}
	p.Status.Conditions = []corev1.PodCondition{cond(corev1.ContainersReady, s.containers), cond(corev1.PodReady, s.podReady)}
	if s.gated {
		p.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: testGate}}
		p.Status.Conditions = append(p.Status.Conditions, cond(testGate, s.gate))
	}
	return p
}

// gatedPod is the updates of a gated pod: created, containers ready, gate
// True (the kubelet turns the pod Ready in the same update here).
func gatedPod(name string, created, containers, gate float64) []podState {
	return []podState{
		{at: created, name: name, gated: true},
		{at: containers, name: name, gated: true, containers: true},
		{at: gate, name: name, gated: true, containers: true, gate: true, podReady: true},
	}
}

// TestBatches replays synthetic pod updates, as the informer delivers them
// during a rollout, and checks the batches and their phases.
func TestBatches(t *testing.T) {
	start := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	old := []podState{{at: -60, name: "old-a", containers: true, podReady: true}, {at: -60, name: "old-b", containers: true, podReady: true}}
	cat := func(lists ...[]podState) []podState {
		var out []podState
		for _, l := range lists {
			out = append(out, l...)
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		updates  []podState
		minReady time.Duration
		want     []Batch
	}{
		{
			name: "ZeroDowntimeApp: surge 2, then 1, gated, minReady 6 s",
			updates: cat(old, gatedPod("new-1", 4, 15, 29), gatedPod("new-2", 4.1, 15.5, 29.2),
				gatedPod("new-3", 35.2, 46.5, 61.5)),
			minReady: 6 * time.Second,
			want: []Batch{
				{Start: 4, Complete: true, Boot: 11.5, GateWait: 13.7, MinReady: 6, Total: 31.2, Pods: []PodTimes{
					{Name: "new-1", Created: 4, ContainersReady: 15, Gated: true, Gate: 29, Ready: 29, Available: 35},
					{Name: "new-2", Created: 4.1, ContainersReady: 15.5, Gated: true, Gate: 29.2, Ready: 29.2, Available: 35.2},
				}},
				{Start: 35.2, Complete: true, Boot: 11.3, GateWait: 15, MinReady: 6, Total: 32.3, Pods: []PodTimes{
					{Name: "new-3", Created: 35.2, ContainersReady: 46.5, Gated: true, Gate: 61.5, Ready: 61.5, Available: 67.5},
				}},
			},
		},
		{
			name: "no gate, no minReady: Ready with the containers",
			updates: cat(old, []podState{
				{at: 0.2, name: "p1"}, {at: 15, name: "p1", containers: true, podReady: true},
				{at: 15.1, name: "p2"}, {at: 30, name: "p2", containers: true, podReady: true},
			}),
			want: []Batch{
				{Start: 0.2, Complete: true, Boot: 14.8, Total: 14.8, Pods: []PodTimes{{Name: "p1", Created: 0.2, ContainersReady: 15, Ready: 15, Available: 15}}},
				{Start: 15.1, Complete: true, Boot: 14.9, Total: 14.9, Pods: []PodTimes{{Name: "p2", Created: 15.1, ContainersReady: 30, Ready: 30, Available: 30}}},
			},
		},
		{
			name: "Ready lost within minReady restarts the count",
			updates: cat(old, gatedPod("p1", 1, 12, 20), []podState{
				{at: 22, name: "p1", gated: true, gate: true},
				{at: 24, name: "p1", gated: true, containers: true, gate: true, podReady: true},
			}),
			minReady: 6 * time.Second,
			want: []Batch{{Start: 1, Complete: true, Boot: 11, GateWait: 8, MinReady: 6, Total: 29, Pods: []PodTimes{
				{Name: "p1", Created: 1, ContainersReady: 12, Gated: true, Gate: 20, Ready: 24, Available: 30},
			}}},
		},
		{
			name:    "a version that never becomes ready: one incomplete batch",
			updates: cat(old, []podState{{at: 3, name: "broken", gated: true}, {at: 50, name: "broken", gated: true}}),
			want:    []Batch{{Start: 3, Pods: []PodTimes{{Name: "broken", Created: 3, Gated: true}}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newPodTracker()
			for _, u := range tc.updates {
				tr.observe(u.pod(), start.Add(time.Duration(u.at*float64(time.Second))))
			}
			tr.markOld([]string{"old-a", "old-b"})
			got := tr.batches(start, tc.minReady)
			roundBatches(got)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("batches\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// roundBatches rounds every time to 0.1 s, so float sums compare.
func roundBatches(bs []Batch) {
	r := func(v *float64) { *v = math.Round(*v*10) / 10 }
	for i := range bs {
		b := &bs[i]
		for _, v := range []*float64{&b.Start, &b.Boot, &b.GateWait, &b.MinReady, &b.Total} {
			r(v)
		}
		for j := range b.Pods {
			p := &b.Pods[j]
			for _, v := range []*float64{&p.Created, &p.ContainersReady, &p.Gate, &p.Ready, &p.Available} {
				r(v)
			}
		}
	}
}

// fakeDrainer answers DrainEnd from a table of pod -> (end, ended).
type fakeDrainer map[string]struct {
	at    time.Time
	ended bool
}

func (f fakeDrainer) DrainEnd(_, pod string, _ time.Time) (time.Time, bool, bool) {
	d, ok := f[pod]
	return d.at, d.ended, ok
}

func TestALBDone(t *testing.T) {
	start := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return start.Add(time.Duration(s * float64(time.Second))) }
	type drain = struct {
		at    time.Time
		ended bool
	}
	for _, tc := range []struct {
		name        string
		dr          fakeDrainer
		want        float64
		wantPending bool
	}{
		{"every old target drained", fakeDrainer{"a": {at(70), true}, "b": {at(112.5), true}}, 112.5, false},
		{"the last still draining: the schedule", fakeDrainer{"a": {at(70), true}, "b": {at(340), false}}, 340, true},
		{"an old pod never deregistered: unknown", fakeDrainer{"a": drain{at(70), true}}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, pending := albDone(tc.dr, "ns", []string{"a", "b"}, start)
			if got != tc.want || pending != tc.wantPending {
				t.Errorf("albDone = %v, %v; want %v, %v", got, pending, tc.want, tc.wantPending)
			}
		})
	}
}
