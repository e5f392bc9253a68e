package zerodowntime

import (
	"fmt"
	"strconv"
	"strings"

	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zdt-eks/zdt/internal/lbc"
)

// IngressClassALB is the IngressClass the LBC's Helm chart creates.
const IngressClassALB = lbc.IngressClassALB

// ingressArgs builds the Ingress the LBC turns into an ALB listener rule and
// a target group whose health check is the pods' readiness check.
func ingressArgs(a Args, t Timing) *networkingv1.IngressArgs {
	return &networkingv1.IngressArgs{
		Metadata: objectMeta(a, ingressAnnotations(a, t)),
		Spec: &networkingv1.IngressSpecArgs{
			IngressClassName: pulumi.String(a.Ingress.ClassName),
			Rules:            ingressRules(a),
		},
	}
}

func ingressAnnotations(a Args, t Timing) pulumi.StringMap {
	ann := toStringMap(a.Ingress.Annotations) // validation keeps them apart from the derived ones
	for k, v := range derivedIngressAnnotations(a, t) {
		ann[k] = v
	}
	return ann
}

// derivedIngressAnnotations are the annotations the component owns.
func derivedIngressAnnotations(a Args, t Timing) pulumi.StringMap {
	ann := pulumi.StringMap{
		// ip targets are the pods themselves: required for readiness gates,
		// and no extra kube-proxy hop that could route to a dying pod.
		lbc.AnnotationTargetType: pulumi.String("ip"),
		lbc.AnnotationScheme:     pulumi.String(a.Ingress.Scheme),
		// The ALB judges a target by the same endpoint as the kubelet's
		// readiness probe, so a draining pod fails both.
		lbc.AnnotationHealthCheckPath:    pulumi.String(a.ReadinessPath),
		lbc.AnnotationHealthCheckPort:    pulumi.String(lbc.TrafficPort),
		lbc.AnnotationHealthCheckProto:   pulumi.String("HTTP"),
		lbc.AnnotationHealthCheckInt:     pulumi.String(strconv.Itoa(t.HealthCheckIntervalSeconds)),
		lbc.AnnotationHealthCheckTimeout: pulumi.String(strconv.Itoa(t.HealthCheckTimeoutSeconds)),
		lbc.AnnotationHealthyThreshold:   pulumi.String(strconv.Itoa(t.HealthyThreshold)),
		lbc.AnnotationUnhealthyThreshold: pulumi.String(strconv.Itoa(t.UnhealthyThreshold)),
		lbc.AnnotationSuccessCodes:       pulumi.String("200"),
		lbc.AnnotationTargetGroupAttrs:   pulumi.String(targetGroupAttributes(a, t)),
	}
	if a.Ingress.GroupName != "" {
		ann[lbc.AnnotationGroupName] = pulumi.String(a.Ingress.GroupName)
	}
	if a.Ingress.GroupOrder != 0 {
		ann[lbc.AnnotationGroupOrder] = pulumi.String(strconv.Itoa(a.Ingress.GroupOrder))
	}
	lbAttrs := attributeList(a.Ingress.Annotations[lbc.AnnotationLoadBalancerAttrs])
	if a.Timing.IdleTimeoutSeconds > 0 {
		lbAttrs = append([]string{fmt.Sprintf(lbc.AttrIdleTimeout+"=%d", t.IdleTimeoutSeconds)}, lbAttrs...)
	}
	if len(lbAttrs) > 0 {
		ann[lbc.AnnotationLoadBalancerAttrs] = pulumi.String(strings.Join(lbAttrs, ","))
	}
	if a.Ingress.TLS == nil {
		ann[lbc.AnnotationListenPorts] = pulumi.String(`[{"HTTP":80}]`)
		return ann
	}
	ann[lbc.AnnotationListenPorts] = pulumi.String(`[{"HTTP":80},{"HTTPS":443}]`)
	ann[lbc.AnnotationSSLRedirect] = pulumi.String("443")
	ann[lbc.AnnotationCertificateArn] = a.Ingress.TLS.CertificateArns.ToStringArrayOutput().ApplyT(func(arns []string) string {
		return strings.Join(arns, ",")
	}).(pulumi.StringOutput)
	return ann
}

