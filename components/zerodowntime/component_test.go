package zerodowntime

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zdt-eks/zdt/internal/lbc"
	"github.com/zdt-eks/zdt/internal/pulumitest"
)

const (
	typeDeployment = "kubernetes:apps/v1:Deployment"
	typeService    = "kubernetes:core/v1:Service"
	typeIngress    = "kubernetes:networking.k8s.io/v1:Ingress"
	typePDB        = "kubernetes:policy/v1:PodDisruptionBudget"
	typeHPA        = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
	testHostname   = "k8s-demo-web-0123456789.eu-west-1.elb.amazonaws.com"
)

// ingressStatus plays the AWS Load Balancer Controller: it writes the ALB
// hostname into the Ingress status.
func ingressStatus(typ, _ string, _ resource.PropertyMap) resource.PropertyMap {
	if typ != typeIngress {
		return nil
	}
	return resource.NewPropertyMapFromMap(map[string]any{
		"status": map[string]any{"loadBalancer": map[string]any{"ingress": []any{map[string]any{"hostname": testHostname}}}},
	})
}

type result struct {
	rec      *pulumitest.Recorder
	hostname string
	url      string
	timing   Timing
}

// deploy runs NewZeroDowntimeApp under mocks and waits for its outputs.
func deploy(t *testing.T, name string, args *Args) (result, error) {
	t.Helper()
	rec := pulumitest.NewRecorder(ingressStatus)
	var res result
	res.rec = rec
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		app, err := NewZeroDowntimeApp(ctx, name, args)
		if err != nil {
			return err
		}
		res.timing = app.Timing
		var wg sync.WaitGroup
		wg.Add(1)
		pulumi.All(app.AlbHostname, app.URL).ApplyT(func(v []any) error {
			res.hostname, res.url = v[0].(string), v[1].(string)
			wg.Done()
			return nil
		})
		wg.Wait()
		return nil
	}, pulumi.WithMocks("zdt", "test", rec))
	return res, err
}

func baseArgs() *Args {
	return &Args{
		Namespace: pulumi.String("apps"),
		Image:     pulumi.String("registry.example/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
		Version:   "v1",
		Timing:    TimingArgs{BootSeconds: 10, MaxRequestSeconds: 5},
	}
}

func mustDeploy(t *testing.T, name string, args *Args) result {
	t.Helper()
	res, err := deploy(t, name, args)
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	return res
}

func TestRegistersEveryObjectAsChildren(t *testing.T) {
	res := mustDeploy(t, "web", baseArgs())
	for _, typ := range []string{typeService, typeIngress, typeDeployment, typePDB} {
		r := res.rec.MustFind(t, typ, "web")
		if !r.ChildOf(TypeToken, "web") {
			t.Errorf("%s is not parented to the component (parent %q)", typ, r.Parent)
		}
	}
	if _, ok := res.rec.Find(TypeToken, "web"); !ok {
		t.Fatal("component itself not registered")
	}
	if !strings.HasSuffix(TypeToken, "ZeroDowntimeApp") {
		t.Errorf("type token %q", TypeToken)
	}
}

func TestDependencyOrderGivesFirstPodsTheirGate(t *testing.T) {
	res := mustDeploy(t, "web", baseArgs())
	dep := res.rec.MustFind(t, typeDeployment, "web")
	ing := res.rec.MustFind(t, typeIngress, "web")
	for _, edge := range []struct {
		from pulumitest.Resource
		typ  string
	}{{dep, typeService}, {dep, typeIngress}, {ing, typeService}} {
		if !edge.from.DependsOn(edge.typ, "web") {
			t.Errorf("%s does not depend on %s: pods could be created before the LBC can inject their readiness gate", edge.from.Type, edge.typ)
		}
	}
	svc := res.rec.MustFind(t, typeService, "web")
	if svc.DependsOn(typeDeployment, "web") || ing.DependsOn(typeDeployment, "web") {
		t.Error("Service or Ingress depends on the Deployment: cycle against the gate ordering")
	}
}

func TestDependsOnReachesEveryChild(t *testing.T) {
	rec := pulumitest.NewRecorder(ingressStatus)
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		lbc := &pulumi.CustomResourceState{} // stands for the LBC Helm release
		if err := ctx.RegisterResource("test:index:Lbc", "lbc", nil, lbc); err != nil {
			return err
		}
		args := baseArgs()
		args.DependsOn = []pulumi.Resource{lbc}
		_, err := NewZeroDowntimeApp(ctx, "web", args)
		return err
	}, pulumi.WithMocks("zdt", "test", rec))
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{typeService, typeIngress, typeDeployment, typePDB} {
		if r := rec.MustFind(t, typ, "web"); !r.DependsOn("test:index:Lbc", "lbc") {
			t.Errorf("%s does not wait for Args.DependsOn", typ)
		}
	}
}

