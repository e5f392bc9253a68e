package zerodowntime

import (
	"errors"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestValidateArgs(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(a *Args)
		fields []string
	}{
		{"namespace missing", func(a *Args) { a.Namespace = nil }, []string{"Namespace"}},
		{"namespace invalid", func(a *Args) { a.Namespace = pulumi.String("Apps_1") }, []string{"Namespace"}},
		{"image missing", func(a *Args) { a.Image = nil }, []string{"Image"}},
		{"image empty", func(a *Args) { a.Image = pulumi.String("") }, []string{"Image"}},
		{"image with spaces", func(a *Args) { a.Image = pulumi.String("web app:v1") }, []string{"Image"}},
		{"app name invalid", func(a *Args) { a.AppName = "Web_App" }, []string{"AppName"}},
		{"app name too long", func(a *Args) { a.AppName = strings.Repeat("a", 64) }, []string{"AppName"}},
		{"one replica with a PDB", func(a *Args) { a.Replicas = 1 }, []string{"Replicas", "DisablePodDisruptionBudget"}},
		{"negative replicas", func(a *Args) { a.Replicas = -1 }, []string{"Replicas"}},
		{"port zero after default is fine, 70000 is not", func(a *Args) { a.Port = 70000 }, []string{"Port"}},
		{"negative port", func(a *Args) { a.Port = -1 }, []string{"Port"}},
		{"same readiness and liveness path", func(a *Args) { a.LivenessPath = "/readyz" }, []string{"ReadinessPath", "LivenessPath"}},
		{"relative readiness path", func(a *Args) { a.ReadinessPath = "readyz" }, []string{"ReadinessPath"}},
		{"surge zero", func(a *Args) { a.MaxSurge = "0" }, []string{"MaxSurge"}},
		{"surge 0%", func(a *Args) { a.MaxSurge = "0%" }, []string{"MaxSurge"}},
		{"surge garbage", func(a *Args) { a.MaxSurge = "lots" }, []string{"MaxSurge"}},
		{"bad cpu", func(a *Args) { a.Resources.CPURequest = "fast" }, []string{"Resources.CPURequest"}},
		{"limit below request", func(a *Args) { a.Resources.MemoryRequest = "256Mi"; a.Resources.MemoryLimit = "128Mi" }, []string{"Resources.MemoryLimit"}},
		{"root user", func(a *Args) { a.RunAsUser = -5 }, []string{"RunAsUser"}},
		{"pull policy", func(a *Args) { a.ImagePullPolicy = "Sometimes" }, []string{"ImagePullPolicy"}},
		{"env name", func(a *Args) { a.Env = map[string]pulumi.StringInput{"1BAD": pulumi.String("x")} }, []string{"Env"}},
		{"env POD_NAME twice", func(a *Args) { a.Env = map[string]pulumi.StringInput{"POD_NAME": pulumi.String("x")} }, []string{"Env"}},
		{"shutdown env twice", func(a *Args) {
			a.ShutdownTimeoutEnv = "SHUTDOWN"
			a.Env = map[string]pulumi.StringInput{"SHUTDOWN": pulumi.String("1s")}
		}, []string{"ShutdownTimeoutEnv", "Env"}},
		{"ingress path relative", func(a *Args) { a.Ingress.Paths = []string{"api"} }, []string{"Ingress.Paths[0]"}},
		{"ingress path repeated", func(a *Args) { a.Ingress.Paths = []string{"/a", "/a"} }, []string{"Ingress.Paths[1]"}},
		{"group name uppercase", func(a *Args) { a.Ingress.GroupName = "Public" }, []string{"Ingress.GroupName"}},
		{"group name too long", func(a *Args) { a.Ingress.GroupName = strings.Repeat("g", 64) }, []string{"Ingress.GroupName"}},
		{"scheme", func(a *Args) { a.Ingress.Scheme = "public" }, []string{"Ingress.Scheme"}},
		{"ingress class", func(a *Args) { a.Ingress.ClassName = "ALB class" }, []string{"Ingress.ClassName"}},
		{"host", func(a *Args) { a.Ingress.Host = pulumi.String("https://app.example.com") }, []string{"Ingress.Host"}},
		{"tls without certificates", func(a *Args) { a.Ingress.TLS = &TLSArgs{} }, []string{"Ingress.TLS.CertificateArns"}},
		{"tls empty certificates", func(a *Args) { a.Ingress.TLS = &TLSArgs{CertificateArns: pulumi.StringArray{}} }, []string{"Ingress.TLS.CertificateArns"}},
		{"tls bad arn", func(a *Args) {
			a.Ingress.TLS = &TLSArgs{CertificateArns: pulumi.StringArray{pulumi.String("cert-1")}}
		}, []string{"Ingress.TLS.CertificateArns[0]"}},
		{"long requests need idle timeout", func(a *Args) { a.Timing.MaxRequestSeconds = 90 }, []string{"Timing.IdleTimeoutSeconds", "Timing.MaxRequestSeconds"}},
		{"idle timeout out of range", func(a *Args) { a.Timing.IdleTimeoutSeconds = 5000 }, []string{"Timing.IdleTimeoutSeconds"}},
		{"startup probe on the readiness path", func(a *Args) { a.StartupPath = "/readyz" }, []string{"StartupPath", "ReadinessPath"}},
		{"startup path not a path", func(a *Args) { a.StartupPath = "healthz" }, []string{"StartupPath"}},
		{"keep-alive env not a name", func(a *Args) { a.KeepAliveTimeoutEnv = "1X" }, []string{"KeepAliveTimeoutEnv"}},
		{"keep-alive env also in Env", func(a *Args) {
			a.KeepAliveTimeoutEnv = "IDLE"
			a.Env = map[string]pulumi.StringInput{"IDLE": pulumi.String("9s")}
		}, []string{"KeepAliveTimeoutEnv", "Env"}},
		{"both model variables the same", func(a *Args) { a.KeepAliveTimeoutEnv, a.ShutdownTimeoutEnv = "T", "T" }, []string{"ShutdownTimeoutEnv", "KeepAliveTimeoutEnv"}},
		{"model variable is POD_NAME", func(a *Args) { a.KeepAliveTimeoutEnv = "POD_NAME" }, []string{"KeepAliveTimeoutEnv"}},
		{"keep-alive from env and declared", func(a *Args) { a.KeepAliveTimeoutEnv, a.Timing.AppKeepAliveSeconds = "IDLE", 90 }, []string{"KeepAliveTimeoutEnv", "Timing.AppKeepAliveSeconds"}},
		{"app keep-alive shorter than ALB idle", func(a *Args) { a.Timing.AppKeepAliveSeconds = 5 }, []string{"Timing.AppKeepAliveSeconds", "Timing.IdleTimeoutSeconds"}},
		{"app keep-alive equal to ALB idle", func(a *Args) { a.Timing.AppKeepAliveSeconds, a.Timing.IdleTimeoutSeconds = 75, 75 }, []string{"Timing.AppKeepAliveSeconds", "Timing.IdleTimeoutSeconds"}},
		{"minReady shorter than slow start", func(a *Args) { a.Timing.SlowStartSeconds, a.Timing.MinReadySeconds = 60, 10 }, []string{"Timing.MinReadySeconds", "Timing.SlowStartSeconds"}},
		{"negative app drain", func(a *Args) { a.Timing.AppDrainSeconds = -1 }, []string{"Timing.AppDrainSeconds"}},
		{"replicas beside an autoscaler", func(a *Args) { a.Replicas = 5; a.Autoscaling = &AutoscalingArgs{MaxReplicas: 9} }, []string{"Replicas", "Autoscaling.MinReplicas"}},
		{"autoscaler max below min", func(a *Args) { a.Autoscaling = &AutoscalingArgs{MinReplicas: 4, MaxReplicas: 3} }, []string{"Autoscaling.MaxReplicas", "Autoscaling.MinReplicas"}},
		{"autoscaler without max", func(a *Args) { a.Autoscaling = &AutoscalingArgs{} }, []string{"Autoscaling.MaxReplicas"}},
		{"autoscaler min 1 with a PDB", func(a *Args) { a.Autoscaling = &AutoscalingArgs{MinReplicas: 1, MaxReplicas: 3} }, []string{"Autoscaling.MinReplicas", "DisablePodDisruptionBudget"}},
		{"autoscaler target out of range", func(a *Args) { a.Autoscaling = &AutoscalingArgs{MaxReplicas: 6, CPUUtilizationPercent: 5000} }, []string{"Autoscaling.CPUUtilizationPercent"}},
		{"autoscaler window out of range", func(a *Args) { a.Autoscaling = &AutoscalingArgs{MaxReplicas: 6, ScaleDownStabilizationSeconds: 4000} }, []string{"Autoscaling.ScaleDownStabilizationSeconds"}},
		{"timing error surfaces", func(a *Args) { a.Timing.PreStopSeconds = 1 }, []string{"Timing.PreStopSeconds"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := baseArgs()
			tc.mutate(args)
			_, _, err := Validate("web", *args)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, f := range tc.fields {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("error does not name %s:\n%v", f, err)
				}
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Fix == "" {
				t.Errorf("error is not a FieldError with a fix: %v", err)
			}
		})
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	args := baseArgs()
	args.Image = nil
	args.Port = 0
	args.Ingress.Scheme = "public"
	args.Timing.PreStopSeconds = 1
	_, _, err := Validate("web", *args)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, f := range []string{"Image", "Ingress.Scheme", "Timing.PreStopSeconds"} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("missing %s in %v", f, err)
		}
	}
}

