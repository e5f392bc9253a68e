package check

import (
	"strings"
	"testing"
)

// base is a compliant app by the model's defaults (boot 30 s, longest
// request 10 s, propagation 30 s); each case edits it with replacements.
const base = `apiVersion: v1
kind: Namespace
metadata: {name: ns, labels: {elbv2.k8s.aws/pod-readiness-gate-inject: enabled}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ns}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: ns
  annotations:
    alb.ingress.kubernetes.io/target-type: ip
    alb.ingress.kubernetes.io/healthcheck-path: /readyz
    alb.ingress.kubernetes.io/healthcheck-interval-seconds: "5"
    alb.ingress.kubernetes.io/target-group-attributes: deregistration_delay.timeout_seconds=42
spec:
  ingressClassName: alb
  rules: [{http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: ns}
spec: {maxUnavailable: 1, selector: {matchLabels: {app: web}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ns}
spec:
  replicas: 3
  strategy: {rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 47
      containers:
      - name: app
        image: app
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 2}
        livenessProbe: {httpGet: {path: /livez, port: 8080}}
        startupProbe: {httpGet: {path: /livez, port: 8080}, periodSeconds: 1, failureThreshold: 45}
        lifecycle: {preStop: {sleep: {seconds: 30}}}
`

func TestChecks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		edit    [][2]string // old, new
		extra   string      // more documents
		opts    Options
		check   string // "" = no finding at warning or above
		sev     Severity
		inField string
	}{
		{name: "compliant", check: ""},
		{name: "selector typo", edit: [][2]string{{"selector: {app: web}", "selector: {app: web-server}"}}, check: "service-selector", sev: SeverityError},
		{name: "backend names no Service", edit: [][2]string{{"service: {name: web,", "service: {name: nope,"}}, check: "ingress-backend", sev: SeverityError},
		{name: "no readiness probe", edit: [][2]string{{"        readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 2}\n", ""}}, check: "readiness-probe", sev: SeverityWarning},
		{name: "liveness = readiness", edit: [][2]string{{"path: /livez", "path: /readyz"}, {"{httpGet: {path: /readyz, port: 8080}}", "{httpGet: {path: /readyz, port: 8080}, periodSeconds: 2}"}}, check: "readiness-probe", sev: SeverityWarning, inField: "livenessProbe"},
		{name: "startup probe on the readiness endpoint", edit: [][2]string{{"startupProbe: {httpGet: {path: /livez", "startupProbe: {httpGet: {path: /readyz"}}, check: "readiness-probe", sev: SeverityWarning, inField: "startupProbe"},
		{name: "startup budget short", edit: [][2]string{{"failureThreshold: 45", "failureThreshold: 20"}}, check: "startup-budget", sev: SeverityWarning},
		{name: "startup budget covers a declared boot", edit: [][2]string{{"failureThreshold: 45", "failureThreshold: 20"}}, opts: Options{BootSeconds: 20}, check: ""},
		{name: "no preStop", edit: [][2]string{{"        lifecycle: {preStop: {sleep: {seconds: 30}}}\n", ""}}, check: "prestop", sev: SeverityWarning},
		{name: "exec sleep", edit: [][2]string{{"{sleep: {seconds: 30}}", `{exec: {command: ["sleep", "30"]}}`}}, check: "prestop", sev: SeverityWarning, inField: "exec"},
		{name: "preStop short of propagation", edit: [][2]string{{"seconds: 30", "seconds: 10"}}, check: "prestop", sev: SeverityWarning},
		{name: "preStop fine with an 8 s allowance", edit: [][2]string{{"seconds: 30", "seconds: 10"}, {"terminationGracePeriodSeconds: 47", "terminationGracePeriodSeconds: 27"}}, opts: Options{DeregistrationPropagationSeconds: 8}, check: ""},
		{name: "grace short", edit: [][2]string{{"terminationGracePeriodSeconds: 47", "terminationGracePeriodSeconds: 20"}}, check: "grace-period", sev: SeverityWarning},
		{name: "recreate", edit: [][2]string{{"strategy: {rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}", "strategy: {type: Recreate}"}}, check: "strategy", sev: SeverityError},
		{name: "all unavailable", edit: [][2]string{{"maxUnavailable: 0, maxSurge: 1", "maxUnavailable: 3, maxSurge: 1"}}, check: "strategy", sev: SeverityError},
		{name: "no surge, none unavailable", edit: [][2]string{{"maxUnavailable: 0, maxSurge: 1", "maxUnavailable: 0, maxSurge: 0"}}, check: "strategy", sev: SeverityError},
		{name: "one batch, minReady below the interval", edit: [][2]string{{"maxUnavailable: 0, maxSurge: 1", "maxUnavailable: 0, maxSurge: 3"}}, check: "min-ready", sev: SeverityWarning},
		{name: "one batch, minReady covers the interval", edit: [][2]string{{"maxUnavailable: 0, maxSurge: 1", "maxUnavailable: 0, maxSurge: 3"}, {"  replicas: 3\n", "  replicas: 3\n  minReadySeconds: 5\n"}}, check: ""},
		{name: "one replica, LBC default interval", edit: [][2]string{{"replicas: 3", "replicas: 1"}, {`healthcheck-interval-seconds: "5"`, `healthcheck-interval-seconds: "15"`}, {"  replicas: 1\n", "  replicas: 1\n  minReadySeconds: 6\n"}}, check: "min-ready", sev: SeverityWarning},
		{name: "namespace unlabelled", edit: [][2]string{{"labels: {elbv2.k8s.aws/pod-readiness-gate-inject: enabled}", "labels: {}"}}, check: "readiness-gate", sev: SeverityWarning},
		{name: "namespace unknown", edit: [][2]string{{"kind: Namespace\nmetadata: {name: ns,", "kind: Namespace\nmetadata: {name: other,"}}, check: "readiness-gate", sev: SeverityWarning, inField: "metadata.namespace"},
		{name: "target type instance", edit: [][2]string{{"target-type: ip", "target-type: instance"}}, check: "target-type", sev: SeverityWarning},
		{name: "health-check path differs", edit: [][2]string{{"healthcheck-path: /readyz", "healthcheck-path: /"}}, check: "alb-health-check", sev: SeverityWarning},
		{name: "deregistration delay short", edit: [][2]string{{"timeout_seconds=42", "timeout_seconds=5"}}, check: "deregistration-delay", sev: SeverityWarning},
		{name: "no PDB", edit: [][2]string{{"kind: PodDisruptionBudget", "kind: ConfigMap"}, {"spec: {maxUnavailable: 1, selector: {matchLabels: {app: web}}}", "data: {}"}}, check: "pdb", sev: SeverityWarning},
		{name: "PDB allows nothing", edit: [][2]string{{"spec: {maxUnavailable: 1,", "spec: {minAvailable: 3,"}}, check: "pdb", sev: SeverityWarning},
		{name: "HPA beside fixed replicas", extra: "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: ns}\nspec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, maxReplicas: 6}\n", check: "hpa", sev: SeverityWarning},
		{name: "HPA beside replicas applied only at creation", edit: [][2]string{{"metadata: {name: web, namespace: ns}\nspec:\n  replicas: 3", "metadata: {name: web, namespace: ns, annotations: {zdt.dev/replicas: initial}}\nspec:\n  replicas: 3"}},
			extra: "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: ns}\nspec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, maxReplicas: 6}\n", check: ""},
		{name: "bad annotation", edit: [][2]string{{"metadata: {name: web, namespace: ns}\nspec:\n  replicas", "metadata: {name: web, namespace: ns, annotations: {zdt.dev/boot-seconds: soon}}\nspec:\n  replicas"}}, check: "inputs", sev: SeverityError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			for _, e := range tc.edit {
				if !strings.Contains(in, e[0]) {
					t.Fatalf("edit %q does not apply", e[0])
				}
				in = strings.Replace(in, e[0], e[1], 1)
			}
			objs, err := Parse("in.yaml", []byte(in+tc.extra))
			if err != nil {
				t.Fatal(err)
			}
			rep := Run(objs, tc.opts)
			var loud []Finding
			for _, a := range rep.Apps {
				for _, f := range a.Findings {
					if f.Severity >= SeverityWarning {
						loud = append(loud, f)
					}
				}
			}
			if tc.check == "" {
				for _, f := range loud {
					t.Errorf("unexpected %s %s %s: %s", f.Severity, f.Check, f.Field, f.Why)
				}
				return
			}
			for _, f := range loud {
				if f.Check == tc.check && f.Severity == tc.sev && strings.Contains(f.Field, tc.inField) {
					return
				}
			}
			t.Errorf("no %s %s finding (field ~ %q); got %+v", tc.sev, tc.check, tc.inField, loud)
		})
	}
}
