// Package lbc holds facts of the AWS Load Balancer Controller's interface
// (v3.5.0): annotation keys, attribute keys, labels and condition names. The
// ZeroDowntimeApp component writes them and the lab's emulator reads them, so
// both use these constants and can never disagree on a key.
package lbc

// Ingress annotation keys (LBC docs/guide/ingress/annotations.md).
const (
	AnnotationPrefix             = "alb.ingress.kubernetes.io/"
	AnnotationIngressClass       = "kubernetes.io/ingress.class"
	AnnotationTargetType         = AnnotationPrefix + "target-type"
	AnnotationBackendProtocol    = AnnotationPrefix + "backend-protocol"
	AnnotationHealthCheckPath    = AnnotationPrefix + "healthcheck-path"
	AnnotationHealthCheckPort    = AnnotationPrefix + "healthcheck-port"
	AnnotationHealthCheckProto   = AnnotationPrefix + "healthcheck-protocol"
	AnnotationHealthCheckInt     = AnnotationPrefix + "healthcheck-interval-seconds"
	AnnotationHealthCheckTimeout = AnnotationPrefix + "healthcheck-timeout-seconds"
	AnnotationHealthyThreshold   = AnnotationPrefix + "healthy-threshold-count"
	AnnotationUnhealthyThreshold = AnnotationPrefix + "unhealthy-threshold-count"
	AnnotationSuccessCodes       = AnnotationPrefix + "success-codes"
	AnnotationTargetGroupAttrs   = AnnotationPrefix + "target-group-attributes"
	AnnotationLoadBalancerAttrs  = AnnotationPrefix + "load-balancer-attributes"
	AnnotationGroupName          = AnnotationPrefix + "group.name"
	AnnotationGroupOrder         = AnnotationPrefix + "group.order"
	AnnotationScheme             = AnnotationPrefix + "scheme"
	AnnotationListenPorts        = AnnotationPrefix + "listen-ports"
	AnnotationCertificateArn     = AnnotationPrefix + "certificate-arn"
	AnnotationSSLRedirect        = AnnotationPrefix + "ssl-redirect"

	// IngressClassALB is the IngressClass (or legacy class annotation) the
	// LBC manages; its Helm chart creates it.
	IngressClassALB = "alb"

	// TrafficPort is the healthcheck-port value meaning "the target's port".
	TrafficPort = "traffic-port"
)

// Target group and load balancer attribute keys (ELB API).
const (
	AttrDeregistrationDelay = "deregistration_delay.timeout_seconds"
	AttrSlowStart           = "slow_start.duration_seconds"
	AttrIdleTimeout         = "idle_timeout.timeout_seconds"
)

// Pod readiness gates (LBC docs/deploy/pod_readiness_gate.md).
const (
	// ReadinessGateInjectLabel is the namespace label that makes the LBC
	// inject target-health readiness gates into new pods.
	ReadinessGateInjectLabel = "elbv2.k8s.aws/pod-readiness-gate-inject"
	// ReadinessGateInjectValue is the value that enables injection.
	ReadinessGateInjectValue = "enabled"
)
