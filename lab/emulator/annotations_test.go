package emulator

import (
	"errors"
	"strings"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-eks/zdt/internal/lbc"
)

func ipAnn(kv ...string) map[string]string {
	m := map[string]string{lbc.AnnotationTargetType: "ip"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestParseTargetGroupConfig(t *testing.T) {
	s := DefaultSettings()
	for _, tc := range []struct {
		name    string
		ingress map[string]string
		service map[string]string
		check   func(t *testing.T, cfg TargetGroupConfig)
	}{
		{name: "LBC and AWS defaults", ingress: ipAnn(), check: func(t *testing.T, cfg TargetGroupConfig) {
			hc := cfg.HealthCheck
			if hc.Path != "/" || hc.Port != lbc.TrafficPort || hc.Interval != 15*time.Second || hc.Timeout != 5*time.Second ||
				hc.HealthyThreshold != 2 || hc.UnhealthyThreshold != 2 || hc.SuccessCodes.String() != "200" {
				t.Errorf("health check defaults: %+v", hc)
			}
			if cfg.DeregistrationDelay != 300*time.Second || cfg.SlowStart != 0 || cfg.TargetType != TargetTypeIP {
				t.Errorf("attributes defaults: %+v", cfg)
			}
		}},
		{name: "healthcheck-path", ingress: ipAnn(lbc.AnnotationHealthCheckPath, "/readyz"), check: func(t *testing.T, cfg TargetGroupConfig) {
			if cfg.HealthCheck.Path != "/readyz" {
				t.Errorf("path %q", cfg.HealthCheck.Path)
			}
		}},
		{name: "healthcheck-port number", ingress: ipAnn(lbc.AnnotationHealthCheckPort, "9000"), check: func(t *testing.T, cfg TargetGroupConfig) {
			if cfg.HealthCheck.Port != "9000" {
				t.Errorf("port %q", cfg.HealthCheck.Port)
			}
		}},
		{name: "interval and timeout", ingress: ipAnn(lbc.AnnotationHealthCheckInt, "5", lbc.AnnotationHealthCheckTimeout, "2"), check: func(t *testing.T, cfg TargetGroupConfig) {
			if cfg.HealthCheck.Interval != 5*time.Second || cfg.HealthCheck.Timeout != 2*time.Second {
				t.Errorf("interval %s timeout %s", cfg.HealthCheck.Interval, cfg.HealthCheck.Timeout)
			}
		}},
		{name: "thresholds", ingress: ipAnn(lbc.AnnotationHealthyThreshold, "3", lbc.AnnotationUnhealthyThreshold, "10"), check: func(t *testing.T, cfg TargetGroupConfig) {
			if cfg.HealthCheck.HealthyThreshold != 3 || cfg.HealthCheck.UnhealthyThreshold != 10 {
				t.Errorf("thresholds %d/%d", cfg.HealthCheck.HealthyThreshold, cfg.HealthCheck.UnhealthyThreshold)
			}
		}},
		{name: "success codes range", ingress: ipAnn(lbc.AnnotationSuccessCodes, "200-299,302"), check: func(t *testing.T, cfg TargetGroupConfig) {
			sc := cfg.HealthCheck.SuccessCodes
			if !sc.Matches(204) || !sc.Matches(302) || sc.Matches(301) || sc.Matches(503) {
				t.Errorf("matcher %s", sc)
			}
		}},
		{name: "target group attributes", ingress: ipAnn(lbc.AnnotationTargetGroupAttrs, "deregistration_delay.timeout_seconds=30, slow_start.duration_seconds=60,stickiness.enabled=false"),
			check: func(t *testing.T, cfg TargetGroupConfig) {
				if cfg.DeregistrationDelay != 30*time.Second || cfg.SlowStart != 60*time.Second {
					t.Errorf("attributes %+v", cfg)
				}
			}},
		{name: "deregistration delay 0", ingress: ipAnn(lbc.AnnotationTargetGroupAttrs, "deregistration_delay.timeout_seconds=0"), check: func(t *testing.T, cfg TargetGroupConfig) {
			if cfg.DeregistrationDelay != 0 {
				t.Errorf("delay %s", cfg.DeregistrationDelay)
			}
		}},
		{name: "service annotations override the ingress", ingress: ipAnn(lbc.AnnotationHealthCheckPath, "/a"),
			service: map[string]string{lbc.AnnotationHealthCheckPath: "/b"}, check: func(t *testing.T, cfg TargetGroupConfig) {
				if cfg.HealthCheck.Path != "/b" {
					t.Errorf("path %q, want the Service's", cfg.HealthCheck.Path)
				}
			}},
		{name: "target type ip from the service", ingress: map[string]string{}, service: map[string]string{lbc.AnnotationTargetType: "ip"},
			check: func(t *testing.T, cfg TargetGroupConfig) {
				if cfg.TargetType != TargetTypeIP {
					t.Errorf("target type %q", cfg.TargetType)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseTargetGroupConfig(tc.ingress, tc.service, s)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			tc.check(t, cfg)
		})
	}
}

func TestParseTargetGroupConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name        string
		ingress     map[string]string
		unsupported bool
		wantKey     string
		wantText    string
	}{
		{name: "no target type: LBC default instance", ingress: map[string]string{}, unsupported: true, wantText: "absent"},
		{name: "instance target type", ingress: map[string]string{lbc.AnnotationTargetType: "instance"}, unsupported: true, wantText: "instance"},
		{name: "unknown target type", ingress: map[string]string{lbc.AnnotationTargetType: "lambda"}, wantKey: lbc.AnnotationTargetType},
		{name: "interval below 5", ingress: ipAnn(lbc.AnnotationHealthCheckInt, "4", lbc.AnnotationHealthCheckTimeout, "2"), wantKey: lbc.AnnotationHealthCheckInt},
		{name: "interval above 300", ingress: ipAnn(lbc.AnnotationHealthCheckInt, "301"), wantKey: lbc.AnnotationHealthCheckInt},
		{name: "interval not a number", ingress: ipAnn(lbc.AnnotationHealthCheckInt, "15s"), wantKey: lbc.AnnotationHealthCheckInt},
		{name: "timeout below 2", ingress: ipAnn(lbc.AnnotationHealthCheckTimeout, "1"), wantKey: lbc.AnnotationHealthCheckTimeout},
		{name: "timeout not below interval", ingress: ipAnn(lbc.AnnotationHealthCheckInt, "5", lbc.AnnotationHealthCheckTimeout, "5"), wantText: "Health check interval must be greater than the timeout"},
		{name: "healthy threshold 1", ingress: ipAnn(lbc.AnnotationHealthyThreshold, "1"), wantKey: lbc.AnnotationHealthyThreshold},
		{name: "unhealthy threshold 11", ingress: ipAnn(lbc.AnnotationUnhealthyThreshold, "11"), wantKey: lbc.AnnotationUnhealthyThreshold},
		{name: "success code 500", ingress: ipAnn(lbc.AnnotationSuccessCodes, "200,500"), wantKey: lbc.AnnotationSuccessCodes},
		{name: "success code garbage", ingress: ipAnn(lbc.AnnotationSuccessCodes, "ok"), wantKey: lbc.AnnotationSuccessCodes},
		{name: "success range reversed", ingress: ipAnn(lbc.AnnotationSuccessCodes, "299-200"), wantKey: lbc.AnnotationSuccessCodes},
		{name: "path without slash", ingress: ipAnn(lbc.AnnotationHealthCheckPath, "readyz"), wantKey: lbc.AnnotationHealthCheckPath},
		{name: "named health check port", ingress: ipAnn(lbc.AnnotationHealthCheckPort, "http"), wantKey: lbc.AnnotationHealthCheckPort},
		{name: "HTTPS health check", ingress: ipAnn(lbc.AnnotationHealthCheckProto, "HTTPS"), wantKey: lbc.AnnotationHealthCheckProto},
		{name: "HTTPS backend", ingress: ipAnn(lbc.AnnotationBackendProtocol, "HTTPS"), wantKey: lbc.AnnotationBackendProtocol},
		{name: "deregistration delay above 3600", ingress: ipAnn(lbc.AnnotationTargetGroupAttrs, "deregistration_delay.timeout_seconds=3601"), wantKey: lbc.AnnotationTargetGroupAttrs},
		{name: "slow start below 30", ingress: ipAnn(lbc.AnnotationTargetGroupAttrs, "slow_start.duration_seconds=10"), wantKey: lbc.AnnotationTargetGroupAttrs},
		{name: "attribute without =", ingress: ipAnn(lbc.AnnotationTargetGroupAttrs, "deregistration_delay.timeout_seconds"), wantKey: lbc.AnnotationTargetGroupAttrs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTargetGroupConfig(tc.ingress, nil, DefaultSettings())
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, ErrUnsupportedTargetType); got != tc.unsupported {
				t.Fatalf("errors.Is(ErrUnsupportedTargetType)=%v, want %v (%v)", got, tc.unsupported, err)
			}
			if tc.wantKey != "" {
				var ae *AnnotationError
				if !errors.As(err, &ae) || ae.Key != tc.wantKey {
					t.Fatalf("error %v, want an AnnotationError on %s", err, tc.wantKey)
				}
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Fatalf("error %q does not mention %q", err, tc.wantText)
			}
		})
	}
}

