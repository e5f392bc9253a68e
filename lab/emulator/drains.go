package emulator

import "time"

// Drain is one deregistration of a target, for measuring when the ALB is
// done with a rollout's old targets.
type Drain struct {
	TargetGroup    string     `json:"targetGroup"`
	Target         TargetSpec `json:"target"`
	DeregisteredAt time.Time  `json:"deregisteredAt"`
	// Ends is when the target leaves draining: the end of the
	// deregistration delay, set at the deregister call (the ELB API shows
	// the target draining until then, also once nothing is in flight: ALB
	// user guide, "Deregistration delay"), or earlier when the target is
	// registered again or its target group deleted.
	Ends time.Time `json:"ends"`
	// Ended tells whether the target has left draining; until then Ends is
	// the schedule.
	Ended bool `json:"ended"`
}

// drainRetention is how long a target group remembers a drain after it
// ended: long enough for the lab to read it after a rollout.
const drainRetention = time.Hour

// startDrainLocked records a deregistration (deregisterLocked has set the
// target's removeAt).
func (g *TargetGroup) startDrainLocked(t *target, now time.Time) {
	kept := g.drains[:0]
	for _, d := range g.drains {
		if !d.Ended || now.Sub(d.Ends) < drainRetention {
			kept = append(kept, d)
		}
	}
	g.drains = append(kept, Drain{TargetGroup: g.name, Target: t.spec, DeregisteredAt: now, Ends: t.removeAt})
}

// endDrainLocked records that the target left draining, if it was.
func (g *TargetGroup) endDrainLocked(t *target, now time.Time) {
	for i := len(g.drains) - 1; i >= 0; i-- {
		if d := &g.drains[i]; !d.Ended && d.Target.ID() == t.spec.ID() {
			d.Ends, d.Ended = now, true
			return
		}
	}
}

// Drains returns the group's deregistrations of targets of pods in
// namespace that started at or after since, oldest first.
func (g *TargetGroup) Drains(namespace string, since time.Time) []Drain {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []Drain
	for _, d := range g.drains {
		if d.Target.Pod.Namespace == namespace && !d.DeregisteredAt.Before(since) {
			out = append(out, d)
		}
	}
	return out
}

// DrainEnd is when the target of pod namespace/pod, deregistered at or after
// since, leaves draining (the latest over every target group and
// deregistration), and whether it has left already (else the time is the
// schedule); ok is false when no such deregistration is known.
func (e *Emulator) DrainEnd(namespace, pod string, since time.Time) (at time.Time, ended, ok bool) {
	for _, tg := range e.controller.targetGroups() {
		for _, d := range tg.Drains(namespace, since) {
			if d.Target.Pod.Name == pod && (!ok || d.Ends.After(at)) {
				at, ended, ok = d.Ends, d.Ended, true
			}
		}
	}
	return at, ended, ok
}