func TestServiceSelectsExactlyThePodLabels(t *testing.T) {
	res := mustDeploy(t, "web", baseArgs())
	svc := res.rec.MustFind(t, typeService, "web")
	dep := res.rec.MustFind(t, typeDeployment, "web")
	selector := svc.MustGet(t, "spec", "selector").(map[string]any)
	podLabels := dep.MustGet(t, "spec", "template", "metadata", "labels").(map[string]any)
	matchLabels := dep.MustGet(t, "spec", "selector", "matchLabels").(map[string]any)
	for k, v := range selector {
		if podLabels[k] != v {
			t.Errorf("Service selects %s=%v but pods carry %v", k, v, podLabels[k])
		}
		if matchLabels[k] != v {
			t.Errorf("Service selects %s=%v but the Deployment selects %v", k, v, matchLabels[k])
		}
	}
	if len(selector) != len(matchLabels) {
		t.Errorf("selectors differ: service %v deployment %v", selector, matchLabels)
	}
	if _, ok := matchLabels[labelVersion]; ok {
		t.Error("the immutable Deployment selector includes the version")
	}
	if got := svc.MustGet(t, "metadata", "annotations", "pulumi.com/skipAwait"); got != "true" {
		t.Errorf("Service skipAwait = %v; the Service await would wait for pods that are created after it", got)
	}
	if got := svc.MustGet(t, "spec", "ports", 0, "targetPort"); got != portName {
		t.Errorf("targetPort = %v, want the named port", got)
	}
}