// targetGroupAttributes renders the target group's attributes in the LBC's
// comma-separated key=value form: the model's, then the user's others.
func targetGroupAttributes(a Args, t Timing) string {
	attrs := []string{fmt.Sprintf(lbc.AttrDeregistrationDelay+"=%d", t.DeregistrationDelaySeconds)}
	if t.SlowStartSeconds > 0 {
		attrs = append(attrs, fmt.Sprintf(lbc.AttrSlowStart+"=%d", t.SlowStartSeconds))
	}
	attrs = append(attrs, attributeList(a.Ingress.Annotations[lbc.AnnotationTargetGroupAttrs])...)
	return strings.Join(attrs, ",")
}

// attributeList splits a user's attribute annotation into its entries.
func attributeList(raw string) []string {
	var out []string
	for _, kv := range strings.Split(raw, ",") {
		if kv = strings.TrimSpace(kv); kv != "" {
			out = append(out, kv)
		}
	}
	return out
}

// ownedIngressAnnotations are the annotations the component derives, each
// with the Args field that sets it; Ingress.Annotations may not set them.
// The two attribute lists are merged instead: only the model's attributes
// in them are refused (ownedAttributes).
var ownedIngressAnnotations = map[string]string{
	lbc.AnnotationTargetType:         "nothing: it is always ip, which readiness gates need",
	lbc.AnnotationScheme:             "Ingress.Scheme",
	lbc.AnnotationHealthCheckPath:    "ReadinessPath",
	lbc.AnnotationHealthCheckPort:    "nothing: the health check uses the traffic port",
	lbc.AnnotationHealthCheckProto:   "nothing: the health check is HTTP like the readiness probe",
	lbc.AnnotationHealthCheckInt:     "Timing.HealthCheckIntervalSeconds",
	lbc.AnnotationHealthCheckTimeout: "Timing.HealthCheckTimeoutSeconds",
	lbc.AnnotationHealthyThreshold:   "Timing.HealthyThreshold",
	lbc.AnnotationUnhealthyThreshold: "Timing.UnhealthyThreshold",
	lbc.AnnotationSuccessCodes:       "nothing: readiness answers 200",
	lbc.AnnotationGroupName:          "Ingress.GroupName",
	lbc.AnnotationGroupOrder:         "Ingress.GroupOrder",
	lbc.AnnotationListenPorts:        "Ingress.TLS",
	lbc.AnnotationSSLRedirect:        "Ingress.TLS",
	lbc.AnnotationCertificateArn:     "Ingress.TLS.CertificateArns",
}

// ownedAttributes are the attributes of the merged attribute annotations
// that the timing model sets, with the field that sets each.
var ownedAttributes = map[string]string{
	lbc.AttrDeregistrationDelay: "Timing.DeregistrationDelaySeconds",
	lbc.AttrSlowStart:           "Timing.SlowStartSeconds",
	lbc.AttrIdleTimeout:         "Timing.IdleTimeoutSeconds",
}

// ingressRules routes the paths to the Service: one rule per host (any
// host when none is set).
func ingressRules(a Args) networkingv1.IngressRuleArray {
	paths := networkingv1.HTTPIngressPathArray{}
	for _, p := range a.Ingress.Paths {
		paths = append(paths, &networkingv1.HTTPIngressPathArgs{
			Path:     pulumi.String(p),
			PathType: pulumi.String("Prefix"),
			Backend: &networkingv1.IngressBackendArgs{Service: &networkingv1.IngressServiceBackendArgs{
				Name: pulumi.String(a.AppName),
				Port: &networkingv1.ServiceBackendPortArgs{Name: pulumi.String(portName)},
			}},
		})
	}
	http := &networkingv1.HTTPIngressRuleValueArgs{Paths: paths}
	if a.Ingress.Host == nil {
		return networkingv1.IngressRuleArray{&networkingv1.IngressRuleArgs{Http: http}}
	}
	rules := networkingv1.IngressRuleArray{}
	for _, h := range append([]pulumi.StringInput{a.Ingress.Host}, a.Ingress.AdditionalHosts...) {
		rules = append(rules, &networkingv1.IngressRuleArgs{Host: h, Http: http})
	}
	return rules
}
