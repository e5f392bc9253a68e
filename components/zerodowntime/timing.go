package zerodowntime

import (
	"fmt"
	"math"
)

// Constants of the platform the timing model relies on. They are facts about
// Kubernetes and AWS, not knobs: each says where it comes from.
const (
	// inClusterPropagationSeconds bounds how long after a pod is marked for
	// deletion kube-proxy on every node still sends new connections to it:
	// the EndpointSlice controller reacts within a second and kube-proxy's
	// minimum sync period is 1 s; 5 s leaves room for a loaded control plane.
	inClusterPropagationSeconds = 5

	// killMarginSeconds separates the end of the app's drain from the SIGKILL
	// that terminationGracePeriodSeconds triggers.
	killMarginSeconds = 5

	// drainMarginSeconds is added to the longest request so that a request
	// that started just before shutdown still finishes.
	drainMarginSeconds = 2

	// endpointLagSeconds bounds how long after the kubelet starts a pod's
	// preStop hook the EndpointSlice marks the endpoint terminating, which
	// is what the LBC reacts to (both follow the pod's deletion; the
	// EndpointSlice controller batches nothing by default). The ALB's
	// propagation counts from then, so it has that much less of the preStop.
	endpointLagSeconds = 1

	// registrationAllowanceSeconds covers the LBC registering a new pod IP
	// with the target group before the first ALB health check runs.
	registrationAllowanceSeconds = 30

	// startupHeadroomPercent inflates the declared worst-case boot time: a
	// node under load boots slower than the measurement a team wrote down.
	startupHeadroomPercent = 50

	// keepAliveMarginSeconds is how much longer than the ALB's idle timeout
	// the app keeps an idle connection open, so that the ALB, not the app,
	// always closes it: if the app closes a connection the ALB is about to
	// reuse, that request fails with 502 (AWS ELB user guide, "Troubleshoot
	// your Application Load Balancers", HTTP 502: "the target closed the
	// connection"; the guide's idle-timeout section advises a keep-alive
	// longer than the idle timeout).
	keepAliveMarginSeconds = 5

	// readinessPeriodSeconds and readinessFailureThreshold: a pod leaves the
	// Service and the ALB only after three consecutive failed checks, at
	// least 4 s of failing or unanswered checks, so one or two slow answers
	// (a GC pause, a busy node) do not pull it. Coming back would cost a
	// target registration, an ALB health check and a gate re-check.
	readinessPeriodSeconds    = 2
	readinessFailureThreshold = 3
)

// ALB health-check limits (Elastic Load Balancing API, CreateTargetGroup).
const (
	albMinInterval  = 5
	albMaxInterval  = 300
	albMinTimeout   = 2
	albMaxTimeout   = 120
	albMinThreshold = 2
	albMaxThreshold = 10
	// albMaxDeregistrationDelay is the largest deregistration_delay.timeout_seconds.
	albMaxDeregistrationDelay = 3600
	albMinSlowStart           = 30
	albMaxSlowStart           = 900
	// albDefaultIdleTimeout and albMaxIdleTimeout bound the load balancer
	// attribute idle_timeout.timeout_seconds (1..4000, default 60).
	albDefaultIdleTimeout = 60
	albMaxIdleTimeout     = 4000
)

// Defaults for the inputs of the timing model.
const (
	DefaultBootSeconds                = 30
	DefaultMaxRequestSeconds          = 10
	DefaultHealthCheckIntervalSeconds = 5
	DefaultHealthyThreshold           = 2
	DefaultUnhealthyThreshold         = 2
	// DefaultDeregistrationPropagationSeconds is the allowance P for the
	// LBC and the ALB to stop routing to a deregistered target. AWS
	// documents no bound; reports in the LBC's tracker (ip mode): ~10 s of
	// ELB API propagation (#1719, #2106), a 5 s preStop failing where 25 s
	// worked (#1064). 30 s covers that 25 s with 5 s to spare. Longer tails
	// are reported (#2106, instance mode: 40 s rare 502s;
	// alphagov/govuk-helm-charts #2202 moved to 60 s): raise P where your
	// own measurements say so. SafePropagationSeconds says what a given
	// setting survives; the lab's e2e measures it on both sides (scenarios
	// "ZeroDowntimeApp under-boundary" and "past-boundary", TestLabEndToEnd).
	DefaultDeregistrationPropagationSeconds = 30
)

