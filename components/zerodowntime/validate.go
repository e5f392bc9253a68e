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

// timingRule checks one property of the derived model; in holds the inputs
// after defaults, t the derived values.
type timingRule func(in TimingArgs, t Timing) error

// timingRules is the registry of timing checks, each a small named function.
var timingRules = []timingRule{
	checkTimingInputsPositive,
	checkHealthCheckRanges,
	checkStartupCoversBoot,
	checkPreStopCoversPropagation,
	checkGraceCoversShutdown,
	checkDeregistrationDelay,
	checkSlowStart,
	checkProgressDeadline,
}

func validateTiming(in TimingArgs, t Timing) error {
	var errs []error
	for _, rule := range timingRules {
		if err := rule(in, t); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func checkTimingInputsPositive(in TimingArgs, _ Timing) error {
	var errs []error
	for _, f := range []struct {
		name string
		v    int
	}{
		{"Timing.BootSeconds", in.BootSeconds},
		{"Timing.MaxRequestSeconds", in.MaxRequestSeconds},
		{"Timing.DeregistrationPropagationSeconds", in.DeregistrationPropagationSeconds},
		{"Timing.PreStopSeconds", in.PreStopSeconds},
		{"Timing.TerminationGracePeriodSeconds", in.TerminationGracePeriodSeconds},
		{"Timing.DeregistrationDelaySeconds", in.DeregistrationDelaySeconds},
		{"Timing.HealthCheckTimeoutSeconds", in.HealthCheckTimeoutSeconds},
		{"Timing.StartupFailureThreshold", in.StartupFailureThreshold},
		{"Timing.ProgressDeadlineSeconds", in.ProgressDeadlineSeconds},
		{"Timing.SlowStartSeconds", in.SlowStartSeconds},
	} {
		if f.v < 0 {
			errs = append(errs, fieldErr([]string{f.name}, "use a positive number, or 0 for the default",
				"is %d, a negative duration or count", f.v))
		}
	}
	if in.MinReadySeconds < -1 {
		errs = append(errs, fieldErr([]string{"Timing.MinReadySeconds"}, "use 0 for the default, -1 for none, or a positive number",
			"is %d", in.MinReadySeconds))
	}
	return errors.Join(errs...)
}

func checkHealthCheckRanges(_ TimingArgs, t Timing) error {
	var errs []error
	if t.HealthCheckIntervalSeconds < albMinInterval || t.HealthCheckIntervalSeconds > albMaxInterval {
		errs = append(errs, fieldErr([]string{"Timing.HealthCheckIntervalSeconds"},
			fmt.Sprintf("choose %d..%d", albMinInterval, albMaxInterval),
			"is %d s, outside the ALB's range", t.HealthCheckIntervalSeconds))
	}
	if t.HealthCheckTimeoutSeconds < albMinTimeout || t.HealthCheckTimeoutSeconds > albMaxTimeout {
		errs = append(errs, fieldErr([]string{"Timing.HealthCheckTimeoutSeconds"},
			fmt.Sprintf("choose %d..%d", albMinTimeout, albMaxTimeout),
			"is %d s, outside the ALB's range", t.HealthCheckTimeoutSeconds))
	}
	if t.HealthCheckTimeoutSeconds >= t.HealthCheckIntervalSeconds {
		errs = append(errs, fieldErr([]string{"Timing.HealthCheckTimeoutSeconds", "Timing.HealthCheckIntervalSeconds"},
			"make the timeout smaller than the interval, or drop the timeout override",
			"timeout %d s is not below interval %d s: AWS rejects the target group (\"Health check interval must be greater than the timeout\")",
			t.HealthCheckTimeoutSeconds, t.HealthCheckIntervalSeconds))
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"Timing.HealthyThreshold", t.HealthyThreshold}, {"Timing.UnhealthyThreshold", t.UnhealthyThreshold}} {
		if f.v < albMinThreshold || f.v > albMaxThreshold {
			errs = append(errs, fieldErr([]string{f.name}, fmt.Sprintf("choose %d..%d", albMinThreshold, albMaxThreshold),
				"is %d, outside the ALB's range", f.v))
		}
	}
	return errors.Join(errs...)
}

func checkStartupCoversBoot(in TimingArgs, t Timing) error {
	if t.StartupBudgetSeconds() >= in.BootSeconds {
		return nil
	}
	return fieldErr([]string{"Timing.StartupFailureThreshold", "Timing.BootSeconds"},
		fmt.Sprintf("raise Timing.StartupFailureThreshold to at least %d or drop the override", ceilDiv(in.BootSeconds, t.Startup.PeriodSeconds)),
		"the startup probe gives up after %d s but the app may need %d s to boot: the kubelet would restart it in a loop",
		t.StartupBudgetSeconds(), in.BootSeconds)
}

func checkPreStopCoversPropagation(_ TimingArgs, t Timing) error {
	need := t.RequiredPreStopSeconds(true)
	if t.PreStopSeconds >= need {
		return nil
	}
	return fieldErr([]string{"Timing.PreStopSeconds", "Timing.DeregistrationPropagationSeconds"},
		fmt.Sprintf("raise Timing.PreStopSeconds to at least %d, or drop the override", need),
		"preStop %d s ends before routing to the pod stops (%d s: kube-proxy and the ALB still send new requests): requests hit a pod that is shutting down (502/timeouts)",
		t.PreStopSeconds, need)
}

func checkGraceCoversShutdown(_ TimingArgs, t Timing) error {
	need := t.PreStopSeconds + t.DrainSeconds
	if t.TerminationGracePeriodSeconds >= need {
		return nil
	}
	return fieldErr([]string{"Timing.TerminationGracePeriodSeconds", "Timing.PreStopSeconds", "Timing.MaxRequestSeconds"},
		fmt.Sprintf("raise Timing.TerminationGracePeriodSeconds to at least %d, or drop the override", need+killMarginSeconds),
		"grace period %d s (counted from the start of preStop) is shorter than preStop %d s + drain %d s: in-flight requests are killed by SIGKILL",
		t.TerminationGracePeriodSeconds, t.PreStopSeconds, t.DrainSeconds)
}

func checkDeregistrationDelay(in TimingArgs, t Timing) error {
	if t.DeregistrationDelaySeconds > albMaxDeregistrationDelay {
		return fieldErr([]string{"Timing.DeregistrationDelaySeconds"}, fmt.Sprintf("choose 0..%d", albMaxDeregistrationDelay),
			"is %d s, above the ALB's maximum", t.DeregistrationDelaySeconds)
	}
	if t.DeregistrationDelaySeconds < in.MaxRequestSeconds {
		return fieldErr([]string{"Timing.DeregistrationDelaySeconds", "Timing.MaxRequestSeconds"},
			fmt.Sprintf("raise Timing.DeregistrationDelaySeconds to at least %d, or drop the override", in.MaxRequestSeconds),
			"the ALB cuts requests still in flight on a deregistered target after %d s, but a request may take %d s (502)",
			t.DeregistrationDelaySeconds, in.MaxRequestSeconds)
	}
	return nil
}

func checkSlowStart(in TimingArgs, _ Timing) error {
	if in.SlowStartSeconds == 0 || (in.SlowStartSeconds >= albMinSlowStart && in.SlowStartSeconds <= albMaxSlowStart) {
		return nil
	}
	return fieldErr([]string{"Timing.SlowStartSeconds"}, fmt.Sprintf("use 0 (off) or %d..%d", albMinSlowStart, albMaxSlowStart),
		"is %d s, outside the ALB's range", in.SlowStartSeconds)
}

func checkProgressDeadline(_ TimingArgs, t Timing) error {
	if t.ProgressDeadlineSeconds > t.BatchSeconds() {
		return nil
	}
	return fieldErr([]string{"Timing.ProgressDeadlineSeconds"},
		fmt.Sprintf("raise it above %d, or drop the override", t.BatchSeconds()),
		"%d s is shorter than one healthy rollout batch (%d s: startup budget, registration, %d ALB checks, minReadySeconds): healthy rollouts would be marked failed",
		t.ProgressDeadlineSeconds, t.BatchSeconds(), t.HealthyThreshold)
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
	checkPort,
	checkProbePaths,
	checkMaxSurge,
	checkResources,
	checkRunAsUser,
	checkImagePullPolicy,
	checkEnv,
	checkIngressPaths,
	checkIngressGroupAndScheme,
	checkIngressHost,
	checkTLS,
	checkIdleTimeout,
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
		return fieldErr([]string{"Replicas", "DisablePodDisruptionBudget"},
			"use at least 2 replicas, or set DisablePodDisruptionBudget and accept downtime during node drains",
			"with %d replica the PodDisruptionBudget (maxUnavailable 1) lets a node drain take the only pod away", a.Replicas)
	}
	return nil
}

