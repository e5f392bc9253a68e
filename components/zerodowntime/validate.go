package zerodowntime

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/api/resource"
)

// FieldError is a validation failure: the fields at fault, what goes wrong
// at runtime if they were accepted, and how to fix it.
type FieldError struct {
	Fields  []string
	Problem string
	Fix     string
}

// Error implements error.
func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: %s; fix: %s", strings.Join(e.Fields, ", "), e.Problem, e.Fix)
}

func fieldErr(fields []string, fix string, problem string, args ...any) error {
	return &FieldError{Fields: fields, Problem: fmt.Sprintf(problem, args...), Fix: fix}
}

// argRule checks one property of the arguments after defaults; timing
// inputs are checked by Derive.
type argRule func(a Args) error

// argRules is the registry of argument checks, each a small named function.
var argRules = []argRule{
	checkAppName,
	checkNamespace,
	checkImage,
	checkReplicas,
	checkAutoscaling,
	checkPort,
	checkProbePaths,
	checkMaxSurge,
	checkResources,
	checkRunAsUser,
	checkImagePullPolicy,
	checkEnv,
	checkIngressPaths,
	checkIngressGroupAndScheme,
	checkIngressClassName,
	checkIngressHost,
	checkIngressGroupOrder,
	checkTLS,
	checkPodEnv,
	checkPodVolumes,
	checkPodPlacement,
	checkSidecars,
	checkLabels,
	checkAnnotations,
}

// Validate applies defaults to args and checks them and the timing model
// they produce, returning every problem at once. NewZeroDowntimeApp calls it
// before registering anything; it is exported for tests and tools.
func Validate(name string, args Args) (Args, Timing, error) {
	a := args.withDefaults(name)
	t, timingErr := Derive(a.Timing)
	errs := []error{timingErr}
	for _, rule := range argRules {
		errs = append(errs, rule(a))
	}
	if err := errors.Join(errs...); err != nil {
		return Args{}, Timing{}, fmt.Errorf("ZeroDowntimeApp %q: invalid arguments:\n%w", name, err)
	}
	return a, t, nil
}

