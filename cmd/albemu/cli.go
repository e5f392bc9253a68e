package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/zdt-eks/zdt/lab/emulator"
)

// options are the parsed command line.
type options struct {
	kubeconfig           string
	logLevel             slog.Level
	installWebhook       bool
	deleteWebhookOnExit  bool
	webhookConfiguration string
	cfg                  emulator.Config
	settings             emulator.Settings
}

// parseFlags parses args into options; defaults come from the emulator package.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := options{settings: emulator.DefaultSettings()}
	s := &o.settings
	fs := flag.NewFlagSet("albemu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the cluster (required)")
	fs.StringVar(&o.cfg.DataPlaneListen, "listen", emulator.DefaultDataPlaneListen, "data plane (ALB listener) address")
	fs.StringVar(&o.cfg.WebhookListen, "webhook-listen", emulator.DefaultWebhookListen, "admission webhook (HTTPS) address")
	fs.StringVar(&o.cfg.DebugListen, "debug-listen", emulator.DefaultDebugListen, "debug server address ("+emulator.DebugPathTargets+", /healthz)")
	fs.StringVar(&o.webhookConfiguration, "webhook-configuration", emulator.DefaultWebhookConfigurationName, "name of the MutatingWebhookConfiguration")
	fs.BoolVar(&o.installWebhook, "install-webhook", true, "create or update the MutatingWebhookConfiguration at start")
	fs.BoolVar(&o.deleteWebhookOnExit, "delete-webhook-on-exit", false, "delete the MutatingWebhookConfiguration on exit")
	failurePolicy := fs.String("webhook-failure-policy", string(s.WebhookFailurePolicy), "webhook failurePolicy: Fail or Ignore")
	fs.DurationVar(&s.RegistrationDelay, "registration-delay", s.RegistrationDelay, "endpoint seen -> health checks start")
	fs.Var(&s.DeregistrationPropagation, "deregistration-propagation", "deregister call -> an ALB node sends no new requests: a duration, or min,mode,max (triangular, drawn per node)")
	fs.IntVar(&s.ALBNodes, "alb-nodes", s.ALBNodes, "ALB nodes, each learning of deregistrations on its own")
	fs.BoolVar(&s.PerNodeHealthChecks, "per-node-health-checks", s.PerNodeHealthChecks, "each ALB node checks each target on its own schedule and routes by its own view")
	healthAggregation := fs.String("health-aggregation", string(s.HealthAggregation), "how the reported target state (the readiness gate) follows the nodes' views: any or all (UNCONFIRMED)")
	fs.BoolVar(&s.CheckPhaseJitter, "check-phase-jitter", s.CheckPhaseJitter, "a new target's first check at a random point of the interval")
	fs.BoolVar(&s.GateFollowsHealth, "gate-follows-health", s.GateFollowsHealth, "a True readiness gate flips back when the target turns unhealthy")
	fs.Uint64Var(&s.Seed, "seed", s.Seed, "seed of the random draws (0: from the clock)")
	fs.DurationVar(&s.DefaultDeregistrationDelay, "default-deregistration-delay", s.DefaultDeregistrationDelay, "deregistration_delay.timeout_seconds when the Ingress sets none")
	fs.DurationVar(&s.RequeueDuration, "requeue-duration", s.RequeueDuration, "readiness gate re-check period (--targetgroupbinding-requeue-duration)")
	fs.BoolVar(&s.ReconcileOnPodEvents, "reconcile-on-pod-events", s.ReconcileOnPodEvents, "reconcile a target group when one of its pods changes (LBC v3.4.0+; false: the v2.x behaviour)")
	fs.BoolVar(&s.GateRecheckOnTargetChange, "gate-recheck-on-target-change", s.GateRecheckOnTargetChange, "also re-check gates as soon as a target changes state")
	fs.BoolVar(&s.InitialHealthyAfterOneCheck, "initial-healthy-after-one-check", s.InitialHealthyAfterOneCheck, "a new target is healthy after one passed check (UNCONFIRMED)")
	fs.BoolVar(&s.InitialTargetsInFailOpen, "initial-targets-in-fail-open", s.InitialTargetsInFailOpen, "initial targets get requests in fail-open (UNCONFIRMED)")
	fs.IntVar(&s.NoUsableTargetStatus, "no-usable-target-status", s.NoUsableTargetStatus, "status when only initial targets are registered (UNCONFIRMED)")
	fs.DurationVar(&s.ConnectTimeout, "connect-timeout", s.ConnectTimeout, "connection timeout to a target (504 after)")
	fs.DurationVar(&s.DefaultIdleTimeout, "idle-timeout", s.DefaultIdleTimeout, "idle timeout when the Ingress sets none (504 after)")
	fs.BoolVar(&s.DisableTargetKeepAlive, "disable-target-keep-alive", s.DisableTargetKeepAlive, "one connection per request to targets")
	fs.BoolVar(&s.SkipIngressFinalizer, "skip-ingress-finalizer", s.SkipIngressFinalizer, "do not add the "+emulator.IngressFinalizer+" finalizer")
	fs.StringVar(&s.HostnameDomain, "hostname-domain", s.HostnameDomain, "DNS suffix of the Ingress status hostname")
	fs.DurationVar(&s.TickInterval, "tick", s.TickInterval, "timer resolution of the target groups")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if o.kubeconfig == "" {
		return o, errors.New("--kubeconfig is required")
	}
	if err := o.logLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return o, fmt.Errorf("--log-level: %w", err)
	}
	s.WebhookFailurePolicy = admissionregistrationv1.FailurePolicyType(*failurePolicy)
	s.HealthAggregation = emulator.HealthAggregation(*healthAggregation)
	o.cfg.WebhookConfigurationName = o.webhookConfiguration
	if err := s.Validate(); err != nil {
		return o, err
	}
	return o, nil
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		_, _ = fmt.Fprintln(stderr, "albemu:", err)
		return 2
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: o.logLevel}))
	if err := serve(ctx, o, log); err != nil {
		log.Error("albemu failed", "error", err.Error())
		return 1
	}
	return 0
}

func serve(ctx context.Context, o options, log *slog.Logger) error {
	restCfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return fmt.Errorf("load kubeconfig %s: %w", o.kubeconfig, err)
	}
	restCfg.UserAgent = "albemu"
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return fmt.Errorf("build client: %w", err)
	}
	o.cfg.Client, o.cfg.Logger = client, log
	emu, err := emulator.New(o.cfg, o.settings)
	if err != nil {
		return err
	}
	log.Info("albemu starting", "settings", fmt.Sprintf("%+v", o.settings), "dataPlane", emu.DataPlaneAddr(),
		"webhook", emu.WebhookURL(), "debug", emu.DebugURL())
	if o.installWebhook {
		if err := emu.EnsureWebhookConfiguration(ctx); err != nil {
			_ = emu.Close()
			return err
		}
	}
	runErr := emu.Run(ctx)
	if o.deleteWebhookOnExit {
		cleanup, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := emu.DeleteWebhookConfiguration(cleanup); err != nil {
			return errors.Join(runErr, err)
		}
	}
	return runErr
}
