package emulator

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/zdt-eks/zdt/internal/lbc"
)

// Settings are the emulated delays and the behaviours that have no documented
// answer. Start from DefaultSettings and change what a scenario needs; every
// default below cites its source (alb-behaviour.md is the project's summary of
// the ALB user guide and the LBC v3.5.0 sources).
type Settings struct {
	// RegistrationDelay is the time from the emulated LBC deciding to register
	// an endpoint to the ALB starting health checks on it (LBC reconcile +
	// RegisterTargets + ALB provisioning). Default 3 s: alb-behaviour.md
	// "Timings with no SLA": "ALB reported fast once the pod is ready"; NLB
	// reports of tens of seconds are not ALB numbers.
	RegistrationDelay time.Duration

	// DeregistrationPropagation is the distribution of the time from the
	// emulated LBC's deregister call to an ALB node no longer sending the
	// target NEW requests; each of the ALBNodes draws its own delay for each
	// deregistration, so routing stops gradually (alb-behaviour.md, second
	// review: "each ALB node learns of changes on its own"). AWS documents no
	// bound. Default triangular 5 s / 10 s / 25 s: typical ~10 s of "ELB API
	// propagation" (quoted in LBC #1719 and #2106); the tail from LBC #1064
	// (ip mode: a 5 s preStop failed, 25 s worked). Heavier tails are
	// reported (#2106 instance mode 40 s rare 502s; #3270 ~2 min): they are
	// not the default; the lab's past-boundary scenarios show what a longer
	// propagation does (a sweep over it is still open work, issue 10).
	DeregistrationPropagation Propagation

	// ALBNodes is the number of load balancer nodes; each request goes to a
	// random one (DNS round robin over the nodes' addresses). Default 3: an
	// ALB has at least one node per enabled Availability Zone (ALB user
	// guide, "Availability Zones and load balancer nodes"), and the stacks
	// here span 3 AZs in prod.
	ALBNodes int

	// CheckPhaseJitter starts a new target's first health check at a random
	// point within one interval after RegistrationDelay: the ALB's checks run
	// on their own schedule, not when the target registers. Default true.
	CheckPhaseJitter bool

	// PerNodeHealthChecks makes each of the ALBNodes check each target on
	// its own schedule (its own phase within the interval, its own counters)
	// and route by its own view: a node sends requests only to the targets
	// it found healthy. Default true: ALB user guide, "Health checks for
	// Application Load Balancer target groups" ("Each load balancer node
	// checks the health of each target"; "Each load balancer node routes
	// requests only to the healthy targets"). False shares one view.
	PerNodeHealthChecks bool

	// HealthAggregation is how the state the ELB API reports (and the LBC
	// turns into the readiness gate) follows the nodes' views. UNCONFIRMED:
	// AWS documents no aggregation. Default AggregateAny (healthy once one
	// node finds it so), the reading least favourable to a rollout: the gate
	// may turn True while another node has not checked the target yet.
	HealthAggregation HealthAggregation

	// Seed seeds the emulator's random draws (propagation, node choice,
	// check phase); 0 seeds from the clock.
	Seed uint64

	// DefaultDeregistrationDelay is the target group's
	// deregistration_delay.timeout_seconds when the Ingress does not set it.
	// Default 300 s: ALB user guide, "Target groups for your Application Load
	// Balancers", section "Deregistration delay" (range 0-3600 s).
	DefaultDeregistrationDelay time.Duration

	// RequeueDuration is how often the emulated LBC re-reads target health to
	// update pending readiness gates. Default 15 s: LBC
	// --targetgroupbinding-requeue-duration (pkg/targetgroupbinding
	// resource_manager.go defaultRequeueDuration).
	RequeueDuration time.Duration

	// GateRecheckOnTargetChange also re-checks readiness gates as soon as a
	// target changes state. The real LBC does not: it polls target health every
	// RequeueDuration (alb-behaviour.md "The LBC in IP mode"), so the default
	// false keeps that lag.
	GateRecheckOnTargetChange bool

	// ReconcileOnPodEvents reconciles a target group as soon as a pod it
	// selects, or a pod carrying its gate, changes (a container turning
	// ready, a gate patched), besides the EndpointSlice, Service and
	// RequeueDuration triggers. Default true: LBC v3.4.0 added the pod event
	// handler (controllers/elbv2/eventhandlers/pod.go, commit "Watch pod
	// events for updating targetgroupbindings"); v3.5.0 has it. False is the
	// LBC v2.x mode (and v3.0-v3.3): pending gates are only re-checked by
	// the requeue and by EndpointSlice or Service changes (zdt-lab --lbc v2).
	ReconcileOnPodEvents bool

	// InitialHealthyAfterOneCheck makes a target in state initial healthy after
	// ONE passed check instead of HealthyThreshold passes. Default true: ALB
	// user guide, "Health checks for Application Load Balancer target
	// groups" ("a registered target must pass one health check to be
	// considered healthy") and its troubleshooting guide ("not in service
	// until it passes one health check"); the healthy threshold counts from
	// unhealthy to healthy. False keeps the slower reading as a setting.
	InitialHealthyAfterOneCheck bool

	// GateFollowsHealth lets a readiness gate that went True flip back to
	// False when its target turns unhealthy. Default false: the LBC v3.5.0
	// caches healthy targets and skips reconciles while every gate is True,
	// so in practice a True gate stays True (alb-behaviour.md, second review).
	GateFollowsHealth bool

	// InitialTargetsInFailOpen makes targets in state initial receive requests
	// together with unhealthy ones when no target is healthy and at least one
	// is unhealthy (fail-open). UNCONFIRMED (alb-behaviour.md "Target states":
	// "reports both ways"). Default false.
	InitialTargetsInFailOpen bool

	// NoUsableTargetStatus is the status the data plane returns when targets
	// are registered but none can take a request (only initial ones, the
	// outage the LBC's pod-conditions.md describes). UNCONFIRMED; default 502:
	// alb-behaviour.md "Status codes" ("502 reported").
	NoUsableTargetStatus int

	// ConnectTimeout bounds the data plane's connection to a target; when it
	// elapses the client gets 504. Default 10 s: ALB user guide,
	// "Troubleshoot your Application Load Balancers", "HTTP 504: Gateway
	// timeout" ("the load balancer failed to establish a connection to the
	// target before the connection timeout expired (10 seconds)").
	ConnectTimeout time.Duration

	// DefaultIdleTimeout is the load balancer's idle_timeout.timeout_seconds
	// when the Ingress does not set it. Default 60 s: ALB user guide,
	// "Application Load Balancers", "Connection idle timeout" (range 1-4000 s).
	DefaultIdleTimeout time.Duration

	// DisableTargetKeepAlive makes the data plane open a new connection to a
	// target for every request. The ALB keeps connections to targets open, so
	// the default false reuses them.
	DisableTargetKeepAlive bool

	// WebhookFailurePolicy is the pod mutating webhook's failurePolicy
	// (the LBC chart's podMutatorWebhookConfig.failurePolicy, changeable at
	// run time with Emulator.SetWebhookFailurePolicy). Default Fail: the
	// chart defaults to Ignore since v2.12.0 (LBC #4062 and #4063; its
	// docs/deploy/pod_readiness_gate.md, "FailurePolicy": Ignore "for
	// versions > v2.11.0", Fail before), but the same page recommends Fail:
	// with Ignore a pod created while the controller is down gets no
	// readiness gate, and "Kubernetes may terminate application pods before
	// the new pods have become healthy in the TargetGroups".
	WebhookFailurePolicy admissionregistrationv1.FailurePolicyType

	// SkipIngressFinalizer stops the emulator from adding the LBC's finalizer
	// ingress.k8s.aws/resources to the Ingresses it manages. Default false:
	// the LBC adds it (zero-downtime-facts.md "Destroy"), so deleting an
	// Ingress waits for the controller, as on EKS.
	SkipIngressFinalizer bool

	// HostnameDomain is the DNS suffix of the hostname written to the Ingress
	// status (an ALB's is <name>-<id>.<region>.elb.amazonaws.com). Default
	// "lab.local"; nothing resolves it: send requests to the data plane with
	// this Host header or the Ingress rule's host.
	HostnameDomain string

	// TickInterval is the resolution of the emulator's timers in Run (how
	// often target groups advance). Not an AWS number. Default 100 ms.
	TickInterval time.Duration
}