func TestDeploymentZeroDowntimeSettings(t *testing.T) {
	res := mustDeploy(t, "web", baseArgs())
	tm := res.timing
	dep := res.rec.MustFind(t, typeDeployment, "web")
	c := func(path ...any) any {
		return dep.MustGet(t, append([]any{"spec", "template", "spec", "containers", 0}, path...)...)
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"maxUnavailable", dep.MustGet(t, "spec", "strategy", "rollingUpdate", "maxUnavailable"), 0.0},
		{"maxSurge", dep.MustGet(t, "spec", "strategy", "rollingUpdate", "maxSurge"), "50%"},
		{"strategy", dep.MustGet(t, "spec", "strategy", "type"), "RollingUpdate"},
		{"replicas", dep.MustGet(t, "spec", "replicas"), 3.0},
		{"minReadySeconds", dep.MustGet(t, "spec", "minReadySeconds"), float64(tm.MinReadySeconds)},
		{"progressDeadlineSeconds", dep.MustGet(t, "spec", "progressDeadlineSeconds"), float64(tm.ProgressDeadlineSeconds)},
		{"grace", dep.MustGet(t, "spec", "template", "spec", "terminationGracePeriodSeconds"), float64(tm.TerminationGracePeriodSeconds)},
		{"preStop sleep", c("lifecycle", "preStop", "sleep", "seconds"), float64(tm.PreStopSeconds)},
		{"startup path", c("startupProbe", "httpGet", "path"), "/livez"},
		{"startup threshold", c("startupProbe", "failureThreshold"), float64(tm.Startup.FailureThreshold)},
		{"readiness path", c("readinessProbe", "httpGet", "path"), "/readyz"},
		{"liveness path", c("livenessProbe", "httpGet", "path"), "/livez"},
		{"liveness period", c("livenessProbe", "periodSeconds"), float64(tm.Liveness.PeriodSeconds)},
		{"cpu request", c("resources", "requests", "cpu"), "100m"},
		{"memory request", c("resources", "requests", "memory"), "128Mi"},
		{"no privilege escalation", c("securityContext", "allowPrivilegeEscalation"), false},
		{"drop ALL", c("securityContext", "capabilities", "drop", 0), "ALL"},
		{"read-only root", c("securityContext", "readOnlyRootFilesystem"), true},
		{"non-root", dep.MustGet(t, "spec", "template", "spec", "securityContext", "runAsNonRoot"), true},
		{"seccomp", dep.MustGet(t, "spec", "template", "spec", "securityContext", "seccompProfile", "type"), "RuntimeDefault"},
		{"image", c("image"), "registry.example/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{"version label", dep.MustGet(t, "spec", "template", "metadata", "labels", labelVersion), "v1"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
	if _, ok := dep.Get("spec", "template", "spec", "containers", 0, "readinessProbe", "initialDelaySeconds"); ok {
		t.Error("readiness probe guesses initialDelaySeconds; the startup probe covers boot")
	}
	if _, ok := dep.Get("spec", "template", "spec", "containers", 0, "lifecycle", "preStop", "exec"); ok {
		t.Error("preStop uses exec by default; it fails in distroless images")
	}
	// The grace period must hold preStop and the drain (it counts from preStop start).
	if tm.TerminationGracePeriodSeconds < tm.PreStopSeconds+tm.DrainSeconds {
		t.Errorf("grace %d < preStop %d + drain %d", tm.TerminationGracePeriodSeconds, tm.PreStopSeconds, tm.DrainSeconds)
	}
}

func TestPreStopExecFallback(t *testing.T) {
	args := baseArgs()
	args.PreStopExecFallback = true
	res := mustDeploy(t, "web", args)
	dep := res.rec.MustFind(t, typeDeployment, "web")
	cmd := dep.MustGet(t, "spec", "template", "spec", "containers", 0, "lifecycle", "preStop", "exec", "command").([]any)
	if len(cmd) != 2 || cmd[0] != "sleep" || cmd[1] != "30" {
		t.Errorf("exec fallback command = %v", cmd)
	}
	if _, ok := dep.Get("spec", "template", "spec", "containers", 0, "lifecycle", "preStop", "sleep"); ok {
		t.Error("both sleep and exec set")
	}
}

func TestShutdownTimeoutEnvCarriesDrainBudget(t *testing.T) {
	args := baseArgs()
	args.ShutdownTimeoutEnv = "SHUTDOWN_TIMEOUT"
	args.Env = map[string]pulumi.StringInput{"B": pulumi.String("2"), "A": pulumi.String("1")}
	res := mustDeploy(t, "web", args)
	dep := res.rec.MustFind(t, typeDeployment, "web")
	env := dep.MustGet(t, "spec", "template", "spec", "containers", 0, "env").([]any)
	var names []string
	values := map[string]any{}
	for _, e := range env {
		m := e.(map[string]any)
		names = append(names, m["name"].(string))
		values[m["name"].(string)] = m["value"]
	}
	if strings.Join(names, ",") != "POD_NAME,SHUTDOWN_TIMEOUT,A,B" {
		t.Errorf("env order = %v", names)
	}
	if values["SHUTDOWN_TIMEOUT"] != "7s" { // MaxRequestSeconds 5 + 2 s margin
		t.Errorf("SHUTDOWN_TIMEOUT = %v, want 7s", values["SHUTDOWN_TIMEOUT"])
	}
}

func TestIngressAnnotationsFollowTheTimingModel(t *testing.T) {
	res := mustDeploy(t, "web", baseArgs())
	tm := res.timing
	ing := res.rec.MustFind(t, typeIngress, "web")
	ann := ing.MustGet(t, "metadata", "annotations").(map[string]any)
	want := map[string]string{
		lbc.AnnotationTargetType:         "ip",
		lbc.AnnotationScheme:             "internal",
		lbc.AnnotationHealthCheckPath:    "/readyz",
		lbc.AnnotationHealthCheckPort:    "traffic-port",
		lbc.AnnotationHealthCheckInt:     "5",
		lbc.AnnotationHealthCheckTimeout: "2",
		lbc.AnnotationHealthyThreshold:   "2",
		lbc.AnnotationUnhealthyThreshold: "2",
		lbc.AnnotationSuccessCodes:       "200",
		lbc.AnnotationTargetGroupAttrs:   "deregistration_delay.timeout_seconds=37",
		lbc.AnnotationListenPorts:        `[{"HTTP":80}]`,
	}
	for k, v := range want {
		if ann[k] != v {
			t.Errorf("annotation %s = %v, want %q", k, ann[k], v)
		}
	}
	for _, k := range []string{lbc.AnnotationGroupName, lbc.AnnotationCertificateArn, lbc.AnnotationSSLRedirect} {
		if _, ok := ann[k]; ok {
			t.Errorf("unexpected annotation %s", k)
		}
	}
	if tm.DeregistrationDelaySeconds != 37 {
		t.Errorf("timing deregistration delay %d", tm.DeregistrationDelaySeconds)
	}
	if got := ing.MustGet(t, "spec", "ingressClassName"); got != "alb" {
		t.Errorf("ingressClassName = %v", got)
	}
	if got := ing.MustGet(t, "spec", "rules", 0, "http", "paths", 0, "backend", "service", "name"); got != "web" {
		t.Errorf("backend service = %v", got)
	}
	if _, ok := ing.Get("spec", "rules", 0, "host"); ok {
		t.Error("host set without Ingress.Host")
	}
	if res.hostname != testHostname || res.url != "http://"+testHostname+"/" {
		t.Errorf("outputs hostname=%q url=%q", res.hostname, res.url)
	}
}

func TestIngressTLSGroupHostAndPaths(t *testing.T) {
	args := baseArgs()
	args.Ingress = IngressArgs{
		Host:      pulumi.String("app.example.com"),
		Paths:     []string{"/api", "/web"},
		GroupName: "shared.public",
		Scheme:    SchemeInternetFacing,
		TLS: &TLSArgs{CertificateArns: pulumi.StringArray{
			pulumi.String("arn:aws:acm:eu-west-1:123456789012:certificate/a"),
			pulumi.String("arn:aws:acm:eu-west-1:123456789012:certificate/b"),
		}},
	}
	args.Timing.SlowStartSeconds = 30
	args.Timing.IdleTimeoutSeconds = 120
	res := mustDeploy(t, "web", args)
	ing := res.rec.MustFind(t, typeIngress, "web")
	ann := ing.MustGet(t, "metadata", "annotations").(map[string]any)
	want := map[string]string{
		lbc.AnnotationScheme:            "internet-facing",
		lbc.AnnotationGroupName:         "shared.public",
		lbc.AnnotationListenPorts:       `[{"HTTP":80},{"HTTPS":443}]`,
		lbc.AnnotationSSLRedirect:       "443",
		lbc.AnnotationCertificateArn:    "arn:aws:acm:eu-west-1:123456789012:certificate/a,arn:aws:acm:eu-west-1:123456789012:certificate/b",
		lbc.AnnotationLoadBalancerAttrs: "idle_timeout.timeout_seconds=120",
		lbc.AnnotationTargetGroupAttrs:  "deregistration_delay.timeout_seconds=37,slow_start.duration_seconds=30",
	}
	for k, v := range want {
		if ann[k] != v {
			t.Errorf("annotation %s = %v, want %q", k, ann[k], v)
		}
	}
	if got := ing.MustGet(t, "spec", "rules", 0, "host"); got != "app.example.com" {
		t.Errorf("host = %v", got)
	}
	if got := ing.MustGet(t, "spec", "rules", 0, "http", "paths", 1, "path"); got != "/web" {
		t.Errorf("second path = %v", got)
	}
	if res.url != "https://app.example.com/api/" {
		t.Errorf("url = %q", res.url)
	}
}

func TestPodDisruptionBudget(t *testing.T) {
	res := mustDeploy(t, "web", baseArgs())
	pdb := res.rec.MustFind(t, typePDB, "web")
	if got := pdb.MustGet(t, "spec", "maxUnavailable"); got != 1.0 {
		t.Errorf("maxUnavailable = %v", got)
	}
	args := baseArgs()
	args.DisablePodDisruptionBudget = true
	args.Replicas = 1
	res = mustDeploy(t, "web", args)
	if _, ok := res.rec.Find(typePDB, "web"); ok {
		t.Error("PDB registered although disabled")
	}
}

func TestInvalidArgsRegisterNothing(t *testing.T) {
	args := baseArgs()
	args.Timing.PreStopSeconds = 3
	res, err := deploy(t, "web", args)
	if err == nil {
		t.Fatal("want an error")
	}
	if !strings.Contains(err.Error(), "Timing.PreStopSeconds") {
		t.Errorf("error does not name the field: %v", err)
	}
	if n := len(res.rec.Resources()); n != 0 {
		t.Errorf("%d resources registered before the validation error", n)
	}
}

// TestGoldenManifests renders the emitted objects as YAML. Run with
// UPDATE_GOLDEN=1 to accept a change; review the diff like any other.
func TestGoldenManifests(t *testing.T) {
	cases := map[string]func() *Args{
		"default": baseArgs,
		"tls-group": func() *Args {
			a := baseArgs()
			a.Ingress = IngressArgs{Host: pulumi.String("app.example.com"), GroupName: "public", Scheme: SchemeInternetFacing,
				AdditionalHosts: []pulumi.StringInput{pulumi.String("app.example.org")}, GroupOrder: 10,
				TLS: &TLSArgs{CertificateArns: pulumi.StringArray{pulumi.String("arn:aws:acm:eu-west-1:123456789012:certificate/a")}}}
			a.Replicas = 4
			a.MaxSurge = "1"
			a.ShutdownTimeoutEnv = "SHUTDOWN_TIMEOUT"
			a.KeepAliveTimeoutEnv = "IDLE_TIMEOUT"
			a.Timing.AppDrainSeconds = 2
			a.Timing.IdleTimeoutSeconds = 120
			return a
		},
		"real-service": realServiceArgs,
		"autoscaled": func() *Args {
			a := baseArgs()
			a.Autoscaling = &AutoscalingArgs{MaxReplicas: 10}
			a.KeepAliveTimeoutEnv = "IDLE_TIMEOUT"
			return a
		},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			res := mustDeploy(t, "web", args())
			got, err := res.rec.KubernetesYAML()
			if err != nil {
				t.Fatal(err)
			}
			again := mustDeploy(t, "web", args())
			got2, _ := again.rec.KubernetesYAML()
			if string(got) != string(got2) {
				t.Fatal("rendering is not stable across two runs")
			}
			path := filepath.Join("testdata", name+".golden.yaml")
			if os.Getenv("UPDATE_GOLDEN") == "1" {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("manifests differ from %s (UPDATE_GOLDEN=1 to accept):\n%s", path, got)
			}
		})
	}
}

