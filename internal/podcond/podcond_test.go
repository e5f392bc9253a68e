package podcond

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestIsTrue(t *testing.T) {
	const gate corev1.PodConditionType = "target-health.elbv2.k8s.aws/tg"
	pod := func(conds ...corev1.PodCondition) *corev1.Pod {
		return &corev1.Pod{Status: corev1.PodStatus{Conditions: conds}}
	}
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want bool
	}{
		{"missing", pod(corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue}), false},
		{"true", pod(corev1.PodCondition{Type: gate, Status: corev1.ConditionTrue}), true},
		{"false", pod(corev1.PodCondition{Type: gate, Status: corev1.ConditionFalse}), false},
		{"unknown", pod(corev1.PodCondition{Type: gate, Status: corev1.ConditionUnknown}), false},
		{"no conditions", pod(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsTrue(tc.pod, gate); got != tc.want {
				t.Errorf("IsTrue = %v, want %v", got, tc.want)
			}
		})
	}
}