// TimingArgs are the inputs of the timing model, in terms a team knows about
// its app and its load balancer. Zero means "use the default". The override
// fields replace a derived value; the model refuses overrides that reopen a
// failure window (see Validate).
type TimingArgs struct {
	// BootSeconds is the app's worst-case time from process start to
	// answering its startup path (Args.StartupPath) with 200. Default 30.
	BootSeconds int
	// MaxRequestSeconds is the longest a single request may take. Default 10.
	MaxRequestSeconds int
	// HealthCheckIntervalSeconds is how often the ALB checks each target,
	// i.e. how fast the ALB should notice health changes (5..300). Default 5.
	HealthCheckIntervalSeconds int
	// HealthyThreshold is the number of consecutive passing ALB checks before
	// a target is healthy (2..10). Default 2.
	HealthyThreshold int
	// UnhealthyThreshold is the number of consecutive failing ALB checks
	// before a target is unhealthy (2..10). Default 2.
	UnhealthyThreshold int
	// DeregistrationPropagationSeconds is the allowance for the LBC to react
	// to an endpoint change and for the ALB to stop sending new requests to
	// a deregistered target. AWS documents no bound; field reports range from
	// a few seconds to tens of seconds. Default 30 (see
	// DefaultDeregistrationPropagationSeconds).
	DeregistrationPropagationSeconds int
	// IdleTimeoutSeconds is the ALB's idle timeout
	// (idle_timeout.timeout_seconds, 1..4000). It must cover
	// MaxRequestSeconds. Default 60, the ALB's.
	IdleTimeoutSeconds int
	// AppKeepAliveSeconds is the app's HTTP keep-alive (idle connection)
	// timeout, when the app cannot take it from KeepAliveTimeoutEnv. It must
	// exceed IdleTimeoutSeconds. 0: not declared (then set
	// Args.KeepAliveTimeoutEnv, or the component warns).
	AppKeepAliveSeconds int
	// AppDrainSeconds is how long the app keeps serving after SIGTERM before
	// it stops accepting and waits for in-flight requests (its own drain
	// delay, if it has one). It lengthens the grace period. Default 0.
	AppDrainSeconds int

	// PreStopSeconds overrides the derived preStop sleep.
	PreStopSeconds int
	// TerminationGracePeriodSeconds overrides the derived grace period.
	TerminationGracePeriodSeconds int
	// DeregistrationDelaySeconds overrides the target group's
	// deregistration_delay.timeout_seconds.
	DeregistrationDelaySeconds int
	// HealthCheckTimeoutSeconds overrides the ALB health-check timeout.
	HealthCheckTimeoutSeconds int
	// StartupFailureThreshold overrides the startup probe's failure threshold.
	StartupFailureThreshold int
	// ProgressDeadlineSeconds overrides the Deployment's progress deadline.
	ProgressDeadlineSeconds int
	// MinReadySeconds overrides the Deployment's minReadySeconds (-1 for 0).
	MinReadySeconds int
	// SlowStartSeconds enables the target group's slow start (30..900); off
	// by default.
	SlowStartSeconds int
}

// Probe is one kubelet probe's timing.
type Probe struct {
	PeriodSeconds    int
	TimeoutSeconds   int
	FailureThreshold int
	SuccessThreshold int
}