func TestValidateAcceptsOutputsItCannotKnowYet(t *testing.T) {
	args := baseArgs()
	// Unknown at construction: an image digest from a build, a host from DNS.
	args.Image = pulumi.String("x").ToStringOutput().ApplyT(func(s string) string { return s }).(pulumi.StringOutput)
	args.Ingress.Host = pulumi.String("x").ToStringOutput()
	if _, _, err := Validate("web", *args); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

// FuzzValidate feeds arbitrary arguments to Validate: it must never panic,
// and whatever it accepts must satisfy the model's invariants.
func FuzzValidate(f *testing.F) {
	f.Add("web", "apps", "img:v1", 3, 8080, "/readyz", "/livez", "50%", 10, 5, 5, 2, 2, 15, 0, 0, 0, "/", "grp", "internal", "", 0, 0, 0, 0, 0)
	f.Add("", "", "", -1, -1, "", "", "", -1, -1, -1, -1, -1, -1, -1, -1, -1, "", "", "", "", -1, -1, -1, -1, -2)
	f.Add("a", "b", "c", 1<<30, 1<<30, "/x", "/x", "100%", 1<<40, 1<<40, 300, 10, 10, 1<<40, 1<<40, 1<<40, 3600, "//", "a.b", "internet-facing",
		"/x", 4000, 1<<40, 1<<40, 900, 1<<40)
	f.Add("web", "apps", "img", 3, 8080, "/readyz", "/livez", "1", 10, 5, 5, 2, 2, 30, 0, 0, 0, "/", "", "internal", "/livez", 60, 61, 2, 60, 30)
	f.Fuzz(func(t *testing.T, name, ns, image string, replicas, port int, ready, live, surge string,
		boot, req, interval, healthy, unhealthy, prop, preStop, grace, dereg int, path, group, scheme string,
		startup string, idle, keepAlive, appDrain, slowStart, minReady int) {
		args := Args{
			Namespace: pulumi.String(ns), Image: pulumi.String(image), Replicas: replicas, Port: port,
			ReadinessPath: ready, LivenessPath: live, StartupPath: startup, MaxSurge: surge,
			Timing: TimingArgs{BootSeconds: boot, MaxRequestSeconds: req, HealthCheckIntervalSeconds: interval,
				HealthyThreshold: healthy, UnhealthyThreshold: unhealthy, DeregistrationPropagationSeconds: prop,
				PreStopSeconds: preStop, TerminationGracePeriodSeconds: grace, DeregistrationDelaySeconds: dereg,
				IdleTimeoutSeconds: idle, AppKeepAliveSeconds: keepAlive, AppDrainSeconds: appDrain,
				SlowStartSeconds: slowStart, MinReadySeconds: minReady},
			Ingress: IngressArgs{Paths: []string{path}, GroupName: group, Scheme: scheme},
		}
		a, tm, err := Validate(name, args)
		if err != nil {
			return
		}
		if tm.TerminationGracePeriodSeconds < tm.PreStopSeconds+tm.DrainSeconds || tm.PreStopSeconds < a.Timing.DeregistrationPropagationSeconds ||
			tm.DeregistrationDelaySeconds < tm.MaxRequestSeconds || tm.HealthCheckTimeoutSeconds >= tm.HealthCheckIntervalSeconds ||
			a.ReadinessPath == a.LivenessPath || a.StartupPath == a.ReadinessPath || a.Replicas < 1 ||
			tm.KeepAliveSeconds <= tm.IdleTimeoutSeconds || tm.MaxRequestSeconds > tm.IdleTimeoutSeconds ||
			tm.MinReadySeconds < tm.SlowStartSeconds || tm.DrainSeconds < tm.AppDrainSeconds+tm.MaxRequestSeconds {
			t.Fatalf("accepted a model that reopens a failure window: %+v", tm)
		}
	})
}

func TestWarnings(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(a *Args)
		want   []string
	}{
		{"keep-alive unknown", func(*Args) {}, []string{"Timing.AppKeepAliveSeconds, KeepAliveTimeoutEnv", "65s"}},
		{"keep-alive from the environment", func(a *Args) { a.KeepAliveTimeoutEnv = "IDLE_TIMEOUT" }, nil},
		{"keep-alive declared", func(a *Args) { a.Timing.AppKeepAliveSeconds = 75 }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := baseArgs()
			tc.mutate(args)
			a, tm, err := Validate("web", *args)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(Warnings(a, tm), "\n")
			if len(tc.want) == 0 && got != "" {
				t.Errorf("unexpected warning: %s", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("warnings %q do not contain %q", got, w)
				}
			}
		})
	}
}
