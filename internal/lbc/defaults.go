package lbc

import (
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
)

// Target types of the target-type annotation (and TargetGroupBinding's
// spec.targetType).
const (
	TargetTypeIP       = "ip"
	TargetTypeInstance = "instance"
	// DefaultTargetType applies when the annotation is absent.
	DefaultTargetType = TargetTypeInstance
)

// LBC defaults for Ingress target groups (docs/guide/ingress/annotations.md)
// and the ELB API's default deregistration delay (ALB user guide, "Target
// groups for your Application Load Balancers", Deregistration delay).
const (
	DefaultHealthCheckPath            = "/"
	DefaultHealthCheckIntervalSeconds = 15
	DefaultHealthCheckTimeoutSeconds  = 5
	DefaultHealthyThreshold           = 2
	DefaultUnhealthyThreshold         = 2
	DefaultSuccessCodes               = "200"
	DefaultDeregistrationDelaySeconds = 300
)

// ParseAttributes parses the LBC's comma-separated key=value attribute list
// (target-group-attributes, load-balancer-attributes).
func ParseAttributes(raw string) (map[string]string, error) {
	attrs := map[string]string{}
	for _, pair := range strings.Split(raw, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("attribute %q is not key=value", pair)
		}
		attrs[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return attrs, nil
}

// IsALBIngress tells whether the LBC manages an Ingress: the legacy class
// annotation when present, else spec.ingressClassName.
func IsALBIngress(ing *networkingv1.Ingress) bool {
	if class, ok := ing.Annotations[AnnotationIngressClass]; ok {
		return class == IngressClassALB
	}
	return ing.Spec.IngressClassName != nil && *ing.Spec.IngressClassName == IngressClassALB
}

// AnnotationSource looks an LBC annotation up on the Service first, then on
// the Ingress: the LBC lets Service annotations override the Ingress's
// target-group settings.
type AnnotationSource struct {
	Service map[string]string
	Ingress map[string]string
}

// Get returns the annotation's value and whether either object sets it.
func (a AnnotationSource) Get(key string) (string, bool) {
	if v, ok := a.Service[key]; ok {
		return v, true
	}
	v, ok := a.Ingress[key]
	return v, ok
}