// Timing is the derived timing model: every number the emitted objects use.
// Build it with Derive; never construct it by hand.
type Timing struct {
	// Inputs after defaults.
	BootSeconds                      int
	MaxRequestSeconds                int
	DeregistrationPropagationSeconds int
	IdleTimeoutSeconds               int
	AppDrainSeconds                  int
	// KeepAliveSeconds is the app's keep-alive timeout: AppKeepAliveSeconds
	// when declared, else the idle timeout plus a margin (what
	// Args.KeepAliveTimeoutEnv carries). KeepAliveDeclared says which.
	KeepAliveSeconds  int
	KeepAliveDeclared bool

	Startup   Probe
	Readiness Probe
	Liveness  Probe

	// ALB target-group health check.
	HealthCheckIntervalSeconds int
	HealthCheckTimeoutSeconds  int
	HealthyThreshold           int
	UnhealthyThreshold         int

	// Shutdown sequence. DrainSeconds is the app's whole time from SIGTERM
	// to exit: AppDrainSeconds, then ShutdownTimeoutSeconds waiting for
	// in-flight requests (what Args.ShutdownTimeoutEnv carries).
	PreStopSeconds                int
	DrainSeconds                  int
	ShutdownTimeoutSeconds        int
	TerminationGracePeriodSeconds int
	DeregistrationDelaySeconds    int
	SlowStartSeconds              int

	// Rollout.
	MinReadySeconds         int
	ProgressDeadlineSeconds int
	// TargetHealthySeconds is the expected time from registration to the
	// ALB reporting a new target healthy: what each rollout batch waits for.
	TargetHealthySeconds int
}

// StartupBudgetSeconds is how long the startup probe lets the app boot.
func (t Timing) StartupBudgetSeconds() int {
	return t.Startup.PeriodSeconds * t.Startup.FailureThreshold
}

// InClusterPropagationSeconds is the platform's bound on how long kube-proxy
// keeps sending new connections to a pod after it is marked for deletion.
func InClusterPropagationSeconds() int { return inClusterPropagationSeconds }

// RequiredPreStopSeconds is the shortest preStop sleep that keeps a pod
// serving until nothing routes to it: kube-proxy inside the cluster, and,
// when behindALB, the LBC and the ALB too (DeregistrationPropagationSeconds).
func (t Timing) RequiredPreStopSeconds(behindALB bool) int {
	if !behindALB {
		return inClusterPropagationSeconds
	}
	return max(inClusterPropagationSeconds, t.DeregistrationPropagationSeconds)
}

// GracePeriodFor is the terminationGracePeriodSeconds a pod with the given
// preStop sleep needs: the sleep, the app's drain, and the margin before
// SIGKILL (the grace period counts from the start of preStop).
func (t Timing) GracePeriodFor(preStopSeconds int) int {
	return preStopSeconds + t.DrainSeconds + killMarginSeconds
}

// MinDeregistrationDelaySeconds is the shortest deregistration delay that
// cuts no request for a pod with the given preStop sleep: the delay runs from
// the deregister call, the ALB may route a new request to the pod until the
// preStop ends, and that request may run for the longest request time.
func (t Timing) MinDeregistrationDelaySeconds(preStopSeconds int) int {
	return preStopSeconds + t.MaxRequestSeconds
}

// MinReadySecondsRequired is the shortest minReadySeconds that keeps old
// pods until a new one has proved itself: one full readiness failure window;
// with slow start, the whole ramp-up (the ALB sends a target in slow start
// only a growing fraction of requests; ELB user guide, "Slow start mode"),
// so an old pod never goes while its replacement cannot yet carry its share;
// and one ALB health-check interval, so every ALB node has checked the new
// pod before an old one goes. Each node checks each target on its own
// schedule and routes only to targets it found healthy (ALB user guide,
// "Health checks for Application Load Balancer target groups"), while the
// readiness gate follows the one state DescribeTargetHealth reports, which
// may turn healthy on the first node's pass (AWS documents no aggregation):
// a node's own first pass can trail the gate by up to one interval. In a
// rollout whose batch replaces every pod (replicas <= maxSurge, a single
// replica) that node has no healthy target left meanwhile (502); the lab's
// emulator shows it (lab/emulator PerNodeHealthChecks).
func (t Timing) MinReadySecondsRequired() int {
	return max(t.Readiness.PeriodSeconds*t.Readiness.FailureThreshold, t.SlowStartSeconds, t.HealthCheckIntervalSeconds)
}

