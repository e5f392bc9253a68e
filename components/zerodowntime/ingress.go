package zerodowntime

import (
	"fmt"
	"strconv"
	"strings"

	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Annotation keys of the AWS Load Balancer Controller
// (docs/guide/ingress/annotations.md).
const (
	albPrefix           = "alb.ingress.kubernetes.io/"
	annTargetType       = albPrefix + "target-type"
	annScheme           = albPrefix + "scheme"
	annGroupName        = albPrefix + "group.name"
	annListenPorts      = albPrefix + "listen-ports"
	annCertificateArn   = albPrefix + "certificate-arn"
	annSSLRedirect      = albPrefix + "ssl-redirect"
	annHCPath           = albPrefix + "healthcheck-path"
	annHCPort           = albPrefix + "healthcheck-port"
	annHCProtocol       = albPrefix + "healthcheck-protocol"
	annHCInterval       = albPrefix + "healthcheck-interval-seconds"
	annHCTimeout        = albPrefix + "healthcheck-timeout-seconds"
	annHealthyCount     = albPrefix + "healthy-threshold-count"
	annUnhealthyCount   = albPrefix + "unhealthy-threshold-count"
	annSuccessCodes     = albPrefix + "success-codes"
	annTargetGroupAttrs = albPrefix + "target-group-attributes"
	annLBAttrs          = albPrefix + "load-balancer-attributes"

	// IngressClassALB is the IngressClass the LBC's Helm chart creates.
	IngressClassALB = "alb"
)

// ingressArgs builds the Ingress the LBC turns into an ALB listener rule and
// a target group whose health check is the pods' readiness check.
func ingressArgs(a Args, t Timing) *networkingv1.IngressArgs {
	return &networkingv1.IngressArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:        pulumi.String(a.AppName),
			Namespace:   a.Namespace,
			Labels:      toStringMap(objectLabels(a)),
			Annotations: ingressAnnotations(a, t),
		},
		Spec: &networkingv1.IngressSpecArgs{
			IngressClassName: pulumi.String(IngressClassALB),
			Rules:            networkingv1.IngressRuleArray{ingressRule(a)},
		},
	}
}

func ingressAnnotations(a Args, t Timing) pulumi.StringMap {
	ann := pulumi.StringMap{
		// ip targets are the pods themselves: required for readiness gates,
		// and no extra kube-proxy hop that could route to a dying pod.
		annTargetType: pulumi.String("ip"),
		annScheme:     pulumi.String(a.Ingress.Scheme),
		// The ALB judges a target by the same endpoint as the kubelet's
		// readiness probe, so a draining pod fails both.
		annHCPath:           pulumi.String(a.ReadinessPath),
		annHCPort:           pulumi.String("traffic-port"),
		annHCProtocol:       pulumi.String("HTTP"),
		annHCInterval:       pulumi.String(strconv.Itoa(t.HealthCheckIntervalSeconds)),
		annHCTimeout:        pulumi.String(strconv.Itoa(t.HealthCheckTimeoutSeconds)),
		annHealthyCount:     pulumi.String(strconv.Itoa(t.HealthyThreshold)),
		annUnhealthyCount:   pulumi.String(strconv.Itoa(t.UnhealthyThreshold)),
		annSuccessCodes:     pulumi.String("200"),
		annTargetGroupAttrs: pulumi.String(targetGroupAttributes(t)),
	}
	if a.Ingress.GroupName != "" {
		ann[annGroupName] = pulumi.String(a.Ingress.GroupName)
	}
	if a.Ingress.IdleTimeoutSeconds > 0 {
		ann[annLBAttrs] = pulumi.String(fmt.Sprintf("idle_timeout.timeout_seconds=%d", a.Ingress.IdleTimeoutSeconds))
	}
	if a.Ingress.TLS == nil {
		ann[annListenPorts] = pulumi.String(`[{"HTTP":80}]`)
		return ann
	}
	ann[annListenPorts] = pulumi.String(`[{"HTTP":80},{"HTTPS":443}]`)
	ann[annSSLRedirect] = pulumi.String("443")
	ann[annCertificateArn] = a.Ingress.TLS.CertificateArns.ToStringArrayOutput().ApplyT(func(arns []string) string {
		return strings.Join(arns, ",")
	}).(pulumi.StringOutput)
	return ann
}

// targetGroupAttributes renders the target group's attributes in the LBC's
// comma-separated key=value form.
func targetGroupAttributes(t Timing) string {
	attrs := []string{fmt.Sprintf("deregistration_delay.timeout_seconds=%d", t.DeregistrationDelaySeconds)}
	if t.SlowStartSeconds > 0 {
		attrs = append(attrs, fmt.Sprintf("slow_start.duration_seconds=%d", t.SlowStartSeconds))
	}
	return strings.Join(attrs, ",")
}

func ingressRule(a Args) *networkingv1.IngressRuleArgs {
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
	rule := &networkingv1.IngressRuleArgs{Http: &networkingv1.HTTPIngressRuleValueArgs{Paths: paths}}
	if a.Ingress.Host != nil {
		rule.Host = a.Ingress.Host
	}
	return rule
}
