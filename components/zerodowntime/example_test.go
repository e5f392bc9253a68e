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
