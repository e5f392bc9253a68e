package emulator

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
)

// State is an ALB target health state (ELB API TargetHealthStateEnum).
type State string

// Target states the emulator uses. A deregistered target is removed, which
// the ELB API shows as unused.
const (
	StateInitial   State = "initial"
	StateHealthy   State = "healthy"
	StateUnhealthy State = "unhealthy"
	StateDraining  State = "draining"
	StateRemoved   State = "unused"
)

// Target health reasons and descriptions (ELB API TargetHealthReasonEnum; the
// LBC copies reason and description into the readiness gate condition).
const (
	ReasonRegistrationInProgress   = "Elb.RegistrationInProgress"
	ReasonInitialHealthChecking    = "Elb.InitialHealthChecking"
	ReasonResponseCodeMismatch     = "Target.ResponseCodeMismatch"
	ReasonTimeout                  = "Target.Timeout"
	ReasonFailedHealthChecks       = "Target.FailedHealthChecks"
	ReasonDeregistrationInProgress = "Target.DeregistrationInProgress"

	DescRegistrationInProgress   = "Target registration is in progress"
	DescInitialHealthChecking    = "Initial health checks in progress"
	DescDeregistrationInProgress = "Target deregistration is in progress"
)

// TargetSpec identifies a target: a pod IP and port, and the pod behind it.
type TargetSpec struct {
	IP   string               `json:"ip"`
	Port int32                `json:"port"`
	Pod  types.NamespacedName `json:"pod"`
}

// ID is the target's key in its group, ip:port as in the ELB API.
func (t TargetSpec) ID() string { return net.JoinHostPort(t.IP, strconv.Itoa(int(t.Port))) }

// CheckResult is the outcome of one health check.
type CheckResult struct {
	Healthy bool
	// Reason and Description explain a failure (Target.Timeout, ...).
	Reason      string
	Description string
}

// HealthChecker performs one health check of target; it must honour ctx and
// hc.Timeout. HTTPHealthChecker is the real one; tests inject their own.
type HealthChecker func(ctx context.Context, target TargetSpec, hc HealthCheckConfig) CheckResult

// Probe is a health check that is due. Run it and hand the result to
// TargetGroup.RecordResult.
type Probe struct {
	Target      TargetSpec
	HealthCheck HealthCheckConfig
	// Node is the ALB node that checks (0 when the nodes share one view).
	Node int
	seq  uint64
}

// TargetEvent reports a target state change.
type TargetEvent struct {
	TargetGroup string
	Target      TargetSpec
	From, To    State
	Reason      string
	Description string
	At          time.Time
}

// TargetStatus is a snapshot of one target.
type TargetStatus struct {
	Target      TargetSpec `json:"target"`
	ID          string     `json:"id"`
	State       State      `json:"state"`
	Reason      string     `json:"reason,omitempty"`
	Description string     `json:"description,omitempty"`
	Since       time.Time  `json:"since"`
	// Deregistering is true from the deregistration request on, including the
	// propagation window during which ALB nodes still send it new requests.
	Deregistering bool `json:"deregistering"`
	// ReceivesNewRequests tells whether the data plane would pick this target
	// on at least one ALB node; RoutingNodes counts those nodes.
	ReceivesNewRequests bool `json:"receivesNewRequests"`
	RoutingNodes        int  `json:"routingNodes"`
	InFlight            int  `json:"inFlight"`
	// NodeStates is each ALB node's own view of the target with
	// Settings.PerNodeHealthChecks (State is what the ELB API reports).
	NodeStates []State `json:"nodeStates,omitempty"`
}

// TargetGroup is the pure state machine of one ALB target group: registration,
// health checks, deregistration and draining, and the choice of the target
// for each new request. Time comes only from its clock; health checks run
// where the caller wants (Sync runs them inline). Safe for concurrent use.
type TargetGroup struct {
	name     string
	clock    clock.PassiveClock
	settings Settings
	onChange func(TargetEvent)

	mu      sync.Mutex
	config  TargetGroupConfig
	targets map[string]*target
	seq     uint64
	rr      []uint64 // round robin position per ALB node
	rng     *rand.Rand
	drains  []Drain // deregistrations, for measurements (drains.go)
}