func checkPort(a Args) error {
	if a.Port >= 1 && a.Port <= 65535 {
		return nil
	}
	return fieldErr([]string{"Port"}, "use 1..65535", "%d is not a TCP port", a.Port)
}

func checkProbePaths(a Args) error {
	var errs []error
	for _, p := range []struct{ name, v string }{{"ReadinessPath", a.ReadinessPath}, {"LivenessPath", a.LivenessPath}} {
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
	var errs []error
	quantities := map[string]resource.Quantity{}
	for _, q := range []struct{ name, v string }{
		{"Resources.CPURequest", a.Resources.CPURequest},
		{"Resources.MemoryRequest", a.Resources.MemoryRequest},
		{"Resources.MemoryLimit", a.Resources.MemoryLimit},
	} {
		parsed, err := resource.ParseQuantity(q.v)
		if err != nil || parsed.Sign() <= 0 {
			errs = append(errs, fieldErr([]string{q.name}, "use a positive Kubernetes quantity such as 250m or 256Mi", "%q is not a positive quantity", q.v))
			continue
		}
		quantities[q.name] = parsed
	}
	req, okReq := quantities["Resources.MemoryRequest"]
	lim, okLim := quantities["Resources.MemoryLimit"]
	if okReq && okLim && lim.Cmp(req) < 0 {
		errs = append(errs, fieldErr([]string{"Resources.MemoryLimit", "Resources.MemoryRequest"},
			"make the limit at least the request", "limit %s is below request %s: the API server rejects the pod", lim.String(), req.String()))
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
	if a.ShutdownTimeoutEnv != "" {
		if !envNamePattern.MatchString(a.ShutdownTimeoutEnv) {
			errs = append(errs, fieldErr([]string{"ShutdownTimeoutEnv"}, "use letters, digits and '_'", "%q is not a valid variable name", a.ShutdownTimeoutEnv))
		}
		if _, dup := a.Env[a.ShutdownTimeoutEnv]; dup {
			errs = append(errs, fieldErr([]string{"ShutdownTimeoutEnv", "Env"}, "remove it from Env: the component sets it from the timing model",
				"%q is set twice", a.ShutdownTimeoutEnv))
		}
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

func checkIngressHost(a Args) error {
	if a.Ingress.Host == nil {
		return nil
	}
	if h, ok := knownString(a.Ingress.Host); ok && (len(h) > 253 || !hostPattern.MatchString(h)) {
		return fieldErr([]string{"Ingress.Host"}, "use a lowercase DNS name such as app.example.com (or *.example.com)",
			"%q is not a host name", h)
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

// albDefaultIdleTimeoutSeconds is the ALB's default idle timeout.
const albDefaultIdleTimeoutSeconds = 60

func checkIdleTimeout(a Args) error {
	idle := a.Ingress.IdleTimeoutSeconds
	if idle < 0 || idle > 4000 {
		return fieldErr([]string{"Ingress.IdleTimeoutSeconds"}, "choose 1..4000, or 0 for the ALB default of 60", "is %d", idle)
	}
	if idle == 0 {
		idle = albDefaultIdleTimeoutSeconds
	}
	maxRequest := withTimingDefaults(a.Timing).MaxRequestSeconds
	if maxRequest > idle {
		return fieldErr([]string{"Ingress.IdleTimeoutSeconds", "Timing.MaxRequestSeconds"},
			fmt.Sprintf("set Ingress.IdleTimeoutSeconds to at least %d", maxRequest),
			"the ALB closes a connection idle for %d s, but a request may take %d s (504)", idle, maxRequest)
	}
	return nil
}
