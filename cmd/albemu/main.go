// Command albemu runs the emulation of the AWS Load Balancer Controller and
// an Application Load Balancer against a real Kubernetes apiserver: target
// groups from Ingresses of class alb (ip targets), ALB health checks,
// deregistration with draining, pod readiness gates through a real mutating
// admission webhook, the Ingress status hostname, and an HTTP data plane on
// loopback. It logs JSON to stderr and exits 0 on SIGINT/SIGTERM, 1 on
// errors, 2 on usage errors.
//
// Usage:
//
//	albemu --kubeconfig path/to/admin.kubeconfig [flags]
//
// See lab/emulator/README.md for every flag's default and its source.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}