func TestParseTargetGroupConfigReportsEveryInvalidAnnotation(t *testing.T) {
	_, err := ParseTargetGroupConfig(ipAnn(lbc.AnnotationHealthyThreshold, "0", lbc.AnnotationUnhealthyThreshold, "0"), nil, DefaultSettings())
	for _, key := range []string{lbc.AnnotationHealthyThreshold, lbc.AnnotationUnhealthyThreshold} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("error %v does not name %s", err, key)
		}
	}
}

func TestParseLoadBalancerConfig(t *testing.T) {
	s := DefaultSettings()
	for _, tc := range []struct {
		name      string
		ann       map[string]string
		wantIdle  time.Duration
		wantGroup string
		wantErr   string
	}{
		{name: "defaults", ann: nil, wantIdle: 60 * time.Second},
		{name: "idle timeout", ann: map[string]string{lbc.AnnotationLoadBalancerAttrs: "idle_timeout.timeout_seconds=120,routing.http2.enabled=true"}, wantIdle: 120 * time.Second},
		{name: "idle timeout 0", ann: map[string]string{lbc.AnnotationLoadBalancerAttrs: "idle_timeout.timeout_seconds=0"}, wantIdle: 60 * time.Second, wantErr: "between 1 and 4000"},
		{name: "group", ann: map[string]string{lbc.AnnotationGroupName: "shared.web"}, wantIdle: 60 * time.Second, wantGroup: "shared.web"},
		{name: "bad group", ann: map[string]string{lbc.AnnotationGroupName: "Shared"}, wantIdle: 60 * time.Second, wantErr: lbc.AnnotationGroupName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseLoadBalancerConfig(tc.ann, s)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
			}
			if cfg.IdleTimeout != tc.wantIdle || cfg.GroupName != tc.wantGroup {
				t.Fatalf("config %+v, want idle %s group %q", cfg, tc.wantIdle, tc.wantGroup)
			}
		})
	}
}