var (
	dns1035Label   = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	dns1123Label   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	hostPattern    = regexp.MustCompile(`^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	groupPattern   = regexp.MustCompile(`^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$`)
	envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	pathPattern    = regexp.MustCompile(`^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$`)
	arnPattern     = regexp.MustCompile(`^arn:aws[a-z-]*:(acm|iam):[a-z0-9-]*:[0-9]{12}:(certificate|server-certificate)/\S+$`)
)

func checkAppName(a Args) error {
	if len(a.AppName) <= 63 && dns1035Label.MatchString(a.AppName) {
		return nil
	}
	return fieldErr([]string{"AppName"}, "use at most 63 lowercase letters, digits and '-', starting with a letter (set AppName or rename the resource)",
		"%q is not a valid Service name (DNS-1035 label)", a.AppName)
}

// knownString returns the value of a plain pulumi.String input. Outputs of
// other resources are not known at construction time and are not checked.
func knownString(in pulumi.StringInput) (string, bool) {
	s, ok := in.(pulumi.String)
	return string(s), ok
}

func checkNamespace(a Args) error {
	if a.Namespace == nil {
		return fieldErr([]string{"Namespace"}, "pass the name of a namespace labelled elbv2.k8s.aws/pod-readiness-gate-inject=enabled",
			"is not set")
	}
	if ns, ok := knownString(a.Namespace); ok && (len(ns) > 63 || !dns1123Label.MatchString(ns)) {
		return fieldErr([]string{"Namespace"}, "use at most 63 lowercase letters, digits and '-'",
			"%q is not a valid namespace name", ns)
	}
	return nil
}

func checkImage(a Args) error {
	if a.Image == nil {
		return fieldErr([]string{"Image"}, "pass an image reference, preferably by digest (repo@sha256:...)", "is not set")
	}
	if img, ok := knownString(a.Image); ok && (strings.TrimSpace(img) == "" || strings.ContainsAny(img, " \t\n")) {
		return fieldErr([]string{"Image"}, "pass an image reference, preferably by digest (repo@sha256:...)",
			"%q is not an image reference", img)
	}
	return nil
}

func checkReplicas(a Args) error {
	if a.Replicas < 1 {
		return fieldErr([]string{"Replicas"}, "use 1 or more (0 means the default of 3)", "is %d", a.Replicas)
	}
	if a.Replicas < 2 && !a.DisablePodDisruptionBudget {
		if a.Autoscaling != nil {
			return fieldErr([]string{"Autoscaling.MinReplicas", "DisablePodDisruptionBudget"},
				"use Autoscaling.MinReplicas of at least 2, or set DisablePodDisruptionBudget and accept downtime during node drains",
				"with %d replica the PodDisruptionBudget (maxUnavailable 1) lets a node drain take the only pod away", a.Replicas)
		}
		return fieldErr([]string{"Replicas", "DisablePodDisruptionBudget"},
			"use at least 2 replicas, or set DisablePodDisruptionBudget and accept downtime during node drains",
			"with %d replica the PodDisruptionBudget (maxUnavailable 1) lets a node drain take the only pod away", a.Replicas)
	}
	return nil
}

func checkAutoscaling(a Args) error {
	h := a.Autoscaling
	if h == nil {
		return nil
	}
	var errs []error
	if a.Replicas != h.MinReplicas {
		errs = append(errs, fieldErr([]string{"Replicas", "Autoscaling.MinReplicas"},
			"leave Replicas 0 with Autoscaling: the autoscaler owns the count, starting from Autoscaling.MinReplicas",
			"Replicas is %d and Autoscaling.MinReplicas %d: a fixed count beside an autoscaler is overwritten by it", a.Replicas, h.MinReplicas))
	}
	if h.MinReplicas < 1 {
		errs = append(errs, fieldErr([]string{"Autoscaling.MinReplicas"}, "use 1 or more (0 means the default of 3)", "is %d", h.MinReplicas))
	}
	if h.MaxReplicas < h.MinReplicas {
		errs = append(errs, fieldErr([]string{"Autoscaling.MaxReplicas", "Autoscaling.MinReplicas"},
			fmt.Sprintf("set Autoscaling.MaxReplicas to at least %d", h.MinReplicas),
			"max %d is below min %d", h.MaxReplicas, h.MinReplicas))
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"Autoscaling.CPUUtilizationPercent", h.CPUUtilizationPercent}, {"Autoscaling.MemoryUtilizationPercent", h.MemoryUtilizationPercent}} {
		if p.v < 0 || p.v > 1000 {
			errs = append(errs, fieldErr([]string{p.name}, "use 1..1000 percent of the request, or 0 for none", "is %d", p.v))
		}
	}
	if s := h.ScaleDownStabilizationSeconds; s < 0 || s > 3600 {
		errs = append(errs, fieldErr([]string{"Autoscaling.ScaleDownStabilizationSeconds"}, "use 0..3600 (0 means the default of 300)", "is %d", s))
	}
	return errors.Join(errs...)
}

func checkPort(a Args) error {
	if a.Port >= 1 && a.Port <= 65535 {
		return nil
	}
	return fieldErr([]string{"Port"}, "use 1..65535", "%d is not a TCP port", a.Port)
}

func checkProbePaths(a Args) error {
	var errs []error
	for _, p := range []struct{ name, v string }{{"ReadinessPath", a.ReadinessPath}, {"LivenessPath", a.LivenessPath}, {"StartupPath", a.StartupPath}} {
		if !pathPattern.MatchString(p.v) {
			errs = append(errs, fieldErr([]string{p.name}, "use an absolute URL path such as /readyz", "%q is not an HTTP path", p.v))
		}
	}
	if a.ReadinessPath == a.LivenessPath {
		errs = append(errs, fieldErr([]string{"ReadinessPath", "LivenessPath"},
			"give liveness its own endpoint (e.g. /livez) that stays 200 while the app drains",
			"both are %q: a pod that fails readiness on purpose while it drains, or while a dependency is down, would be restarted by the liveness probe",
			a.ReadinessPath))
	}
	if a.StartupPath == a.ReadinessPath {
		errs = append(errs, fieldErr([]string{"StartupPath", "ReadinessPath"},
			"point StartupPath at an endpoint that is 200 once the process is up (by default the liveness path)",
			"both are %q: readiness fails on purpose while a dependency is down, so every new or rescheduled pod would fail its startup probe and be restarted in a loop during that outage",
			a.ReadinessPath))
	}
	return errors.Join(errs...)
}

// resolveSurge turns MaxSurge into a pod count for the given replicas,
// rounding percentages up as the Deployment controller does.
func resolveSurge(maxSurge string, replicas int) (int, error) {
	if pct, ok := strings.CutSuffix(maxSurge, "%"); ok {
		n, err := strconv.Atoi(pct)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("%q is not a positive percentage", maxSurge)
		}
		return ceilDiv(replicas*n, 100), nil
	}
	n, err := strconv.Atoi(maxSurge)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q is not a positive integer or percentage", maxSurge)
	}
	return n, nil
}

func checkMaxSurge(a Args) error {
	if _, err := resolveSurge(a.MaxSurge, a.Replicas); err != nil {
		return fieldErr([]string{"MaxSurge"}, `use a count such as "1" or a percentage such as "50%"`,
			"%v; with maxUnavailable fixed at 0 a surge of 0 could never roll", err)
	}
	return nil
}

func checkResources(a Args) error {
	return checkResourceQuantities("Resources", a.Resources)
}

// checkResourceQuantities checks one container's requests and limits.
func checkResourceQuantities(field string, r Resources) error {
	var errs []error
	quantities := map[string]resource.Quantity{}
	for _, q := range []struct{ name, v string }{
		{"CPURequest", r.CPURequest},
		{"MemoryRequest", r.MemoryRequest},
		{"MemoryLimit", r.MemoryLimit},
		{"CPULimit", r.CPULimit},
	} {
		if q.v == "" && q.name == "CPULimit" {
			continue
		}
		parsed, err := resource.ParseQuantity(q.v)
		if err != nil || parsed.Sign() <= 0 {
			errs = append(errs, fieldErr([]string{field + "." + q.name}, "use a positive Kubernetes quantity such as 250m or 256Mi", "%q is not a positive quantity", q.v))
			continue
		}
		quantities[q.name] = parsed
	}
	for _, pair := range [][2]string{{"MemoryLimit", "MemoryRequest"}, {"CPULimit", "CPURequest"}} {
		lim, okLim := quantities[pair[0]]
		req, okReq := quantities[pair[1]]
		if okReq && okLim && lim.Cmp(req) < 0 {
			errs = append(errs, fieldErr([]string{field + "." + pair[0], field + "." + pair[1]},
				"make the limit at least the request", "limit %s is below request %s: the API server rejects the pod", lim.String(), req.String()))
		}
	}
	return errors.Join(errs...)
}

func checkRunAsUser(a Args) error {
	if a.RunAsUser > 0 {
		return nil
	}
	return fieldErr([]string{"RunAsUser"}, "use a non-zero UID such as 65532 (0 means the default)",
		"%d runs as root, which PodSecurity \"restricted\" forbids", a.RunAsUser)
}

func checkImagePullPolicy(a Args) error {
	switch a.ImagePullPolicy {
	case "Always", "IfNotPresent", "Never":
		return nil
	}
	return fieldErr([]string{"ImagePullPolicy"}, "use Always, IfNotPresent or Never", "%q is not a pull policy", a.ImagePullPolicy)
}

func checkEnv(a Args) error {
	var errs []error
	for _, k := range sortedKeys(a.Env) {
		if !envNamePattern.MatchString(k) {
			errs = append(errs, fieldErr([]string{"Env"}, "use letters, digits and '_', not starting with a digit", "%q is not a valid variable name", k))
		}
	}
	if _, dup := a.Env["POD_NAME"]; dup {
		errs = append(errs, fieldErr([]string{"Env"}, "remove POD_NAME from Env: the component sets it from the downward API", "POD_NAME is set twice"))
	}
	fromModel := map[string]string{}
	for _, f := range []struct{ field, name string }{{"ShutdownTimeoutEnv", a.ShutdownTimeoutEnv}, {"KeepAliveTimeoutEnv", a.KeepAliveTimeoutEnv}} {
		if f.name == "" {
			continue
		}
		if !envNamePattern.MatchString(f.name) {
			errs = append(errs, fieldErr([]string{f.field}, "use letters, digits and '_'", "%q is not a valid variable name", f.name))
		}
		if _, dup := a.Env[f.name]; dup {
			errs = append(errs, fieldErr([]string{f.field, "Env"}, "remove it from Env: the component sets it from the timing model",
				"%q is set twice", f.name))
		}
		if f.name == "POD_NAME" {
			errs = append(errs, fieldErr([]string{f.field}, "name a different variable: the component sets POD_NAME from the downward API", "%q is set twice", f.name))
		}
		if other, dup := fromModel[f.name]; dup {
			errs = append(errs, fieldErr([]string{other, f.field}, "name two different variables", "both are %q", f.name))
		}
		fromModel[f.name] = f.field
	}
	if a.KeepAliveTimeoutEnv != "" && a.Timing.AppKeepAliveSeconds > 0 {
		errs = append(errs, fieldErr([]string{"KeepAliveTimeoutEnv", "Timing.AppKeepAliveSeconds"},
			"set one: KeepAliveTimeoutEnv when the app reads its keep-alive from the environment, Timing.AppKeepAliveSeconds when it is fixed",
			"both are set: the keep-alive would have two sources"))
	}
	return errors.Join(errs...)
}

func checkIngressPaths(a Args) error {
	var errs []error
	seen := map[string]bool{}
	for i, p := range a.Ingress.Paths {
		field := fmt.Sprintf("Ingress.Paths[%d]", i)
		if !pathPattern.MatchString(p) {
			errs = append(errs, fieldErr([]string{field}, "use an absolute prefix such as / or /api", "%q is not an HTTP path", p))
		}
		if seen[p] {
			errs = append(errs, fieldErr([]string{field}, "list each path once", "%q is repeated", p))
		}
		seen[p] = true
	}
	return errors.Join(errs...)
}

func checkIngressGroupAndScheme(a Args) error {
	var errs []error
	if g := a.Ingress.GroupName; g != "" && (len(g) > 63 || !groupPattern.MatchString(g)) {
		errs = append(errs, fieldErr([]string{"Ingress.GroupName"},
			"use at most 63 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
			"%q is not a valid IngressGroup name", g))
	}
	if s := a.Ingress.Scheme; s != SchemeInternal && s != SchemeInternetFacing {
		errs = append(errs, fieldErr([]string{"Ingress.Scheme"}, "use internal or internet-facing", "%q is not an ALB scheme", s))
	}
	return errors.Join(errs...)
}

func checkIngressClassName(a Args) error {
	if c := a.Ingress.ClassName; len(c) <= 253 && groupPattern.MatchString(c) {
		return nil
	}
	return fieldErr([]string{"Ingress.ClassName"}, "use the name of the IngressClass your AWS Load Balancer Controller serves (kubectl get ingressclass), e.g. alb",
		"%q is not an IngressClass name", a.Ingress.ClassName)
}

func checkIngressHost(a Args) error {
	if a.Ingress.Host == nil {
		if len(a.Ingress.AdditionalHosts) > 0 {
			return fieldErr([]string{"Ingress.AdditionalHosts", "Ingress.Host"}, "set Ingress.Host too (the first host), or drop AdditionalHosts",
				"additional hosts without a host: the Ingress would also match every host")
		}
		return nil
	}
	var errs []error
	seen := map[string]string{}
	for i, in := range append([]pulumi.StringInput{a.Ingress.Host}, a.Ingress.AdditionalHosts...) {
		field := "Ingress.Host"
		if i > 0 {
			field = fmt.Sprintf("Ingress.AdditionalHosts[%d]", i-1)
		}
		if in == nil {
			errs = append(errs, fieldErr([]string{field}, "pass a host name or remove the entry", "is not set"))
			continue
		}
		h, ok := knownString(in)
		if !ok {
			continue
		}
		if len(h) > 253 || !hostPattern.MatchString(h) {
			errs = append(errs, fieldErr([]string{field}, "use a lowercase DNS name such as app.example.com (or *.example.com)",
				"%q is not a host name", h))
		}
		if other, dup := seen[h]; dup {
			errs = append(errs, fieldErr([]string{other, field}, "list each host once", "both are %q", h))
		}
		seen[h] = field
	}
	return errors.Join(errs...)
}

func checkIngressGroupOrder(a Args) error {
	o := a.Ingress.GroupOrder
	switch {
	case o != 0 && a.Ingress.GroupName == "":
		return fieldErr([]string{"Ingress.GroupOrder", "Ingress.GroupName"}, "set Ingress.GroupName, or drop GroupOrder", "orders rules within a group, but the Ingress joins none")
	case o < -1000 || o > 1000:
		return fieldErr([]string{"Ingress.GroupOrder"}, "use -1000..1000", "is %d", o)
	}
	return nil
}

func checkTLS(a Args) error {
	if a.Ingress.TLS == nil {
		return nil
	}
	if a.Ingress.TLS.CertificateArns == nil {
		return fieldErr([]string{"Ingress.TLS.CertificateArns"}, "pass at least one ACM certificate ARN, or drop Ingress.TLS", "is not set")
	}
	arns, ok := a.Ingress.TLS.CertificateArns.(pulumi.StringArray)
	if !ok {
		return nil
	}
	if len(arns) == 0 {
		return fieldErr([]string{"Ingress.TLS.CertificateArns"}, "pass at least one ACM certificate ARN, or drop Ingress.TLS", "is empty")
	}
	var errs []error
	for i, in := range arns {
		if s, known := knownString(in); known && !arnPattern.MatchString(s) {
			errs = append(errs, fieldErr([]string{fmt.Sprintf("Ingress.TLS.CertificateArns[%d]", i)},
				"use an ARN such as arn:aws:acm:eu-west-1:123456789012:certificate/<id>", "%q is not a certificate ARN", s))
		}
	}
	return errors.Join(errs...)
}