type target struct {
	spec        TargetSpec
	state       State
	reason      string
	description string
	since       time.Time

	// views are the ALB nodes' health checks (nodeview.go): one per node
	// with Settings.PerNodeHealthChecks, else one that every node shares.
	// state above is what the ELB API reports (aggregate).
	views []nodeView

	deregistering bool
	stopRoutingAt []time.Time // per ALB node: the deregistration has propagated
	removeAt      time.Time   // deregistration delay ends (from the deregister call)
	cut           bool        // in-flight requests were cut at removeAt

	inFlight int
	ctx      context.Context
	cancel   context.CancelCauseFunc
}

// ErrTargetDeregistered is the cause of a Lease's context when its target's
// deregistration delay ended with the request still in flight.
var ErrTargetDeregistered = errors.New("target deregistered: deregistration delay elapsed")

// NewTargetGroup builds an empty target group. onChange (may be nil) is called
// for every state change, without the group's lock held.
func NewTargetGroup(name string, cfg TargetGroupConfig, s Settings, clk clock.PassiveClock, onChange func(TargetEvent)) *TargetGroup {
	if onChange == nil {
		onChange = func(TargetEvent) {}
	}
	seed := s.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	return &TargetGroup{
		name: name, clock: clk, settings: s, onChange: onChange, config: cfg, targets: map[string]*target{},
		rr: make([]uint64, max(1, s.ALBNodes)), rng: rand.New(rand.NewPCG(seed, uint64(len(name)))),
	}
}

// nodes is the number of emulated ALB nodes.
func (g *TargetGroup) nodes() int { return len(g.rr) }

// Name is the target group's name.
func (g *TargetGroup) Name() string { return g.name }

// Config returns the target group's configuration.
func (g *TargetGroup) Config() TargetGroupConfig {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.config
}

// SetPropagation changes the distribution of the deregistration
// propagation delay from the next deregistration on (the lab varies it
// between scenarios on one cluster).
func (g *TargetGroup) SetPropagation(p Propagation) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.settings.DeregistrationPropagation = p
}

// SetConfig changes health check and attributes; they apply from the next
// check, result or deregistration on.
func (g *TargetGroup) SetConfig(cfg TargetGroupConfig) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.config = cfg
}

// eventBuffer collects state changes under the lock and emits them after.
type eventBuffer []TargetEvent

func (g *TargetGroup) emit(events eventBuffer) {
	for _, e := range events {
		g.onChange(e)
	}
}

func (g *TargetGroup) transition(ev *eventBuffer, t *target, to State, reason, desc string, now time.Time) {
	if t.state == to && t.reason == reason && t.description == desc {
		return
	}
	*ev = append(*ev, TargetEvent{TargetGroup: g.name, Target: t.spec, From: t.state, To: to, Reason: reason, Description: desc, At: now})
	t.state, t.reason, t.description, t.since = to, reason, desc, now
}

// SetTargets makes the registered targets equal specs: new ones are
// registered, missing ones deregistered, as the LBC does on each reconcile.
// Draining targets do not count as registered (the LBC ignores them), so a
// draining target that is wanted again is registered anew.
func (g *TargetGroup) SetTargets(specs []TargetSpec) {
	want := make(map[string]TargetSpec, len(specs))
	for _, s := range specs {
		want[s.ID()] = s
	}
	g.mu.Lock()
	now := g.clock.Now()
	var ev eventBuffer
	for id, t := range g.targets {
		if _, ok := want[id]; !ok && !t.deregistering {
			g.deregisterLocked(&ev, t, now)
		}
	}
	for id, s := range want {
		g.registerLocked(&ev, id, s, now)
	}
	g.mu.Unlock()
	g.emit(ev)
}

// Register registers one target (RegisterTargets). Registering a registered,
// not deregistering target does nothing.
func (g *TargetGroup) Register(spec TargetSpec) {
	g.mu.Lock()
	var ev eventBuffer
	g.registerLocked(&ev, spec.ID(), spec, g.clock.Now())
	g.mu.Unlock()
	g.emit(ev)
}

