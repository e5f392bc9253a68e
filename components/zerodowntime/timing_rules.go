package zerodowntime

import (
	"errors"
	"fmt"
)

// The timing rules: each checks one property of the derived model (timing.go)
// and refuses a combination that reopens a failure window, naming the fields
// and the fix. Argument rules live in validate.go.

// timingRule checks one property of the derived model; in holds the inputs
// after defaults, t the derived values.
type timingRule func(in TimingArgs, t Timing) error

// timingRules is the registry of timing checks, each a small named function.
var timingRules = []timingRule{
	checkTimingInputsPositive,
	checkHealthCheckRanges,
	checkStartupCoversBoot,
	checkPreStopCoversPropagation,
	checkGraceCoversShutdown,
	checkDeregistrationDelay,
	checkSlowStart,
	checkMinReadyCoversSlowStart,
	checkIdleTimeout,
	checkKeepAlive,
	checkProgressDeadline,
}

func validateTiming(in TimingArgs, t Timing) error {
	var errs []error
	for _, rule := range timingRules {
		if err := rule(in, t); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func checkTimingInputsPositive(in TimingArgs, _ Timing) error {
	var errs []error
	for _, f := range []struct {
		name string
		v    int
	}{
		{"Timing.BootSeconds", in.BootSeconds},
		{"Timing.MaxRequestSeconds", in.MaxRequestSeconds},
		{"Timing.DeregistrationPropagationSeconds", in.DeregistrationPropagationSeconds},
		{"Timing.PreStopSeconds", in.PreStopSeconds},
		{"Timing.TerminationGracePeriodSeconds", in.TerminationGracePeriodSeconds},
		{"Timing.DeregistrationDelaySeconds", in.DeregistrationDelaySeconds},
		{"Timing.HealthCheckTimeoutSeconds", in.HealthCheckTimeoutSeconds},
		{"Timing.StartupFailureThreshold", in.StartupFailureThreshold},
		{"Timing.ProgressDeadlineSeconds", in.ProgressDeadlineSeconds},
		{"Timing.SlowStartSeconds", in.SlowStartSeconds},
		{"Timing.IdleTimeoutSeconds", in.IdleTimeoutSeconds},
		{"Timing.AppKeepAliveSeconds", in.AppKeepAliveSeconds},
		{"Timing.AppDrainSeconds", in.AppDrainSeconds},
	} {
		if f.v < 0 {
			errs = append(errs, fieldErr([]string{f.name}, "use a positive number, or 0 for the default",
				"is %d, a negative duration or count", f.v))
		}
	}
	if in.MinReadySeconds < -1 {
		errs = append(errs, fieldErr([]string{"Timing.MinReadySeconds"}, "use 0 for the default, -1 for none, or a positive number",
			"is %d", in.MinReadySeconds))
	}
	return errors.Join(errs...)
}

func checkHealthCheckRanges(_ TimingArgs, t Timing) error {
	var errs []error
	if t.HealthCheckIntervalSeconds < albMinInterval || t.HealthCheckIntervalSeconds > albMaxInterval {
		errs = append(errs, fieldErr([]string{"Timing.HealthCheckIntervalSeconds"},
			fmt.Sprintf("choose %d..%d", albMinInterval, albMaxInterval),
			"is %d s, outside the ALB's range", t.HealthCheckIntervalSeconds))
	}
	if t.HealthCheckTimeoutSeconds < albMinTimeout || t.HealthCheckTimeoutSeconds > albMaxTimeout {
		errs = append(errs, fieldErr([]string{"Timing.HealthCheckTimeoutSeconds"},
			fmt.Sprintf("choose %d..%d", albMinTimeout, albMaxTimeout),
			"is %d s, outside the ALB's range", t.HealthCheckTimeoutSeconds))
	}
	if t.HealthCheckTimeoutSeconds >= t.HealthCheckIntervalSeconds {
		errs = append(errs, fieldErr([]string{"Timing.HealthCheckTimeoutSeconds", "Timing.HealthCheckIntervalSeconds"},
			"make the timeout smaller than the interval, or drop the timeout override",
			"timeout %d s is not below interval %d s: AWS rejects the target group (\"Health check interval must be greater than the timeout\")",
			t.HealthCheckTimeoutSeconds, t.HealthCheckIntervalSeconds))
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"Timing.HealthyThreshold", t.HealthyThreshold}, {"Timing.UnhealthyThreshold", t.UnhealthyThreshold}} {
		if f.v < albMinThreshold || f.v > albMaxThreshold {
			errs = append(errs, fieldErr([]string{f.name}, fmt.Sprintf("choose %d..%d", albMinThreshold, albMaxThreshold),
				"is %d, outside the ALB's range", f.v))
		}
	}
	return errors.Join(errs...)
}

func checkStartupCoversBoot(in TimingArgs, t Timing) error {
	if t.StartupBudgetSeconds() >= in.BootSeconds {
		return nil
	}
	return fieldErr([]string{"Timing.StartupFailureThreshold", "Timing.BootSeconds"},
		fmt.Sprintf("raise Timing.StartupFailureThreshold to at least %d or drop the override", ceilDiv(in.BootSeconds, t.Startup.PeriodSeconds)),
		"the startup probe gives up after %d s but the app may need %d s to boot: the kubelet would restart it in a loop",
		t.StartupBudgetSeconds(), in.BootSeconds)
}

func checkPreStopCoversPropagation(_ TimingArgs, t Timing) error {
	need := t.RequiredPreStopSeconds(true)
	if t.PreStopSeconds >= need {
		return nil
	}
	return fieldErr([]string{"Timing.PreStopSeconds", "Timing.DeregistrationPropagationSeconds"},
		fmt.Sprintf("raise Timing.PreStopSeconds to at least %d, or drop the override", need),
		"preStop %d s ends before routing to the pod stops (%d s: kube-proxy and the ALB still send new requests): requests hit a pod that is shutting down (502/timeouts)",
		t.PreStopSeconds, need)
}

func checkGraceCoversShutdown(_ TimingArgs, t Timing) error {
	need := t.PreStopSeconds + t.DrainSeconds
	if t.TerminationGracePeriodSeconds >= need {
		return nil
	}
	return fieldErr([]string{"Timing.TerminationGracePeriodSeconds", "Timing.PreStopSeconds", "Timing.MaxRequestSeconds"},
		fmt.Sprintf("raise Timing.TerminationGracePeriodSeconds to at least %d, or drop the override", need+killMarginSeconds),
		"grace period %d s (counted from the start of preStop) is shorter than preStop %d s + drain %d s: in-flight requests are killed by SIGKILL",
		t.TerminationGracePeriodSeconds, t.PreStopSeconds, t.DrainSeconds)
}

func checkDeregistrationDelay(in TimingArgs, t Timing) error {
	if t.DeregistrationDelaySeconds > albMaxDeregistrationDelay {
		return fieldErr([]string{"Timing.DeregistrationDelaySeconds"}, fmt.Sprintf("choose 0..%d", albMaxDeregistrationDelay),
			"is %d s, above the ALB's maximum", t.DeregistrationDelaySeconds)
	}
	// The delay runs from the deregister call; the ALB may route new
	// requests to the target until the preStop ends, each up to the longest
	// request.
	if need := t.MinDeregistrationDelaySeconds(t.PreStopSeconds); t.DeregistrationDelaySeconds < need {
		return fieldErr([]string{"Timing.DeregistrationDelaySeconds", "Timing.PreStopSeconds", "Timing.MaxRequestSeconds"},
			fmt.Sprintf("raise Timing.DeregistrationDelaySeconds to at least %d, or drop the override", need),
			"the ALB cuts requests in flight on a deregistered target %d s after deregistering it, but it may route one there until the preStop ends (%d s) and it may run %d s (502)",
			t.DeregistrationDelaySeconds, t.PreStopSeconds, in.MaxRequestSeconds)
	}
	return nil
}

func checkSlowStart(in TimingArgs, _ Timing) error {
	if in.SlowStartSeconds == 0 || (in.SlowStartSeconds >= albMinSlowStart && in.SlowStartSeconds <= albMaxSlowStart) {
		return nil
	}
	return fieldErr([]string{"Timing.SlowStartSeconds"}, fmt.Sprintf("use 0 (off) or %d..%d", albMinSlowStart, albMaxSlowStart),
		"is %d s, outside the ALB's range", in.SlowStartSeconds)
}

func checkMinReadyCoversSlowStart(in TimingArgs, t Timing) error {
	if in.SlowStartSeconds == 0 || t.MinReadySeconds >= t.SlowStartSeconds {
		return nil
	}
	return fieldErr([]string{"Timing.MinReadySeconds", "Timing.SlowStartSeconds"},
		fmt.Sprintf("raise Timing.MinReadySeconds to at least %d, or drop the override", t.MinReadySecondsRequired()),
		"minReadySeconds %d s is shorter than the ALB's slow start %d s: old pods go while their replacements still get only part of the traffic, and the rest lands on fewer pods",
		t.MinReadySeconds, t.SlowStartSeconds)
}

func checkIdleTimeout(_ TimingArgs, t Timing) error {
	idle := t.IdleTimeoutSeconds
	if idle < 1 || idle > albMaxIdleTimeout {
		return fieldErr([]string{"Timing.IdleTimeoutSeconds"}, fmt.Sprintf("choose 1..%d, or 0 for the ALB default of %d", albMaxIdleTimeout, albDefaultIdleTimeout),
			"is %d s, outside the ALB's range", idle)
	}
	if t.MaxRequestSeconds > idle {
		return fieldErr([]string{"Timing.IdleTimeoutSeconds", "Timing.MaxRequestSeconds"},
			fmt.Sprintf("set Timing.IdleTimeoutSeconds to at least %d", t.MaxRequestSeconds),
			"the ALB closes a connection idle for %d s, but a request may take %d s (504)", idle, t.MaxRequestSeconds)
	}
	return nil
}

func checkKeepAlive(_ TimingArgs, t Timing) error {
	if !t.KeepAliveDeclared || t.KeepAliveSeconds >= t.MinKeepAliveSeconds() {
		return nil
	}
	return fieldErr([]string{"Timing.AppKeepAliveSeconds", "Timing.IdleTimeoutSeconds"},
		fmt.Sprintf("make the app's keep-alive timeout at least %d s (the component can pass it: set Args.KeepAliveTimeoutEnv), or lower Timing.IdleTimeoutSeconds", t.MinKeepAliveSeconds()),
		"the app closes idle connections after %d s, but the ALB keeps reusing them for %d s: a request sent on a connection the app just closed fails (502)",
		t.KeepAliveSeconds, t.IdleTimeoutSeconds)
}

func checkProgressDeadline(_ TimingArgs, t Timing) error {
	if t.ProgressDeadlineSeconds > t.BatchSeconds() {
		return nil
	}
	return fieldErr([]string{"Timing.ProgressDeadlineSeconds"},
		fmt.Sprintf("raise it above %d, or drop the override", t.BatchSeconds()),
		"%d s is shorter than one healthy rollout batch (%d s: startup budget, registration, %d ALB checks, minReadySeconds): healthy rollouts would be marked failed",
		t.ProgressDeadlineSeconds, t.BatchSeconds(), t.HealthyThreshold)
}
