package zerodowntime

import (
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// pdbArgs builds the PodDisruptionBudget: voluntary disruptions (node drains,
// cluster upgrades) evict one pod at a time, so the rest keep serving.
// Validation requires at least two replicas while it is enabled.
func pdbArgs(a Args) *policyv1.PodDisruptionBudgetArgs {
	return &policyv1.PodDisruptionBudgetArgs{
		Metadata: objectMeta(a, nil),
		Spec: &policyv1.PodDisruptionBudgetSpecArgs{
			MaxUnavailable: pulumi.Int(1),
			Selector:       &metav1.LabelSelectorArgs{MatchLabels: toStringMap(selectorLabels(a))},
		},
	}
}