func TestAutoscaling(t *testing.T) {
	args := baseArgs()
	args.Autoscaling = &AutoscalingArgs{MinReplicas: 2, MaxReplicas: 8, MemoryUtilizationPercent: 80}
	res := mustDeploy(t, "web", args)
	dep := res.rec.MustFind(t, typeDeployment, "web")
	if got := dep.MustGet(t, "spec", "replicas"); got != float64(2) {
		t.Errorf("deployment starts with %v replicas, want MinReplicas 2", got)
	}
	if strings.Join(dep.IgnoreChanges, ",") != "spec.replicas" {
		t.Errorf("deployment ignoreChanges = %v, want [spec.replicas] so a pulumi up after the autoscaler scaled neither conflicts nor resets", dep.IgnoreChanges)
	}
	// The await is sized for the most pods: 8 at 50 % surge is 2 batches.
	wantAwait := awaitSeconds(8, 4, res.timing)
	if got := dep.MustGet(t, "metadata", "annotations", pulumiTimeoutAnnotation); got != wantAwait {
		t.Errorf("await %v, want %s (sized from MaxReplicas)", got, wantAwait)
	}
	hpa := res.rec.MustFind(t, typeHPA, "web")
	if !hpa.ChildOf("zdt:components:ZeroDowntimeApp", "web") || !hpa.DependsOn(typeDeployment, "web") {
		t.Error("autoscaler is not a child of the component created after the deployment")
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"target", hpa.MustGet(t, "spec", "scaleTargetRef", "name"), "web"},
		{"target kind", hpa.MustGet(t, "spec", "scaleTargetRef", "kind"), "Deployment"},
		{"min", hpa.MustGet(t, "spec", "minReplicas"), float64(2)},
		{"max", hpa.MustGet(t, "spec", "maxReplicas"), float64(8)},
		{"only memory", len(hpa.MustGet(t, "spec", "metrics").([]any)), 1},
		{"memory target", hpa.MustGet(t, "spec", "metrics", 0, "resource", "target", "averageUtilization"), float64(80)},
		{"scale-down window", hpa.MustGet(t, "spec", "behavior", "scaleDown", "stabilizationWindowSeconds"), float64(300)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}

	fixed := mustDeploy(t, "web", baseArgs())
	if d := fixed.rec.MustFind(t, typeDeployment, "web"); len(d.IgnoreChanges) != 0 {
		t.Errorf("without autoscaling the deployment ignores %v", d.IgnoreChanges)
	}
	if _, ok := fixed.rec.Find(typeHPA, "web"); ok {
		t.Error("autoscaler registered without Autoscaling")
	}
}

