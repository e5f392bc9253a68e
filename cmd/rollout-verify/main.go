// Command rollout-verify sends open-loop HTTP load to one or more URLs while a
// Deployment rolls and reports every failed request, a per-second timeline,
// latency percentiles and the application versions that answered. It exits 0
// when the failures are within --max-failures, 1 when not, 2 on usage errors.
//
// Usage:
//
//	rollout-verify [flags] [URL...]
//	rollout-verify --target external=http://alb.example/ --target internal=http://10.96.0.10/ --duration 5m
//
// See verify/README.md for the flags, the output and the JSON schema.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal the run winds down and prints its report;
		// restoring the default handling lets a second Ctrl-C kill it.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], env{
		stdout:         os.Stdout,
		stderr:         os.Stderr,
		stdinTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
		stderrTerminal: term.IsTerminal(int(os.Stderr.Fd())),
	})
	stop()
	os.Exit(code)
}