func TestIsALBIngress(t *testing.T) {
	alb, nginx := "alb", "nginx"
	for _, tc := range []struct {
		name  string
		class *string
		ann   map[string]string
		want  bool
	}{
		{name: "ingressClassName alb", class: &alb, want: true},
		{name: "ingressClassName nginx", class: &nginx, want: false},
		{name: "no class", want: false},
		{name: "annotation alb", ann: map[string]string{lbc.AnnotationIngressClass: "alb"}, want: true},
		{name: "annotation wins over the field", class: &alb, ann: map[string]string{lbc.AnnotationIngressClass: "nginx"}, want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Annotations: tc.ann}, Spec: networkingv1.IngressSpec{IngressClassName: tc.class}}
			if got := IsALBIngress(ing); got != tc.want {
				t.Fatalf("IsALBIngress=%v, want %v", got, tc.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	name := TargetGroupName("ingress/production-apps/web", "production-apps", "web-frontend", "http")
	if len(name) > 32 || !strings.HasPrefix(name, "k8s-producti-webfront-") || len(strings.TrimPrefix(name, "k8s-producti-webfront-")) != 10 {
		t.Fatalf("TargetGroupName=%q", name)
	}
	if again := TargetGroupName("ingress/production-apps/web", "production-apps", "web-frontend", "http"); again != name {
		t.Fatalf("not stable: %q vs %q", again, name)
	}
	if other := TargetGroupName("ingress/production-apps/other", "production-apps", "web-frontend", "http"); other == name {
		t.Fatal("two load balancers share a target group name")
	}
	if got := GateConditionType(name); string(got) != "target-health.elbv2.k8s.aws/"+name {
		t.Fatalf("GateConditionType=%q", got)
	}
	if lb := LoadBalancerName("", "app", "my-ingress"); !strings.HasPrefix(lb, "k8s-app-myingres-") || len(lb) > 32 {
		t.Fatalf("LoadBalancerName=%q", lb)
	}
	if lb := LoadBalancerName("shared.group", "app", "x"); !strings.HasPrefix(lb, "k8s-sharedgroup-") {
		t.Fatalf("group LoadBalancerName=%q", lb)
	}
}

func TestSettingsValidate(t *testing.T) {
	if err := DefaultSettings().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	s := DefaultSettings()
	s.RegistrationDelay, s.TickInterval, s.NoUsableTargetStatus, s.WebhookFailurePolicy = -1, 0, 200, "Maybe"
	err := s.Validate()
	for _, want := range []string{"RegistrationDelay", "TickInterval", "NoUsableTargetStatus", "WebhookFailurePolicy"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error %v does not name %s", err, want)
		}
	}
}