// realServiceArgs is the README's realistic service: secrets, config, a
// service account, an autoscaler, a proxy sidecar, a writable /tmp,
// placement and extra metadata.
func realServiceArgs() *Args {
	a := baseArgs()
	a.AppName = "orders"
	a.Autoscaling = &AutoscalingArgs{MinReplicas: 3, MaxReplicas: 12, CPUUtilizationPercent: 60}
	a.ShutdownTimeoutEnv = "SHUTDOWN_TIMEOUT"
	a.KeepAliveTimeoutEnv = "IDLE_TIMEOUT"
	a.Timing.AppDrainSeconds = 3
	a.Labels = map[string]string{"team": "payments"}
	a.Pod = PodArgs{
		SecretEnv:          map[string]KeyRef{"DB_PASSWORD": {Name: pulumi.String("orders-db"), Key: "password"}},
		ConfigMapEnv:       map[string]KeyRef{"FEATURE_FLAGS": {Name: pulumi.String("orders-config"), Key: "flags"}},
		EnvFrom:            []EnvFromArgs{{ConfigMapName: pulumi.String("orders-env"), Prefix: "ORDERS_"}},
		Command:            []string{"/app/orders"},
		Args:               []string{"--serve"},
		ServiceAccountName: "orders",
		WritableDirs:       []WritableDirArgs{{MountPath: "/tmp", SizeLimit: "256Mi"}},
		ConfigMapVolumes:   []ObjectVolumeArgs{{Name: pulumi.String("orders-config"), MountPath: "/etc/orders"}},
		NodeSelector:       map[string]string{"kubernetes.io/arch": "arm64"},
		Tolerations:        []TolerationArgs{{Key: "dedicated", Value: "payments", Effect: "NoSchedule"}},
		PriorityClassName:  "business-critical",
		Sidecars: []SidecarArgs{{
			Name: "proxy", Image: pulumi.String("registry.example/proxy:1.2.3"),
			Args: []string{"--upstream=127.0.0.1:8080"}, Env: map[string]pulumi.StringInput{"LOG_LEVEL": pulumi.String("warn")},
			Resources: Resources{CPURequest: "50m", MemoryRequest: "64Mi"},
		}},
		Annotations: map[string]string{"example.com/scrape": "true"},
	}
	a.Ingress.Annotations = map[string]string{
		"alb.ingress.kubernetes.io/wafv2-acl-arn":            "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/orders/abc",
		"alb.ingress.kubernetes.io/load-balancer-attributes": "access_logs.s3.enabled=true,access_logs.s3.bucket=alb-logs",
	}
	return a
}