// Deregister deregisters one target (DeregisterTargets).
func (g *TargetGroup) Deregister(id string) {
	g.mu.Lock()
	var ev eventBuffer
	if t, ok := g.targets[id]; ok && !t.deregistering {
		g.deregisterLocked(&ev, t, g.clock.Now())
	}
	g.mu.Unlock()
	g.emit(ev)
}

func (g *TargetGroup) registerLocked(ev *eventBuffer, id string, spec TargetSpec, now time.Time) {
	t, ok := g.targets[id]
	if ok && !t.deregistering {
		t.spec.Pod = spec.Pod
		return
	}
	if ok {
		g.endDrainLocked(t, now) // re-registered while draining
	} else {
		ctx, cancel := context.WithCancelCause(context.Background())
		t = &target{spec: spec, ctx: ctx, cancel: cancel}
		g.targets[id] = t
	}
	// A new registration, or a re-registration of a deregistering target:
	// in-flight requests keep their context, everything else starts over.
	t.spec = spec
	t.deregistering, t.cut = false, false
	t.stopRoutingAt, t.removeAt = nil, time.Time{}
	t.views = g.newViews(now)
	g.transition(ev, t, StateInitial, ReasonRegistrationInProgress, DescRegistrationInProgress, now)
}

// deregisterLocked starts a deregistration: the ELB API shows the target
// draining at once and health checks stop; each ALB node keeps sending it new
// requests until its own propagation delay has passed; the deregistration
// delay runs from now (ALB user guide, "Deregistration delay"), and requests
// still in flight when it ends are cut (Advance).
func (g *TargetGroup) deregisterLocked(ev *eventBuffer, t *target, now time.Time) {
	t.deregistering, t.cut = true, false
	for i := range t.views {
		v := &t.views[i]
		v.routeState, v.checking = v.state, false
	}
	t.stopRoutingAt = make([]time.Time, g.nodes())
	for n := range t.stopRoutingAt {
		t.stopRoutingAt[n] = now.Add(g.settings.DeregistrationPropagation.Draw(g.rng))
	}
	t.removeAt = now.Add(g.config.DeregistrationDelay)
	g.startDrainLocked(t, now)
	g.transition(ev, t, StateDraining, ReasonDeregistrationInProgress, DescDeregistrationInProgress, now)
}

// routesOn tells whether ALB node n still sends new requests to a
// deregistering target.
func (t *target) routesOn(n int, now time.Time) bool {
	return t.deregistering && n < len(t.stopRoutingAt) && now.Before(t.stopRoutingAt[n])
}

// lastRoutingStop is when the last ALB node stops routing to the target.
func (t *target) lastRoutingStop() time.Time {
	var last time.Time
	for _, at := range t.stopRoutingAt {
		if at.After(last) {
			last = at
		}
	}
	return last
}

// Advance applies every timer due at the clock's current time (registration
// done, deregistration propagated, draining over) and returns the health
// checks that are due. Call it at least every Settings.TickInterval.
func (g *TargetGroup) Advance() []Probe {
	g.mu.Lock()
	now := g.clock.Now()
	var ev eventBuffer
	var probes []Probe
	for _, id := range g.sortedIDsLocked() {
		probes = append(probes, g.advanceTargetLocked(&ev, g.targets[id], now)...)
	}
	g.mu.Unlock()
	g.emit(ev)
	return probes
}

func (g *TargetGroup) advanceTargetLocked(ev *eventBuffer, t *target, now time.Time) []Probe {
	if t.deregistering {
		g.advanceDeregistrationLocked(ev, t, now)
		return nil
	}
	var probes []Probe
	for n := range t.views {
		if p, ok := g.advanceViewLocked(t, n, now); ok {
			probes = append(probes, p)
		}
	}
	g.aggregateLocked(ev, t, now)
	return probes
}

