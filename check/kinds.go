package check

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// pdb is a PodDisruptionBudget (policy/v1 and v1beta1 share these fields).
type pdb struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	Spec     struct {
		Selector       *metav1.LabelSelector `json:"selector"`
		MinAvailable   *intstr.IntOrString   `json:"minAvailable"`
		MaxUnavailable *intstr.IntOrString   `json:"maxUnavailable"`
	} `json:"spec"`
}

// hpa is a HorizontalPodAutoscaler (autoscaling/v1 and v2 share these fields).
type hpa struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	Spec     struct {
		ScaleTargetRef struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Name       string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicas *int32 `json:"minReplicas"`
		MaxReplicas int32  `json:"maxReplicas"`
	} `json:"spec"`
}

// targetGroupBinding is the LBC's TargetGroupBinding (elbv2.k8s.aws): the
// fields that tie a target group to a Service.
type targetGroupBinding struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	Spec     struct {
		TargetType string `json:"targetType"`
		ServiceRef struct {
			Name string             `json:"name"`
			Port intstr.IntOrString `json:"port"`
		} `json:"serviceRef"`
	} `json:"spec"`
}

// crd is a CustomResourceDefinition: the kind it defines makes that kind
// known among the inputs.
type crd struct {
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind string `json:"kind"`
		} `json:"names"`
	} `json:"spec"`
}