// EveryALBNodeChecksBeforeOldPodsGo tells whether a rollout in the given
// number of batches, with this minReadySeconds and ALB health-check
// interval, keeps an old pod until every ALB node has checked a new one:
// always with more than one batch (each node keeps the previous batch's
// pods), else only when minReadySeconds covers one interval
// (MinReadySecondsRequired says why). The component's preview warning and
// zdt check's min-ready rule both ask it.
func EveryALBNodeChecksBeforeOldPodsGo(batches, minReadySeconds, healthCheckIntervalSeconds int) bool {
	return batches > 1 || minReadySeconds >= healthCheckIntervalSeconds
}

// MinKeepAliveSeconds is the shortest app keep-alive timeout that lets the
// ALB, not the app, close idle connections.
func (t Timing) MinKeepAliveSeconds() int {
	return t.IdleTimeoutSeconds + 1
}

// BatchSeconds is the expected worst-case time for one rollout batch: boot,
// registration, passing the ALB's healthy threshold, and minReadySeconds.
func (t Timing) BatchSeconds() int {
	return t.StartupBudgetSeconds() + registrationAllowanceSeconds + t.TargetHealthySeconds + t.MinReadySeconds
}

// Derive computes the timing model from its inputs. It applies defaults and
// overrides and then validates the result; the error names the fields at
// fault and the fix.
func Derive(in TimingArgs) (Timing, error) {
	in = withTimingDefaults(in)
	t := Timing{
		BootSeconds:                      in.BootSeconds,
		MaxRequestSeconds:                in.MaxRequestSeconds,
		DeregistrationPropagationSeconds: in.DeregistrationPropagationSeconds,
		IdleTimeoutSeconds:               in.IdleTimeoutSeconds,
		AppDrainSeconds:                  in.AppDrainSeconds,
	}

	// Keep-alive: the app must hold idle connections open longer than the
	// ALB does, so the ALB never reuses one the app has just closed.
	t.KeepAliveSeconds, t.KeepAliveDeclared = in.IdleTimeoutSeconds+keepAliveMarginSeconds, false
	if in.AppKeepAliveSeconds > 0 {
		t.KeepAliveSeconds, t.KeepAliveDeclared = in.AppKeepAliveSeconds, true
	}

	// Startup probe: a short period so a booted pod is noticed within a
	// second or two, and enough failures to cover the worst-case boot plus
	// headroom. This replaces initialDelaySeconds guessing: liveness and
	// readiness probes start only once the startup probe has passed.
	t.Startup = Probe{PeriodSeconds: startupPeriod(in.BootSeconds), TimeoutSeconds: 1, SuccessThreshold: 1}
	t.Startup.FailureThreshold = ceilDiv(in.BootSeconds*(100+startupHeadroomPercent), 100*t.Startup.PeriodSeconds)
	if in.StartupFailureThreshold > 0 {
		t.Startup.FailureThreshold = in.StartupFailureThreshold
	}

	// Readiness decides whether the Service and the ALB send traffic; the
	// app fails it on purpose while a dependency is down. Checked often, but
	// tolerant of single slow answers: its timeout is the ALB's default
	// health-check timeout on the same path, and it takes
	// readinessFailureThreshold failures in a row to pull a pod.
	t.Readiness = Probe{PeriodSeconds: readinessPeriodSeconds, TimeoutSeconds: albMinTimeout,
		FailureThreshold: readinessFailureThreshold, SuccessThreshold: 1}

	// Liveness: slow and tolerant, on its own path. A restart is the most
	// disruptive action the kubelet takes, so it needs 30 s of failures.
	t.Liveness = Probe{PeriodSeconds: 10, TimeoutSeconds: 2, FailureThreshold: 3, SuccessThreshold: 1}

	// ALB health check: the interval is the user's "how fast to notice";
	// the timeout must be below the interval (AWS rejects it otherwise) and
	// the readiness endpoint is cheap, so half the interval capped at 5 s.
	t.HealthCheckIntervalSeconds = in.HealthCheckIntervalSeconds
	t.HealthCheckTimeoutSeconds = clamp(in.HealthCheckIntervalSeconds/2, albMinTimeout, 5)
	if in.HealthCheckTimeoutSeconds > 0 {
		t.HealthCheckTimeoutSeconds = in.HealthCheckTimeoutSeconds
	}
	t.HealthyThreshold = in.HealthyThreshold
	t.UnhealthyThreshold = in.UnhealthyThreshold
	t.TargetHealthySeconds = t.HealthCheckIntervalSeconds * t.HealthyThreshold

	// preStop: the pod must keep accepting new requests until nothing routes
	// to it any more, inside the cluster (kube-proxy) and outside (the LBC
	// deregistering the target and the ALB applying it).
	t.PreStopSeconds = t.RequiredPreStopSeconds(true)
	if in.PreStopSeconds > 0 {
		t.PreStopSeconds = in.PreStopSeconds
	}

	// Drain: after SIGTERM the app runs its own drain delay, then finishes
	// in-flight requests; the longest one may have started just before.
	t.ShutdownTimeoutSeconds = in.MaxRequestSeconds + drainMarginSeconds
	t.DrainSeconds = in.AppDrainSeconds + t.ShutdownTimeoutSeconds

	// Grace period counts from the start of preStop, so it must hold the
	// sleep, the drain, and a margin before SIGKILL.
	t.TerminationGracePeriodSeconds = t.GracePeriodFor(t.PreStopSeconds)
	if in.TerminationGracePeriodSeconds > 0 {
		t.TerminationGracePeriodSeconds = in.TerminationGracePeriodSeconds
	}

	// Deregistration delay: at least MinDeregistrationDelaySeconds (a
	// shorter one cuts a request routed late, 502) plus a margin; the AWS
	// default of 300 s only slows every rollout down.
	t.DeregistrationDelaySeconds = t.MinDeregistrationDelaySeconds(t.PreStopSeconds) + drainMarginSeconds
	if in.DeregistrationDelaySeconds > 0 {
		t.DeregistrationDelaySeconds = in.DeregistrationDelaySeconds
	}
	t.SlowStartSeconds = in.SlowStartSeconds

	// minReadySeconds: a new pod must stay Ready for one full readiness
	// failure window before it counts as available and an old pod goes, and,
	// with slow start, until the ALB sends it its full share.
	t.MinReadySeconds = t.MinReadySecondsRequired()
	switch {
	case in.MinReadySeconds < 0:
		t.MinReadySeconds = 0
	case in.MinReadySeconds > 0:
		t.MinReadySeconds = in.MinReadySeconds
	}

	// Progress deadline: twice a worst-case batch, so a healthy but slow
	// rollout is never declared failed, while a broken one is within minutes.
	t.ProgressDeadlineSeconds = max(120, 2*t.BatchSeconds())
	if in.ProgressDeadlineSeconds > 0 {
		t.ProgressDeadlineSeconds = in.ProgressDeadlineSeconds
	}

	if err := validateTiming(in, t); err != nil {
		return Timing{}, err
	}
	return t, nil
}