// advanceViewLocked starts node n's checks of t when they are due and
// returns its probe, if one is due; checks of one view never overlap.
func (g *TargetGroup) advanceViewLocked(t *target, n int, now time.Time) (Probe, bool) {
	v := &t.views[n]
	if now.Before(v.checksStartAt) {
		return Probe{}, false
	}
	if v.reason == ReasonRegistrationInProgress {
		v.reason, v.description = ReasonInitialHealthChecking, DescInitialHealthChecking
	}
	if v.checking || now.Before(v.nextCheck) {
		return Probe{}, false
	}
	interval := g.config.HealthCheck.Interval
	v.nextCheck = v.nextCheck.Add(interval)
	if !v.nextCheck.After(now) {
		// Advance was late (more than an interval): no burst of checks.
		v.nextCheck = now.Add(interval)
	}
	g.seq++
	v.checking, v.probeSeq = true, g.seq
	return Probe{Target: t.spec, HealthCheck: g.config.HealthCheck, Node: n, seq: g.seq}, true
}

// aggregateLocked moves t's reported state to what its views add up to.
func (g *TargetGroup) aggregateLocked(ev *eventBuffer, t *target, now time.Time) {
	state, reason, desc := aggregate(t.views, g.settings.HealthAggregation)
	g.transition(ev, t, state, reason, desc, now)
}

// advanceDeregistrationLocked ends the deregistration delay (cutting the
// requests in flight: the ALB answers them 502) and forgets the target once
// no ALB node routes to it any more. A node that has not learned of the
// deregistration by then still sends new requests to the target's address
// (LBC #3270: traffic long after the deregistration delay); those are not cut.
func (g *TargetGroup) advanceDeregistrationLocked(ev *eventBuffer, t *target, now time.Time) {
	if now.Before(t.removeAt) {
		return
	}
	if !t.cut {
		t.cut = true
		g.endDrainLocked(t, now)
		t.cancel(ErrTargetDeregistered)
		t.ctx, t.cancel = context.WithCancelCause(context.Background())
		g.transition(ev, t, StateRemoved, "", "", now)
	}
	if !now.Before(t.lastRoutingStop()) {
		delete(g.targets, t.spec.ID())
	}
}

func (g *TargetGroup) removeLocked(ev *eventBuffer, t *target, now time.Time) {
	g.endDrainLocked(t, now)
	t.cancel(ErrTargetDeregistered)
	delete(g.targets, t.spec.ID())
	g.transition(ev, t, StateRemoved, "", "", now)
}

// RecordResult applies the result of a probe returned by Advance. Results of
// targets that were deregistered or re-registered meanwhile are dropped.
func (g *TargetGroup) RecordResult(p Probe, r CheckResult) {
	g.mu.Lock()
	var ev eventBuffer
	if t, ok := g.targets[p.Target.ID()]; ok && !t.deregistering && p.Node < len(t.views) {
		if v := &t.views[p.Node]; v.checking && v.probeSeq == p.seq {
			v.checking = false
			v.applyResult(r, g.config.HealthCheck, g.settings.InitialHealthyAfterOneCheck)
			g.aggregateLocked(&ev, t, g.clock.Now())
		}
	}
	g.mu.Unlock()
	g.emit(ev)
}

// Sync advances the group and runs the due health checks inline with check.
// Tests drive the group with a fake clock and Sync; Run uses Advance and runs
// checks concurrently instead.
func (g *TargetGroup) Sync(ctx context.Context, check HealthChecker) {
	for _, p := range g.Advance() {
		g.RecordResult(p, check(ctx, p.Target, p.HealthCheck))
	}
}

// Close removes every target at once (the target group is deleted) and cuts
// their in-flight requests.
func (g *TargetGroup) Close() {
	g.mu.Lock()
	now := g.clock.Now()
	var ev eventBuffer
	for _, id := range g.sortedIDsLocked() {
		g.removeLocked(&ev, g.targets[id], now)
	}
	g.mu.Unlock()
	g.emit(ev)
}

