package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// GateConditionPrefix is the prefix of the pod readiness gate condition type
// the LBC injects and maintains (pkg/targetgroupbinding
// TargetHealthPodConditionTypePrefix).
const GateConditionPrefix = "target-health.elbv2.k8s.aws/"

// GateConditionType is the readiness gate condition type of target group tgName.
func GateConditionType(tgName string) corev1.PodConditionType {
	return corev1.PodConditionType(GateConditionPrefix + tgName)
}

// TargetGroupName names the target group (the LBC's TargetGroupBinding) of
// one backend Service port of one load balancer, in the LBC's shape
// k8s-<ns[:8]>-<svc[:8]>-<10 hex of a sha256>, non-alphanumerics stripped,
// at most 32 characters. lbKey identifies the load balancer (an Ingress group
// or one Ingress): two ALBs in front of one Service get two target groups, as
// with the LBC. The hash input is the emulator's own; it is stable.
func TargetGroupName(lbKey, namespace, service, port string) string {
	hash := shortHash(lbKey, namespace, service, port, string(TargetTypeIP))
	return "k8s-" + truncate(sanitize(namespace), 8) + "-" + truncate(sanitize(service), 8) + "-" + hash
}

// LoadBalancerName names the emulated ALB of an Ingress group (group non-empty)
// or of a single Ingress, in the LBC's shapes k8s-<group[:17]>-<hash> and
// k8s-<ns[:8]>-<name[:8]>-<hash>.
func LoadBalancerName(group, namespace, ingress string) string {
	if group != "" {
		return "k8s-" + truncate(sanitize(group), 17) + "-" + shortHash("group", group)
	}
	return "k8s-" + truncate(sanitize(namespace), 8) + "-" + truncate(sanitize(ingress), 8) + "-" + shortHash("ingress", namespace, ingress)
}

// loadBalancerKey identifies a load balancer inside the emulator.
func loadBalancerKey(group, namespace, ingress string) string {
	if group != "" {
		return "group/" + group
	}
	return "ingress/" + namespace + "/" + ingress
}

func shortHash(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])[:10]
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