// withTimingDefaults fills zero inputs with their defaults.
func withTimingDefaults(in TimingArgs) TimingArgs {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&in.BootSeconds, DefaultBootSeconds)
	def(&in.MaxRequestSeconds, DefaultMaxRequestSeconds)
	def(&in.HealthCheckIntervalSeconds, DefaultHealthCheckIntervalSeconds)
	def(&in.HealthyThreshold, DefaultHealthyThreshold)
	def(&in.UnhealthyThreshold, DefaultUnhealthyThreshold)
	def(&in.DeregistrationPropagationSeconds, DefaultDeregistrationPropagationSeconds)
	def(&in.IdleTimeoutSeconds, albDefaultIdleTimeout)
	return in
}

// startupPeriod keeps the startup probe's period short for fast-booting apps
// (a booted pod is noticed within a second) and the probe count bounded for
// slow ones.
func startupPeriod(bootSeconds int) int {
	switch {
	case bootSeconds <= 30:
		return 1
	case bootSeconds <= 120:
		return 2
	default:
		return 5
	}
}

// SafePropagationSeconds is the failure boundary the model predicts: the
// largest time the ALB may keep routing NEW requests to a deregistered target
// (counted from the LBC's deregister call) for which no request fails, when
// in-flight requests last up to requestSeconds. Past it, requests fail on the
// external path:
//   - routing must stop before the pod stops accepting, or requests reach a
//     pod that refuses them (502) or is gone (timeouts). It accepts through
//     the preStop and then through the app's own drain (AppDrainSeconds:
//     readiness failing, still serving), counted from the kubelet's start,
//     which trails the deregister call by up to the EndpointSlice lag
//     (endpointLagSeconds): P <= preStop + app drain - lag;
//   - a request routed at P must finish before the deregistration delay
//     (counted from the same call) ends, or the ALB cuts it (502):
//     P <= deregistration delay - requestSeconds.
//
// In-cluster propagation (kube-proxy) is bounded separately by
// inClusterPropagationSeconds, which every valid preStop covers.
func (t Timing) SafePropagationSeconds(requestSeconds int) int {
	return min(t.PreStopSeconds+t.AppDrainSeconds-endpointLagSeconds, t.DeregistrationDelaySeconds-requestSeconds)
}

