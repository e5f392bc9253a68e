package lab

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/zdt-eks/zdt/lab/emulator"
)

// LabEmulatorSettings are the emulated AWS timings every scenario shares
// unless it fixes one on purpose: the emulator's defaults, each taken from
// the evidence cited on its Settings field (the deregistration propagation
// is a triangular 5/10/25 s distribution per ALB node), never chosen so that
// a scenario passes.
func LabEmulatorSettings() emulator.Settings {
	return emulator.DefaultSettings()
}

// startEmulator runs the LBC/ALB emulator in this process and registers its
// readiness-gate webhook with the apiserver.
func startEmulator(ctx context.Context, step stepper, cs kubernetes.Interface, opts Options, settings emulator.Settings) (*emulator.Emulator, func(), error) {
	logPath := filepath.Join(opts.WorkDir, "logs", "albemu.log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, nil, fmt.Errorf("emulator log: %w", err)
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, nil, fmt.Errorf("emulator log: %w", err)
	}
	emu, err := emulator.New(emulator.Config{
		Client: cs, Logger: slog.New(slog.NewJSONHandler(logFile, nil)),
		DataPlaneListen: "127.0.0.1:0", WebhookListen: "127.0.0.1:0", DebugListen: "127.0.0.1:0",
	}, settings)
	if err != nil {
		logFile.Close()
		return nil, nil, fmt.Errorf("emulator: %w", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- emu.Run(runCtx) }()
	select {
	case <-emu.Ready():
	case err := <-done:
		cancel()
		logFile.Close()
		return nil, nil, fmt.Errorf("emulator stopped before it was ready: %w", err)
	case <-ctx.Done():
		cancel()
		logFile.Close()
		return nil, nil, ctx.Err()
	}
	if err := emu.EnsureWebhookConfiguration(ctx); err != nil {
		cancel()
		logFile.Close()
		return nil, nil, fmt.Errorf("emulator webhook: %w", err)
	}
	step.say("emulator: data plane %s, debug %s/debug/targets, log %s; LBC %s; ALB health checks %s", emu.DataPlaneAddr(), emu.DebugURL(), logPath, lbcMode(settings), healthChecks(settings))
	stop := func() {
		_ = emu.DeleteWebhookConfiguration(context.WithoutCancel(ctx))
		cancel()
		<-done
		_ = emu.Close()
		logFile.Close()
	}
	return emu, stop, nil
}

type stepper struct {
	w     io.Writer
	start time.Time
}

func (s stepper) say(format string, args ...any) {
	fmt.Fprintf(s.w, "==> [%6.1fs] %s\n", time.Since(s.start).Seconds(), fmt.Sprintf(format, args...))
}

// lbcVersion names the emulated LBC behaviour for the report: v3.5
// (reconciles on pod events) or v2 (before v3.4.0: it does not).
func lbcVersion(s emulator.Settings) string {
	if s.ReconcileOnPodEvents {
		return "v3.5"
	}
	return "v2"
}

// healthChecks names how the emulated ALB checks targets, for the report:
// per-node/<aggregation>, or shared.
func healthChecks(s emulator.Settings) string {
	if s.PerNodeHealthChecks {
		return "per-node/" + string(s.HealthAggregation)
	}
	return "shared"
}

// lbcMode describes the emulated LBC behaviour for the lab's progress lines.
func lbcMode(s emulator.Settings) string {
	if s.ReconcileOnPodEvents {
		return fmt.Sprintf("%s (reconciles on pod updates, gates re-checked every %s)", lbcVersion(s), s.RequeueDuration)
	}
	return fmt.Sprintf("%s (no pod events: gates re-checked every %s and on EndpointSlice changes)", lbcVersion(s), s.RequeueDuration)
}
