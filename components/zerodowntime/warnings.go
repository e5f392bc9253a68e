package zerodowntime

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// warningRule reports a setting the component cannot check because the app
// did not declare it: not an error (the app may well be right), but a window
// the user should close. Each returns "" when there is nothing to say.
type warningRule func(a Args, t Timing) string

// warningRules is the registry of warnings, each a small named function.
var warningRules = []warningRule{
	warnKeepAliveUndeclared,
	warnOneBatchBeforeEveryNodeChecked,
}

// Warnings lists what NewZeroDowntimeApp logs as warnings at preview for
// valid arguments (a and t from Validate).
func Warnings(a Args, t Timing) []string {
	var out []string
	for _, rule := range warningRules {
		if w := rule(a, t); w != "" {
			out = append(out, w)
		}
	}
	return out
}

func warnKeepAliveUndeclared(a Args, t Timing) string {
	if t.KeepAliveDeclared || a.KeepAliveTimeoutEnv != "" {
		return ""
	}
	return fmt.Sprintf("Timing.AppKeepAliveSeconds, KeepAliveTimeoutEnv: the app's keep-alive timeout is unknown; "+
		"if it is not above the ALB's idle timeout (%d s), the app closes connections the ALB reuses and those requests fail (502; "+
		"Node.js's default is 5 s); fix: set KeepAliveTimeoutEnv to a variable the app reads (it gets %ds), or declare Timing.AppKeepAliveSeconds",
		t.IdleTimeoutSeconds, t.KeepAliveSeconds)
}

// warnOneBatchBeforeEveryNodeChecked: when one rollout batch replaces every
// pod and minReadySeconds was lowered below the health-check interval, an
// ALB node may lose its last old target before its own first check of a new
// one (MinReadySecondsRequired). A warning, not an error: the failure rests
// on how AWS reports a target that some nodes have not checked yet, which
// it does not document.
func warnOneBatchBeforeEveryNodeChecked(a Args, t Timing) string {
	surge, err := resolveSurge(a.MaxSurge, a.Replicas)
	if err != nil || EveryALBNodeChecksBeforeOldPodsGo(Batches(a.Replicas, surge), t.MinReadySeconds, t.HealthCheckIntervalSeconds) {
		return ""
	}
	return fmt.Sprintf("Timing.MinReadySeconds, Replicas, MaxSurge: every rollout replaces all %d pod(s) in one batch and minReadySeconds (%d s) "+
		"is shorter than the ALB health-check interval (%d s): each ALB node checks a new pod on its own schedule, so a node may lose its last "+
		"old pod before it has found a new one healthy (502); fix: drop the Timing.MinReadySeconds override (the model sets %d s), "+
		"or roll in more than one batch (Replicas above MaxSurge)",
		a.Replicas, t.MinReadySeconds, t.HealthCheckIntervalSeconds, t.MinReadySecondsRequired())
}

// logWarnings sends Warnings to the engine, attached to the component.
func logWarnings(ctx *pulumi.Context, app *ZeroDowntimeApp, a Args, t Timing) error {
	for _, w := range Warnings(a, t) {
		if err := ctx.Log.Warn(w, &pulumi.LogArgs{Resource: app}); err != nil {
			return fmt.Errorf("logging a warning: %w", err)
		}
	}
	return nil
}
