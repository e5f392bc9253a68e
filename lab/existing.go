package lab

import (
	"context"
	"fmt"
	"maps"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-eks/zdt/components/zerodowntime"
	"github.com/zdt-eks/zdt/lab/scenario"
)

// The existing-platform scenario's namespace, created beforehand as a
// platform team would, with a label of the team's own that must survive.
const (
	existingNS   = "zdt-existing"
	existingHost = "existing.lab.local"
)

// existingTeamLabels are the labels the team put on its namespace.
var existingTeamLabels = map[string]string{"team": "checkout"}

// existingPlatform deploys through the program's `existing` stack (issue
// 12): a cluster a team already runs, with its controller (here the
// emulated one) and a namespace it created. The lab creates that namespace
// first, then `pulumi up` must only add the readiness-gate label and deploy
// (every pod gated), the rollout to v2 is measured under load, a preview
// shows no changes, and `pulumi destroy` must leave the namespace in place
// with the team's label and without the readiness-gate one.
func (r *runner) existingPlatform(ctx context.Context, name string) (scenario.Result, error) {
	z := *r.zda
	z.NS, z.IngressHost, z.ImageKey = existingNS, existingHost, "zdt:image"
	z.Engine.Stack = "existing"
	cs := r.env.Client
	if err := scenario.TeamNamespace(ctx, cs, existingNS, existingTeamLabels); err != nil {
		return scenario.Result{Name: name}, err
	}
	delete(r.at, existingNS)
	r.step.say("%s: namespace %s created beforehand with labels %v (no readiness-gate label)", name, existingNS, existingTeamLabels)
	res, err := r.roll(ctx, r.env, name, &z, "v1", "v2")
	if err != nil {
		return res, err
	}
	labelled := maps.Clone(existingTeamLabels)
	labelled[zerodowntime.ReadinessGateInjectLabel] = zerodowntime.ReadinessGateInjectValue
	if err := scenario.NamespaceLabelled(ctx, cs, existingNS, labelled); err != nil {
		return res, fmt.Errorf("after pulumi up: %w", err)
	}
	n, err := scenario.PodsGated(ctx, cs, existingNS)
	if err != nil {
		return res, fmt.Errorf("after pulumi up: %w", err)
	}
	r.step.say("%s: namespace labelled, team label kept, %d pods gated", name, n)
	if err := r.noChanges(ctx, name, &z, "v2"); err != nil {
		return res, err
	}
	return res, r.destroyExisting(ctx, name, &z)
}

// previewer runs `pulumi preview` of a deployed version.
type previewer interface {
	PreviewHasChanges(ctx context.Context, version string) (bool, string, error)
}

// noChanges requires a preview of the deployed version to show no changes.
func (r *runner) noChanges(ctx context.Context, name string, p previewer, version string) error {
	changes, summary, err := p.PreviewHasChanges(ctx, version)
	if err != nil {
		return err
	}
	if changes {
		return fmt.Errorf("a preview after up shows changes (%s): a perpetual diff", summary)
	}
	r.step.say("%s: preview after up: %s", name, summary)
	return nil
}

// destroyExisting destroys the stack and checks that the namespace stayed,
// with the team's label and without the readiness-gate label, and holds
// none of the app's objects; then removes the namespace, as its team
// would, so the next run starts from scratch.
func (r *runner) destroyExisting(ctx context.Context, name string, z *scenario.ZeroDowntimeApp) error {
	cs := r.env.Client
	if err := z.Destroy(ctx); err != nil {
		return err
	}
	delete(r.at, existingNS)
	if err := scenario.NamespaceLabelled(ctx, cs, existingNS, existingTeamLabels, zerodowntime.ReadinessGateInjectLabel); err != nil {
		return fmt.Errorf("after pulumi destroy: %w", err)
	}
	if err := scenario.NamespaceEmpty(ctx, cs, existingNS); err != nil {
		return fmt.Errorf("after pulumi destroy: %w", err)
	}
	r.step.say("%s: destroyed; namespace %s kept with %v, readiness-gate label removed, no app object left", name, existingNS, existingTeamLabels)
	if err := cs.CoreV1().Namespaces().Delete(ctx, existingNS, metav1.DeleteOptions{}); err != nil {
		return fmt.Errorf("removing the team's namespace after the scenario: %w", err)
	}
	return nil
}