// DefaultSettings returns the defaults documented on each Settings field.
func DefaultSettings() Settings {
	return Settings{
		RegistrationDelay:           3 * time.Second,
		DeregistrationPropagation:   Propagation{Min: 5 * time.Second, Mode: 10 * time.Second, Max: 25 * time.Second},
		ALBNodes:                    3,
		CheckPhaseJitter:            true,
		PerNodeHealthChecks:         true,
		HealthAggregation:           AggregateAny,
		InitialHealthyAfterOneCheck: true,
		DefaultDeregistrationDelay:  lbc.DefaultDeregistrationDelaySeconds * time.Second,
		RequeueDuration:             15 * time.Second,
		ReconcileOnPodEvents:        true,
		NoUsableTargetStatus:        http.StatusBadGateway,
		ConnectTimeout:              10 * time.Second,
		DefaultIdleTimeout:          60 * time.Second,
		WebhookFailurePolicy:        admissionregistrationv1.Fail,
		HostnameDomain:              "lab.local",
		TickInterval:                100 * time.Millisecond,
	}
}

// Validate reports every setting that cannot work.
func (s Settings) Validate() error {
	var errs []error
	type named struct {
		name string
		d    time.Duration
	}
	for _, n := range []named{
		{"RegistrationDelay", s.RegistrationDelay},
		{"DefaultDeregistrationDelay", s.DefaultDeregistrationDelay},
	} {
		if n.d < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative, got %s", n.name, n.d))
		}
	}
	for _, n := range []named{
		{"RequeueDuration", s.RequeueDuration},
		{"ConnectTimeout", s.ConnectTimeout},
		{"DefaultIdleTimeout", s.DefaultIdleTimeout},
		{"TickInterval", s.TickInterval},
	} {
		if n.d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %s", n.name, n.d))
		}
	}
	if err := s.DeregistrationPropagation.validate(); err != nil {
		errs = append(errs, fmt.Errorf("DeregistrationPropagation: %w", err))
	}
	if s.ALBNodes < 1 {
		errs = append(errs, fmt.Errorf("ALBNodes must be at least 1, got %d", s.ALBNodes))
	}
	if err := s.HealthAggregation.validate(); err != nil {
		errs = append(errs, fmt.Errorf("HealthAggregation: %w", err))
	}
	if s.NoUsableTargetStatus < 500 || s.NoUsableTargetStatus > 599 {
		errs = append(errs, fmt.Errorf("NoUsableTargetStatus must be a 5xx status, got %d", s.NoUsableTargetStatus))
	}
	switch s.WebhookFailurePolicy {
	case admissionregistrationv1.Fail, admissionregistrationv1.Ignore:
	default:
		errs = append(errs, fmt.Errorf("WebhookFailurePolicy must be Fail or Ignore, got %q", s.WebhookFailurePolicy))
	}
	if s.HostnameDomain == "" {
		errs = append(errs, errors.New("HostnameDomain must not be empty"))
	}
	return errors.Join(errs...)
}