// BoundaryFailureClasses are the failures past SafePropagationSeconds, on
// the external path, as the rollout verifier names them: 502 (the stopping
// pod refuses or closes connections, or the ALB cuts a request when the
// deregistration delay ends), and 504 or a client timeout once the pod is
// gone (the ALB's connection attempt hangs). The in-cluster path is not
// affected by the ALB's propagation.
var BoundaryFailureClasses = []string{"502", "504", "timeout"}

// Batches is the number of rollout batches for the given replica count and
// resolved maxSurge.
func Batches(replicas, surge int) int {
	if surge < 1 {
		surge = 1
	}
	return max(1, ceilDiv(replicas, surge))
}

func ceilDiv(a, b int) int {
	if b <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

func clamp(v, lo, hi int) int {
	return min(max(v, lo), hi)
}

// String renders the model as "name=value" pairs for logs and errors.
func (t Timing) String() string {
	return fmt.Sprintf("startup=%dx%ds readiness=%ds liveness=%ds preStop=%ds drain=%ds grace=%ds "+
		"albInterval=%ds albTimeout=%ds healthy=%d unhealthy=%d deregDelay=%ds minReady=%ds progressDeadline=%ds",
		t.Startup.FailureThreshold, t.Startup.PeriodSeconds, t.Readiness.PeriodSeconds, t.Liveness.PeriodSeconds,
		t.PreStopSeconds, t.DrainSeconds, t.TerminationGracePeriodSeconds,
		t.HealthCheckIntervalSeconds, t.HealthCheckTimeoutSeconds, t.HealthyThreshold, t.UnhealthyThreshold,
		t.DeregistrationDelaySeconds, t.MinReadySeconds, t.ProgressDeadlineSeconds)
}

// BatchFloorInputs are what one rollout batch waits for, as they are where
// the app runs: measured or configured values, not the model's worst-case
// budgets (the startup budget and the registration allowance size
// BatchSeconds, the progress deadline and the await timeout instead).
type BatchFloorInputs struct {
	// BootSeconds is the app's actual boot: process start to answering its
	// readiness path (10 s for the lab's demo app), not the startup
	// probe's budget.
	BootSeconds float64 `json:"bootSeconds"`
	// ReadinessProbed tells whether the pod's readiness waits for the boot
	// (a readiness or startup probe); without a probe a pod's containers
	// are ready when its process starts.
	ReadinessProbed bool `json:"readinessProbed"`
	// Gated tells whether the pods carry the LBC's readiness gate: then a
	// pod is Ready only once the LBC has seen its target healthy.
	Gated bool `json:"gated"`
	// RegistrationSeconds runs from the LBC registering a target (as soon as
	// the pod's containers are ready) to the ALB's first health check of it
	// (the emulator's RegistrationDelay). The check's phase within the
	// interval adds up to one more interval; the floor counts none.
	RegistrationSeconds float64 `json:"registrationSeconds"`
	// ChecksToHealthy is how many passing checks a new target needs (1 on
	// AWS: ALB user guide, "a registered target must pass one health check
	// to be considered healthy"), HealthCheckIntervalSeconds apart.
	ChecksToHealthy            int     `json:"checksToHealthy"`
	HealthCheckIntervalSeconds float64 `json:"healthCheckIntervalSeconds"`
	// GateRecheckSeconds is how often the LBC re-reads target health while
	// a new pod's gate is pending (--targetgroupbinding-requeue-duration,
	// 15 s by default). The re-checks start when the LBC first sees the
	// pod's endpoint, not yet ready (its creation, at the floor), not at
	// the registration. 0 when the gate follows the target at once.
	GateRecheckSeconds float64 `json:"gateRecheckSeconds"`
	// MinReadySeconds is the Deployment's minReadySeconds.
	MinReadySeconds float64 `json:"minReadySeconds"`
}

// FirstHealthySeconds is the least time from a pod's creation to its
// target passing the checks it needs: the boot (a target is registered
// once the containers are ready, and cannot pass before the app answers),
// the registration delay, then ChecksToHealthy-1 more intervals (a check
// phase of 0).
func (in BatchFloorInputs) FirstHealthySeconds() float64 {
	registered := 0.0
	if in.ReadinessProbed {
		registered = in.BootSeconds
	}
	more := float64(max(in.ChecksToHealthy, 1)-1) * in.HealthCheckIntervalSeconds
	return max(registered+in.RegistrationSeconds+more, in.BootSeconds)
}

// GateTrueFloorSeconds is the least time from a pod's creation to its
// readiness gate going True: the LBC's first re-check at or after the
// first passing check (FirstHealthySeconds). Its re-checks run every
// GateRecheckSeconds from the pod's creation, so a target that turns
// healthy just after one waits for the next. 0 without a gate. A reconcile
// that another event triggers (an EndpointSlice or pod change in the
// namespace) can see the target sooner, down to FirstHealthySeconds.
func (in BatchFloorInputs) GateTrueFloorSeconds() float64 {
	if !in.Gated {
		return 0
	}
	healthy := in.FirstHealthySeconds()
	if in.GateRecheckSeconds <= 0 {
		return healthy
	}
	return max(1, math.Ceil(healthy/in.GateRecheckSeconds)) * in.GateRecheckSeconds
}

// BatchFloorSeconds is the least time one rollout batch takes, from its
// pods' creation to their being available: Ready (the boot, when readiness
// waits for it, and the gate: GateTrueFloorSeconds), then minReadySeconds.
// The next batch starts when a pod of this one is available. Measured
// times above it are the probes' periods, the check's phase (a missed
// re-check costs a whole GateRecheckSeconds), the kubelet's and the
// controllers' reaction times, and the deploy tool's own.
func (in BatchFloorInputs) BatchFloorSeconds() float64 {
	ready := 0.0
	if in.ReadinessProbed {
		ready = in.BootSeconds
	}
	return max(ready, in.GateTrueFloorSeconds()) + in.MinReadySeconds
}

// RolloutFloorSeconds is the least time a rolling update of replicas takes
// with the resolved maxSurge and maxUnavailable (pods): RolloutBatches
// batches, one after the other, each taking BatchFloorSeconds.
func (in BatchFloorInputs) RolloutFloorSeconds(replicas, surge, unavailable int) float64 {
	return float64(RolloutBatches(replicas, surge, unavailable)) * in.BatchFloorSeconds()
}

// RolloutBatches is the number of batches of a rolling update: the
// Deployment controller creates up to surge new pods and removes up to
// unavailable old ones, then creates that many more, so each batch
// replaces surge+unavailable pods.
func RolloutBatches(replicas, surge, unavailable int) int {
	return Batches(replicas, surge+max(unavailable, 0))
}