func TestRealServicePod(t *testing.T) {
	res := mustDeploy(t, "orders", realServiceArgs())
	dep := res.rec.MustFind(t, typeDeployment, "orders")
	spec := func(path ...any) any { return dep.MustGet(t, append([]any{"spec", "template", "spec"}, path...)...) }
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"sidecar is native", spec("initContainers", 0, "restartPolicy"), "Always"},
		{"sidecar read-only root", spec("initContainers", 0, "securityContext", "readOnlyRootFilesystem"), true},
		{"token mounted for the service account", spec("automountServiceAccountToken"), true},
		{"service account", spec("serviceAccountName"), "orders"},
		{"secret env by reference", spec("containers", 0, "env", 3, "valueFrom", "secretKeyRef", "name"), "orders-db"},
		{"writable /tmp", spec("containers", 0, "volumeMounts", 0, "mountPath"), "/tmp"},
		{"config read-only", spec("containers", 0, "volumeMounts", 1, "readOnly"), true},
		{"files readable by the app's group", spec("securityContext", "fsGroup"), float64(DefaultRunAsUser)},
		{"hostname spread", spec("topologySpreadConstraints", 1, "topologyKey"), "kubernetes.io/hostname"},
		{"extra label on pods", dep.MustGet(t, "spec", "template", "metadata", "labels", "team"), "payments"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	ing := res.rec.MustFind(t, typeIngress, "orders")
	if got := ing.MustGet(t, "metadata", "annotations", lbc.AnnotationLoadBalancerAttrs); got != "access_logs.s3.enabled=true,access_logs.s3.bucket=alb-logs" {
		t.Errorf("load balancer attributes %v: the user's attributes must be kept", got)
	}
	if got := res.rec.MustFind(t, typeDeployment, "orders"); got.IgnoreChanges == nil {
		t.Error("autoscaled deployment does not ignore spec.replicas")
	}
	plain := mustDeploy(t, "web", baseArgs()).rec.MustFind(t, typeDeployment, "web")
	if got := plain.MustGet(t, "spec", "template", "spec", "automountServiceAccountToken"); got != false {
		t.Errorf("pods without a service account get a token (automount %v)", got)
	}
}

