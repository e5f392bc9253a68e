package zerodowntime

import (
	autoscalingv2 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/autoscaling/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// With Autoscaling the HorizontalPodAutoscaler owns the pod count. The
// Deployment is created with spec.replicas = MinReplicas (so it never starts
// with one pod) and carries `ignoreChanges: [spec.replicas]`. With
// server-side apply, pulumi-kubernetes then drops spec.replicas from the
// apply when another field manager owns it (the autoscaler's scale writes),
// and otherwise re-applies the live value (provider/pkg/await/await.go,
// handleSSAIgnoreFields, at the commit tools/pulumi-kubernetes builds). So a
// `pulumi up` after the autoscaler scaled neither conflicts nor resets the
// count, and switching an existing app to Autoscaling keeps its pods.
// Measured: a rollout after the count changed failed no request (lab
// scenario "ZeroDowntimeApp autoscaled", TestLabEndToEnd). maxUnavailable is 0, and the
// await condition compares with the live spec.replicas (await.go).

// deploymentReplicasPath is the field the autoscaler owns.
const deploymentReplicasPath = "spec.replicas"

// ReplicasAnnotation on a Deployment declares how its spec.replicas is
// applied; ReplicasInitial says the deploy tool sets it only at creation and
// leaves it to an autoscaler afterwards (what ignoreChanges does here), so
// `zdt check` does not warn about a fixed count beside the autoscaler.
const (
	ReplicasAnnotation = "zdt.dev/replicas"
	ReplicasInitial    = "initial"
)

// hpaArgs builds the HorizontalPodAutoscaler (autoscaling/v2) that scales
// the Deployment on CPU and/or memory use relative to the requests.
func hpaArgs(a Args) *autoscalingv2.HorizontalPodAutoscalerArgs {
	h := a.Autoscaling
	var metrics autoscalingv2.MetricSpecArray
	for _, m := range []struct {
		resource string
		percent  int
	}{{"cpu", h.CPUUtilizationPercent}, {"memory", h.MemoryUtilizationPercent}} {
		if m.percent == 0 {
			continue
		}
		metrics = append(metrics, &autoscalingv2.MetricSpecArgs{
			Type: pulumi.String("Resource"),
			Resource: &autoscalingv2.ResourceMetricSourceArgs{
				Name: pulumi.String(m.resource),
				Target: &autoscalingv2.MetricTargetArgs{
					Type:               pulumi.String("Utilization"),
					AverageUtilization: pulumi.Int(m.percent),
				},
			},
		})
	}
	return &autoscalingv2.HorizontalPodAutoscalerArgs{
		Metadata: objectMeta(a, nil),
		Spec: &autoscalingv2.HorizontalPodAutoscalerSpecArgs{
			ScaleTargetRef: &autoscalingv2.CrossVersionObjectReferenceArgs{
				ApiVersion: pulumi.String("apps/v1"),
				Kind:       pulumi.String("Deployment"),
				Name:       pulumi.String(a.AppName),
			},
			MinReplicas: pulumi.Int(h.MinReplicas),
			MaxReplicas: pulumi.Int(h.MaxReplicas),
			Metrics:     metrics,
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehaviorArgs{
				ScaleDown: &autoscalingv2.HPAScalingRulesArgs{
					StabilizationWindowSeconds: pulumi.Int(h.ScaleDownStabilizationSeconds),
				},
			},
		},
	}
}

// maxReplicas is the most pods the app may run: what sizes the rollout's
// await.
func (a Args) maxReplicas() int {
	if a.Autoscaling != nil {
		return max(a.Replicas, a.Autoscaling.MaxReplicas)
	}
	return a.Replicas
}
