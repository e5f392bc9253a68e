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

	// DeregistrationPropagationDelay is the time from an endpoint leaving the
	// EndpointSlice (or turning terminating) to the ALB no longer sending it
	// NEW requests: LBC reaction plus ELB API propagation. Default 10 s:
	// alb-behaviour.md "Timings with no SLA": "one user comment says ~10 s ELB
	// API propagation" (preStop sleeps of 25-70 s are reported as needed).
	DeregistrationPropagationDelay time.Duration

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

	// InitialHealthyAfterOneCheck makes a target in state initial healthy after
	// ONE passed check instead of HealthyThreshold passes. UNCONFIRMED
	// (alb-behaviour.md "Target states": the docs say "must pass one health
	// check", the healthy threshold is worded for unhealthy targets). Default
	// false: the healthy threshold applies, the slower, conservative reading.
	InitialHealthyAfterOneCheck bool

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

	// WebhookFailurePolicy is the pod mutating webhook's failurePolicy.
	// Default Fail: the LBC chart defaults to Ignore since v2.12 but upstream
	// recommends Fail (zero-downtime-facts.md "Webhooks"): with Ignore a pod
	// created while the controller is down silently gets no readiness gate.
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
		RegistrationDelay:              3 * time.Second,
		DeregistrationPropagationDelay: 10 * time.Second,
		DefaultDeregistrationDelay:     lbc.DefaultDeregistrationDelaySeconds * time.Second,
		RequeueDuration:                15 * time.Second,
		NoUsableTargetStatus:           http.StatusBadGateway,
		ConnectTimeout:                 10 * time.Second,
		DefaultIdleTimeout:             60 * time.Second,
		WebhookFailurePolicy:           admissionregistrationv1.Fail,
		HostnameDomain:                 "lab.local",
		TickInterval:                   100 * time.Millisecond,
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
		{"DeregistrationPropagationDelay", s.DeregistrationPropagationDelay},
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