func TestIngressGroupMembersMustAgree(t *testing.T) {
	member := func(name, scheme string, idle int) *Args {
		a := baseArgs()
		a.AppName = name
		a.Ingress.GroupName = "shared"
		a.Ingress.Scheme = scheme
		a.Timing.IdleTimeoutSeconds = idle
		return a
	}
	cases := []struct {
		name    string
		second  *Args
		wantErr []string
	}{
		{"agreeing members", member("b", SchemeInternal, 0), nil},
		{"scheme differs", member("b", SchemeInternetFacing, 0), []string{"Ingress.GroupName", "Ingress.Scheme", `"a" has internal`}},
		{"idle timeout differs", member("b", SchemeInternal, 120), []string{"Timing.IdleTimeoutSeconds"}},
		{"another group", func() *Args { a := member("b", SchemeInternetFacing, 0); a.Ingress.GroupName = "other"; return a }(), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := pulumitest.NewRecorder(ingressStatus)
			err := pulumi.RunErr(func(ctx *pulumi.Context) error {
				if _, err := NewZeroDowntimeApp(ctx, "a", member("a", SchemeInternal, 0)); err != nil {
					return err
				}
				_, err := NewZeroDowntimeApp(ctx, "b", tc.second)
				return err
			}, pulumi.WithMocks("zdt", "test", rec))
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %s: %v", w, err)
				}
			}
			if _, ok := rec.Find(typeIngress, "b"); ok {
				t.Error("the refused member registered its Ingress")
			}
		})
	}
}

func TestIngressHostsAndGroupOrder(t *testing.T) {
	args := baseArgs()
	args.Ingress.Host = pulumi.String("orders.example.com")
	args.Ingress.AdditionalHosts = []pulumi.StringInput{pulumi.String("orders.example.org")}
	args.Ingress.GroupName = "shared"
	args.Ingress.GroupOrder = 10
	res := mustDeploy(t, "web", args)
	ing := res.rec.MustFind(t, typeIngress, "web")
	for i, h := range []string{"orders.example.com", "orders.example.org"} {
		if got := ing.MustGet(t, "spec", "rules", i, "host"); got != h {
			t.Errorf("rule %d host %v, want %s", i, got, h)
		}
		if got := ing.MustGet(t, "spec", "rules", i, "http", "paths", 0, "path"); got != "/" {
			t.Errorf("rule %d path %v", i, got)
		}
	}
	if got := ing.MustGet(t, "metadata", "annotations", lbc.AnnotationGroupOrder); got != "10" {
		t.Errorf("group.order %v, want 10", got)
	}
	if res.url != "http://orders.example.com/" {
		t.Errorf("url %s uses the first host", res.url)
	}
}
