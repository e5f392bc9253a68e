package zerodowntime

import (
	"errors"
	"slices"
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
		{"secret env without name", func(a *Args) { a.Pod.SecretEnv = map[string]KeyRef{"DB_PASSWORD": {Key: "password"}} }, []string{"Pod.SecretEnv[DB_PASSWORD].Name"}},
		{"secret env bad key", func(a *Args) {
			a.Pod.SecretEnv = map[string]KeyRef{"DB_PASSWORD": {Name: pulumi.String("db"), Key: "pass word"}}
		}, []string{"Pod.SecretEnv[DB_PASSWORD].Key"}},
		{"configmap env bad variable", func(a *Args) {
			a.Pod.ConfigMapEnv = map[string]KeyRef{"1X": {Name: pulumi.String("cfg"), Key: "x"}}
		}, []string{"Pod.ConfigMapEnv[1X]"}},
		{"secret env duplicates Env", func(a *Args) {
			a.Env = map[string]pulumi.StringInput{"TOKEN": pulumi.String("x")}
			a.Pod.SecretEnv = map[string]KeyRef{"TOKEN": {Name: pulumi.String("s"), Key: "t"}}
		}, []string{"Env", "Pod.SecretEnv"}},
		{"envFrom names both", func(a *Args) {
			a.Pod.EnvFrom = []EnvFromArgs{{SecretName: pulumi.String("s"), ConfigMapName: pulumi.String("c")}}
		}, []string{"Pod.EnvFrom[0]"}},
		{"envFrom names neither", func(a *Args) { a.Pod.EnvFrom = []EnvFromArgs{{Prefix: "X_"}} }, []string{"Pod.EnvFrom[0]"}},
		{"writable dir relative", func(a *Args) { a.Pod.WritableDirs = []WritableDirArgs{{MountPath: "tmp"}} }, []string{"Pod.WritableDirs[0].MountPath"}},
		{"writable dir bad size", func(a *Args) { a.Pod.WritableDirs = []WritableDirArgs{{MountPath: "/tmp", SizeLimit: "lots"}} }, []string{"Pod.WritableDirs[0].SizeLimit"}},
		{"two mounts on one path", func(a *Args) {
			a.Pod.WritableDirs = []WritableDirArgs{{MountPath: "/etc/app"}}
			a.Pod.ConfigMapVolumes = []ObjectVolumeArgs{{Name: pulumi.String("cfg"), MountPath: "/etc/app"}}
		}, []string{"Pod.WritableDirs[0].MountPath", "Pod.ConfigMapVolumes[0].MountPath"}},
		{"secret volume without name", func(a *Args) { a.Pod.SecretVolumes = []ObjectVolumeArgs{{MountPath: "/secrets"}} }, []string{"Pod.SecretVolumes[0].Name"}},
		{"service account name", func(a *Args) { a.Pod.ServiceAccountName = "Orders_SA" }, []string{"Pod.ServiceAccountName"}},
		{"priority class name", func(a *Args) { a.Pod.PriorityClassName = "High Priority" }, []string{"Pod.PriorityClassName"}},
		{"node selector value", func(a *Args) { a.Pod.NodeSelector = map[string]string{"pool": "a b"} }, []string{"Pod.NodeSelector[pool]"}},
		{"toleration operator", func(a *Args) { a.Pod.Tolerations = []TolerationArgs{{Key: "k", Operator: "In"}} }, []string{"Pod.Tolerations[0].Operator"}},
		{"toleration exists with value", func(a *Args) { a.Pod.Tolerations = []TolerationArgs{{Key: "k", Operator: "Exists", Value: "v"}} }, []string{"Pod.Tolerations[0].Value"}},
		{"toleration effect", func(a *Args) { a.Pod.Tolerations = []TolerationArgs{{Key: "k", Effect: "Never"}} }, []string{"Pod.Tolerations[0].Effect"}},
		{"sidecar named app", func(a *Args) { a.Pod.Sidecars = []SidecarArgs{{Name: "app", Image: pulumi.String("proxy")}} }, []string{"Pod.Sidecars[0].Name"}},
		{"sidecar without image", func(a *Args) { a.Pod.Sidecars = []SidecarArgs{{Name: "proxy"}} }, []string{"Pod.Sidecars[0].Image"}},
		{"sidecar names repeated", func(a *Args) {
			a.Pod.Sidecars = []SidecarArgs{{Name: "proxy", Image: pulumi.String("p")}, {Name: "proxy", Image: pulumi.String("p")}}
		}, []string{"Pod.Sidecars[1].Name"}},
		{"sidecar bad memory", func(a *Args) {
			a.Pod.Sidecars = []SidecarArgs{{Name: "proxy", Image: pulumi.String("p"), Resources: Resources{MemoryRequest: "big"}}}
		}, []string{"Pod.Sidecars[0].Resources.MemoryRequest"}},
		{"cpu limit below request", func(a *Args) { a.Resources.CPULimit = "50m" }, []string{"Resources.CPULimit", "Resources.CPURequest"}},
		{"label overrides the selector", func(a *Args) { a.Labels = map[string]string{"app.kubernetes.io/name": "other"} }, []string{"Labels"}},
		{"label value invalid", func(a *Args) { a.Labels = map[string]string{"team": "a team"} }, []string{"Labels[team]"}},
		{"skipAwait on the ingress", func(a *Args) { a.Ingress.Annotations = map[string]string{"pulumi.com/skipAwait": "true"} }, []string{"Ingress.Annotations[pulumi.com/skipAwait]"}},
		{"pulumi annotation on the pod", func(a *Args) { a.Pod.Annotations = map[string]string{"pulumi.com/patchForce": "true"} }, []string{"Pod.Annotations[pulumi.com/patchForce]"}},
		{"ingress annotation the model derives", func(a *Args) {
			a.Ingress.Annotations = map[string]string{"alb.ingress.kubernetes.io/healthcheck-interval-seconds": "30"}
		}, []string{"Ingress.Annotations[alb.ingress.kubernetes.io/healthcheck-interval-seconds]", "Timing.HealthCheckIntervalSeconds"}},
		{"deregistration delay through an attribute", func(a *Args) {
			a.Ingress.Annotations = map[string]string{"alb.ingress.kubernetes.io/target-group-attributes": "deregistration_delay.timeout_seconds=5"}
		}, []string{"Ingress.Annotations[alb.ingress.kubernetes.io/target-group-attributes]", "Timing.DeregistrationDelaySeconds"}},
		{"idle timeout through an attribute", func(a *Args) {
			a.Ingress.Annotations = map[string]string{"alb.ingress.kubernetes.io/load-balancer-attributes": "idle_timeout.timeout_seconds=5"}
		}, []string{"Timing.IdleTimeoutSeconds"}},
		{"additional hosts without a host", func(a *Args) { a.Ingress.AdditionalHosts = []pulumi.StringInput{pulumi.String("b.example.com")} }, []string{"Ingress.AdditionalHosts", "Ingress.Host"}},
		{"host repeated", func(a *Args) {
			a.Ingress.Host = pulumi.String("a.example.com")
			a.Ingress.AdditionalHosts = []pulumi.StringInput{pulumi.String("a.example.com")}
		}, []string{"Ingress.Host", "Ingress.AdditionalHosts[0]"}},
		{"additional host invalid", func(a *Args) {
			a.Ingress.Host = pulumi.String("a.example.com")
			a.Ingress.AdditionalHosts = []pulumi.StringInput{pulumi.String("B_example")}
		}, []string{"Ingress.AdditionalHosts[0]"}},
		{"group order without group", func(a *Args) { a.Ingress.GroupOrder = 5 }, []string{"Ingress.GroupOrder", "Ingress.GroupName"}},
		{"group order out of range", func(a *Args) { a.Ingress.GroupName, a.Ingress.GroupOrder = "g", 1001 }, []string{"Ingress.GroupOrder"}},
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
	f.Add("web", "apps", "img:v1", 3, 8080, "/readyz", "/livez", "50%", 10, 5, 5, 2, 2, 15, 0, 0, 0, "/", "grp", "internal", "", 0, 0, 0, 0, 0, "proxy", "/tmp", "team", 6)
	f.Add("", "", "", -1, -1, "", "", "", -1, -1, -1, -1, -1, -1, -1, -1, -1, "", "", "", "", -1, -1, -1, -1, -2, "", "", "", -1)
	f.Add("a", "b", "c", 1<<30, 1<<30, "/x", "/x", "100%", 1<<40, 1<<40, 300, 10, 10, 1<<40, 1<<40, 1<<40, 3600, "//", "a.b", "internet-facing",
		"/x", 4000, 1<<40, 1<<40, 900, 1<<40, "app", "/", "app.kubernetes.io/name", 1)
	f.Add("web", "apps", "img", 3, 8080, "/readyz", "/livez", "1", 10, 5, 5, 2, 2, 30, 0, 0, 0, "/", "", "internal", "/livez", 60, 61, 2, 60, 30, "a", "/tmp/../x", "x/y/z", 0)
	f.Fuzz(func(t *testing.T, name, ns, image string, replicas, port int, ready, live, surge string,
		boot, req, interval, healthy, unhealthy, prop, preStop, grace, dereg int, path, group, scheme string,
		startup string, idle, keepAlive, appDrain, slowStart, minReady int, sidecar, mount, label string, maxReplicas int) {
		args := Args{
			Namespace: pulumi.String(ns), Image: pulumi.String(image), Replicas: replicas, Port: port,
			ReadinessPath: ready, LivenessPath: live, StartupPath: startup, MaxSurge: surge,
			Timing: TimingArgs{BootSeconds: boot, MaxRequestSeconds: req, HealthCheckIntervalSeconds: interval,
				HealthyThreshold: healthy, UnhealthyThreshold: unhealthy, DeregistrationPropagationSeconds: prop,
				PreStopSeconds: preStop, TerminationGracePeriodSeconds: grace, DeregistrationDelaySeconds: dereg,
				IdleTimeoutSeconds: idle, AppKeepAliveSeconds: keepAlive, AppDrainSeconds: appDrain,
				SlowStartSeconds: slowStart, MinReadySeconds: minReady},
			Pod: PodArgs{
				Sidecars:     []SidecarArgs{{Name: sidecar, Image: pulumi.String(image)}},
				WritableDirs: []WritableDirArgs{{MountPath: mount}},
			},
			Labels:  map[string]string{label: "x"},
			Ingress: IngressArgs{Paths: []string{path}, GroupName: group, Scheme: scheme},
		}
		if maxReplicas > 0 {
			args.Autoscaling = &AutoscalingArgs{MaxReplicas: maxReplicas}
		}
		a, tm, err := Validate(name, args)
		if err != nil {
			return
		}
		if a.Pod.Sidecars[0].Name == containerName || !strings.HasPrefix(a.Pod.WritableDirs[0].MountPath, "/") ||
			slices.Contains(reservedLabels, label) || (a.Autoscaling != nil && a.Autoscaling.MaxReplicas < a.Replicas) {
			t.Fatalf("accepted invalid pod arguments: %+v", a.Pod)
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
		{"one batch, minReady below the interval", func(a *Args) {
			a.KeepAliveTimeoutEnv, a.MaxSurge, a.Timing.HealthCheckIntervalSeconds, a.Timing.MinReadySeconds = "IDLE", "100%", 15, 6
		}, []string{"Timing.MinReadySeconds, Replicas, MaxSurge", "all 3 pod(s) in one batch", "(6 s)", "(15 s)", "sets 15 s"}},
		{"one batch, minReady from the model", func(a *Args) {
			a.KeepAliveTimeoutEnv, a.MaxSurge, a.Timing.HealthCheckIntervalSeconds = "IDLE", "100%", 15
		}, nil},
		{"two batches, minReady below the interval", func(a *Args) {
			a.KeepAliveTimeoutEnv, a.MaxSurge, a.Timing.HealthCheckIntervalSeconds, a.Timing.MinReadySeconds = "IDLE", "2", 15, 6
		}, nil},
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
