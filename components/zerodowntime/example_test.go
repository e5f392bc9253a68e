package zerodowntime_test

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zdt-eks/zdt/components/zerodowntime"
)

// A preStop override shorter than the time the ALB needs to stop routing is
// refused before anything is created.
func ExampleValidate() {
	_, _, err := zerodowntime.Validate("orders", zerodowntime.Args{
		Namespace: pulumi.String("apps"),
		Image:     pulumi.String("registry.example/orders:v1"),
		Timing:    zerodowntime.TimingArgs{PreStopSeconds: 5},
	})
	fmt.Println(err)
	// Output:
	// ZeroDowntimeApp "orders": invalid arguments:
	// Timing.PreStopSeconds, Timing.DeregistrationPropagationSeconds: preStop 5 s ends before routing to the pod stops (30 s: kube-proxy and the ALB still send new requests): requests hit a pod that is shutting down (502/timeouts); fix: raise Timing.PreStopSeconds to at least 30, or drop the override
}

// The derived model for the demo app: boots in 10 s, requests up to 5 s.
func ExampleDerive() {
	t, err := zerodowntime.Derive(zerodowntime.TimingArgs{BootSeconds: 10, MaxRequestSeconds: 5})
	if err != nil {
		panic(err)
	}
	fmt.Println(t)
	// Output:
	// startup=15x1s readiness=2s liveness=10s preStop=30s drain=7s grace=42s albInterval=5s albTimeout=2s healthy=2 unhealthy=2 deregDelay=37s minReady=6s progressDeadline=122s
}

// A realistic service, as the README shows it (TestREADMEShowsTheExample
// keeps the two equal): secrets and config from the cluster, an IRSA
// service account, an autoscaler, a proxy sidecar, a writable /tmp, HTTPS.
func ExampleNewZeroDowntimeApp() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		ns, image, cert, lbcRelease := exampleInputs()
		// README:begin
		app, err := zerodowntime.NewZeroDowntimeApp(ctx, "orders", &zerodowntime.Args{
			Namespace: ns,    // labelled elbv2.k8s.aws/pod-readiness-gate-inject=enabled
			Image:     image, // by digest: a new build rolls, an unchanged one does not
			Timing: zerodowntime.TimingArgs{
				BootSeconds:       20, // worst-case boot, measured
				MaxRequestSeconds: 10, // longest request
				AppDrainSeconds:   2,  // the app's own drain after SIGTERM
			},
			ShutdownTimeoutEnv:  "SHUTDOWN_TIMEOUT", // in-flight wait, from the same model
			KeepAliveTimeoutEnv: "IDLE_TIMEOUT",     // keep-alive above the ALB's idle timeout
			Autoscaling:         &zerodowntime.AutoscalingArgs{MinReplicas: 3, MaxReplicas: 12},
			Pod: zerodowntime.PodArgs{
				ServiceAccountName: "orders", // IRSA / Pod Identity; token mounted only then
				SecretEnv: map[string]zerodowntime.KeyRef{
					"DB_PASSWORD": {Name: pulumi.String("orders-db"), Key: "password"},
				},
				WritableDirs: []zerodowntime.WritableDirArgs{{MountPath: "/tmp"}},
				Sidecars: []zerodowntime.SidecarArgs{{
					Name:  "proxy", // native sidecar: stopped only after the app exited
					Image: pulumi.String("registry.example/proxy:1.2.3"),
				}},
			},
			Labels: map[string]string{"team": "payments"},
			Ingress: zerodowntime.IngressArgs{
				Host:   pulumi.String("orders.example.com"),
				Scheme: zerodowntime.SchemeInternetFacing,
				TLS:    &zerodowntime.TLSArgs{CertificateArns: pulumi.StringArray{cert}},
			},
			DependsOn: []pulumi.Resource{lbcRelease}, // the LBC's webhooks must serve first
		})
		if err != nil {
			return err
		}
		ctx.Export("url", app.URL)
		// README:end
		return nil
	})
}

// exampleInputs stands in for what a real program gets from other
// resources: the namespace's name, the image by digest, the certificate's
// ARN and the LBC's Helm release.
func exampleInputs() (pulumi.StringInput, pulumi.StringInput, pulumi.StringInput, pulumi.Resource) {
	return pulumi.String("apps"), pulumi.String("registry.example/orders@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
		pulumi.String("arn:aws:acm:eu-west-1:123456789012:certificate/a"), nil
}
