// Package podcond reads pod status conditions, for the lab's emulated LBC
// and its measurements alike (one reading of "condition True" in one place).
package podcond

import corev1 "k8s.io/api/core/v1"

// IsTrue tells whether the pod has condition t with status True; a missing
// condition is not True (the kubelet and the LBC write them as they go).
func IsTrue(pod *corev1.Pod, t corev1.PodConditionType) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