func (g *TargetGroup) sortedIDsLocked() []string {
	ids := make([]string, 0, len(g.targets))
	for id := range g.targets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// routableLocked returns the targets ALB node n sends new requests to, or
// the status the ALB answers with when there is none:
//   - healthy targets, when there are any;
//   - else fail-open: every unhealthy target (and, with
//     Settings.InitialTargetsInFailOpen, the initial ones too);
//   - else 503 when nothing is registered, Settings.NoUsableTargetStatus
//     when only initial targets are.
//
// A deregistering target counts, with the state it had, on the nodes that
// have not learned of its deregistration yet.
func (g *TargetGroup) routableLocked(n int, now time.Time) ([]*target, int) {
	var healthy, unhealthy, initial []*target
	for _, id := range g.sortedIDsLocked() {
		t := g.targets[id]
		state := t.viewOf(n).state
		if t.deregistering {
			if !t.routesOn(n, now) {
				continue
			}
			state = t.viewOf(n).routeState
		}
		switch state {
		case StateHealthy:
			healthy = append(healthy, t)
		case StateUnhealthy:
			unhealthy = append(unhealthy, t)
		case StateInitial:
			initial = append(initial, t)
		}
	}
	switch {
	case len(healthy) > 0:
		return healthy, 0
	case len(unhealthy) > 0:
		if g.settings.InitialTargetsInFailOpen {
			return append(unhealthy, initial...), 0
		}
		return unhealthy, 0
	case len(initial) > 0:
		return nil, g.settings.NoUsableTargetStatus
	default:
		return nil, http.StatusServiceUnavailable
	}
}

// Lease is one request's hold on a target. Call Done when the request ends.
type Lease struct {
	Target TargetSpec
	// Context is cancelled, with cause ErrTargetDeregistered, when the
	// target's deregistration delay ends: the request must then be cut.
	Context context.Context
	done    func()
}

// Done releases the lease; it is safe to call more than once.
func (l *Lease) Done() { l.done() }

// Pick chooses the target for a new request: the request reaches a random
// ALB node, which picks round robin over the targets it routes to. When there
// is none it returns the status the ALB answers with.
func (g *TargetGroup) Pick() (*Lease, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	if g.nodes() > 1 {
		n = g.rng.IntN(g.nodes())
	}
	pool, status := g.routableLocked(n, g.clock.Now())
	if len(pool) == 0 {
		return nil, status
	}
	t := pool[g.rr[n]%uint64(len(pool))]
	g.rr[n]++
	t.inFlight++
	var once sync.Once
	return &Lease{Target: t.spec, Context: t.ctx, done: func() {
		once.Do(func() {
			g.mu.Lock()
			t.inFlight--
			g.mu.Unlock()
		})
	}}, 0
}

// Targets returns a snapshot of every target, sorted by ID.
func (g *TargetGroup) Targets() []TargetStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clock.Now()
	routing := map[*target]int{}
	for n := range g.nodes() {
		pool, _ := g.routableLocked(n, now)
		for _, t := range pool {
			routing[t]++
		}
	}
	out := make([]TargetStatus, 0, len(g.targets))
	for _, id := range g.sortedIDsLocked() {
		t := g.targets[id]
		out = append(out, TargetStatus{
			Target: t.spec, ID: id, State: t.state, Reason: t.reason, Description: t.description,
			Since: t.since, Deregistering: t.deregistering, ReceivesNewRequests: routing[t] > 0,
			RoutingNodes: routing[t], InFlight: t.inFlight, NodeStates: nodeStates(t),
		})
	}
	return out
}

// Target returns the snapshot of one target.
func (g *TargetGroup) Target(id string) (TargetStatus, bool) {
	for _, t := range g.Targets() {
		if t.ID == id {
			return t, true
		}
	}
	return TargetStatus{}, false
}

// Settled tells whether the group's deregistrations are over as far as
// clients can tell: no deregistering target still gets new requests on any
// ALB node, and none still has requests in flight before its deregistration
// delay ends. Otherwise it says which target is not done.
func (g *TargetGroup) Settled() (bool, string) {
	for _, t := range g.Targets() {
		switch {
		case t.Deregistering && t.ReceivesNewRequests:
			return false, g.name + " " + t.ID + ": deregistered, still routed by " + strconv.Itoa(t.RoutingNodes) + " ALB node(s)"
		case t.Deregistering && t.State == StateDraining && t.InFlight > 0:
			return false, g.name + " " + t.ID + ": draining with " + strconv.Itoa(t.InFlight) + " request(s) in flight"
		}
	}
	return true, ""
}
