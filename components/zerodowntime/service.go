package zerodowntime

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// servicePort is the port the Service and the ALB target group use; the
// Service maps it to the container port by name.
const servicePort = 80

// serviceArgs builds the ClusterIP Service the Ingress routes to. Its
// selector is selectorLabels, the same function that labels the pods.
func serviceArgs(a Args) *corev1.ServiceArgs {
	return &corev1.ServiceArgs{
		// The Service is created before the pods (the LBC injects readiness
		// gates only into pods created after their Service and Ingress
		// exist), so pulumi-kubernetes' default await, which waits for the
		// Service to target pods, could never finish. Pod readiness is
		// awaited on the Deployment instead.
		Metadata: objectMeta(a, toStringMap(withExtra(map[string]string{pulumiSkipAwaitAnnotation: "true"}, a.ServiceAnnotations))),
		Spec: &corev1.ServiceSpecArgs{
			Type:     pulumi.String("ClusterIP"),
			Selector: toStringMap(selectorLabels(a)),
			Ports: corev1.ServicePortArray{&corev1.ServicePortArgs{
				Name:       pulumi.String(portName),
				Port:       pulumi.Int(servicePort),
				TargetPort: pulumi.String(portName),
				Protocol:   pulumi.String("TCP"),
			}},
		},
	}
}
