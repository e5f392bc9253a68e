package emulator

import (
	"context"
	"errors"
	"fmt"
	"sync"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
)

// An LBC outage: the controller's pod dies and comes back while the ALB,
// an AWS service, goes on. What stops is what runs in the LBC's pod: the
// reconciles (no target registered or deregistered, no readiness gate or
// Ingress status written) and the pod mutating webhook (its port closes; the
// MutatingWebhookConfiguration stays, so the apiserver applies its
// failurePolicy to every pod CREATE it matches). What goes on is the ALB's:
// the data plane routes to the targets registered before, health checks run,
// deregistrations already under way propagate and drain.

// ErrNotRunning is returned when the LBC is stopped or started before Run
// has made the emulator ready.
var ErrNotRunning = errors.New("the emulator is not running (call Run and wait for Ready)")

// StopLBC takes the emulated LBC down as if its pod had died: the
// controller stops reconciling (a reconcile under way finishes) and the
// webhook stops answering. The data plane and the health checks go on.
// Stopping a stopped LBC does nothing.
func (e *Emulator) StopLBC(ctx context.Context) error {
	if !e.isReady() {
		return ErrNotRunning
	}
	e.controller.pause()
	if err := e.webhook.shutdown(ctx); err != nil {
		return fmt.Errorf("stop the LBC: %w", err)
	}
	e.log.Info("LBC stopped: no reconcile, webhook down; the ALB keeps serving")
	return nil
}

// StartLBC brings the emulated LBC back: the webhook serves again on the
// same address (the configuration's URL stays right), and the controller
// reconciles every Ingress and target group afresh, as a restarted LBC
// does. Starting a running LBC does nothing.
func (e *Emulator) StartLBC() error {
	if !e.isReady() {
		return ErrNotRunning
	}
	if err := e.webhook.serve(nil); err != nil {
		return fmt.Errorf("start the LBC: %w", err)
	}
	e.controller.resume()
	e.log.Info("LBC started: webhook up, every Ingress and target group requeued")
	return nil
}

// LBCRunning tells whether the emulated LBC reconciles and its webhook
// answers.
func (e *Emulator) LBCRunning() bool {
	return e.isReady() && !e.controller.paused() && e.webhook.serving()
}

func (e *Emulator) isReady() bool {
	select {
	case <-e.ready:
		return true
	default:
		return false
	}
}

// WebhookFailurePolicy is the pod webhook's failurePolicy the emulator
// registers (Settings.WebhookFailurePolicy unless changed).
func (e *Emulator) WebhookFailurePolicy() admissionregistrationv1.FailurePolicyType {
	e.policyMu.Lock()
	defer e.policyMu.Unlock()
	return e.settings.WebhookFailurePolicy
}

// SetWebhookFailurePolicy changes the pod webhook's failurePolicy and
// updates the MutatingWebhookConfiguration with it (the LBC chart's
// podMutatorWebhookConfig.failurePolicy; see Settings.WebhookFailurePolicy).
func (e *Emulator) SetWebhookFailurePolicy(ctx context.Context, p admissionregistrationv1.FailurePolicyType) error {
	if p != admissionregistrationv1.Fail && p != admissionregistrationv1.Ignore {
		return fmt.Errorf("webhook failurePolicy must be Fail or Ignore, got %q", p)
	}
	e.policyMu.Lock()
	e.settings.WebhookFailurePolicy = p
	e.policyMu.Unlock()
	if err := e.EnsureWebhookConfiguration(ctx); err != nil {
		return fmt.Errorf("set the webhook failurePolicy to %s: %w", p, err)
	}
	return nil
}

// runGate holds the controller's workers while the LBC is stopped.
type runGate struct {
	mu      sync.Mutex
	resumed chan struct{} // nil while running; closed by resume
}

// pause makes wait block; it reports whether the gate was open.
func (g *runGate) pause() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.resumed != nil {
		return false
	}
	g.resumed = make(chan struct{})
	return true
}

// resume releases the waiters; it reports whether the gate was closed.
func (g *runGate) resume() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.resumed == nil {
		return false
	}
	close(g.resumed)
	g.resumed = nil
	return true
}

// closed tells whether the gate holds the workers.
func (g *runGate) closed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.resumed != nil
}

// wait returns at once while the gate is open, else when it opens or ctx
// ends (then with ctx's cause).
func (g *runGate) wait(ctx context.Context) error {
	g.mu.Lock()
	ch := g.resumed
	g.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// pause stops the controller's workers from reconciling: keys queued
// meanwhile wait for resume.
func (c *Controller) pause() { c.gate.pause() }

// paused tells whether the controller's workers are held.
func (c *Controller) paused() bool { return c.gate.closed() }

// resume lets the workers reconcile again and queues the model and every
// target group, as a restarted LBC reconciles everything it manages.
func (c *Controller) resume() {
	if !c.gate.resume() {
		return
	}
	c.queue.Add(modelKey)
	c.enqueueGroups(func(*managedGroup) bool { return true })
}
