// Package scenario runs the lab's rollout scenarios: the field report's four
// manifests and ZeroDowntimeApp, each rolled from v1 to v2 under load.
package scenario

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/zdt-eks/zdt/internal/lbc"
)

// FieldReportStep selects how much of the field report's fixes a manifest
// carries. Each step adds one fix to the previous one.
type FieldReportStep int

// The field report's four configurations.
const (
	// StepNoProbes is the original manifest: no probes, no preStop.
	StepNoProbes FieldReportStep = iota + 1
	// StepProbes adds readiness and liveness probes (both on /,
	// initialDelaySeconds 10, period 5), as the field report did.
	StepProbes
	// StepPreStop adds a 10 s preStop sleep.
	StepPreStop
	// StepReadinessGate labels the namespace for LBC readiness gates.
	StepReadinessGate
)

// fieldReportApp is the field report's app name; its Service selected
// "websvr-server" while the pods were labelled "websvr" (a typo that left the
// Service without endpoints). That typo is the one thing fixed here: with it,
// no scenario could serve at all.
const fieldReportApp = "websvr"

// FieldReportObjects are the Kubernetes objects of one field-report step.
type FieldReportObjects struct {
	Namespace  *corev1.Namespace
	Service    *corev1.Service
	Ingress    *networkingv1.Ingress
	Deployment *appsv1.Deployment
}

// FieldReportManifests builds the field report's manifests for a step. The
// app runs in naive mode (exits at once on SIGTERM, as the report's server
// did) and boots for bootSeconds. host routes the emulated ALB to it.
func FieldReportManifests(step FieldReportStep, ns, image, version, host string, bootSeconds int) FieldReportObjects {
	labels := map[string]string{"app": fieldReportApp}
	namespace := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{}}}
	if step >= StepReadinessGate {
		namespace.Labels[lbc.ReadinessGateInjectLabel] = lbc.ReadinessGateInjectValue
	}
	container := corev1.Container{
		Name:            fieldReportApp,
		Image:           image,
		ImagePullPolicy: corev1.PullNever,
		Ports:           []corev1.ContainerPort{{ContainerPort: 8080}},
		Env: []corev1.EnvVar{
			{Name: "NAIVE", Value: "true"},
			{Name: "VERSION", Value: version},
			{Name: "BOOT_DELAY", Value: itoa(bootSeconds)},
			{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		},
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi"),
		}},
	}
	if step >= StepProbes {
		// The report's probes: the same "/" check for both, a guessed delay.
		probe := &corev1.Probe{
			ProbeHandler:        corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromInt32(8080)}},
			InitialDelaySeconds: 10, PeriodSeconds: 5,
		}
		container.ReadinessProbe = probe
		container.LivenessProbe = probe.DeepCopy()
	}
	if step >= StepPreStop {
		// The report used `exec: ["sleep", "10"]`, which fails silently in a
		// distroless/scratch image like ours (FailedPreStopHook, then SIGTERM
		// at once; local-kubernetes.md). The native sleep does what the
		// report's image did.
		container.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 10}}}
	}
	replicas := int32(3)
	return FieldReportObjects{
		Namespace: namespace,
		Service: &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: fieldReportApp, Namespace: ns},
			Spec: corev1.ServiceSpec{
				Selector: labels,
				Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}},
			},
		},
		Ingress: &networkingv1.Ingress{
			ObjectMeta: metav1.ObjectMeta{Name: fieldReportApp, Namespace: ns, Annotations: map[string]string{
				// LBC defaults otherwise: health check "/" every 15 s, 2
				// healthy, deregistration delay 300 s.
				lbc.AnnotationTargetType: "ip",
				lbc.AnnotationScheme:     "internet-facing",
			}},
			Spec: networkingv1.IngressSpec{
				IngressClassName: ptr(lbc.IngressClassALB),
				Rules: []networkingv1.IngressRule{{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
					Paths: []networkingv1.HTTPIngressPath{{
						Path: "/", PathType: ptr(networkingv1.PathTypePrefix),
						Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
							Name: fieldReportApp, Port: networkingv1.ServiceBackendPort{Number: 80},
						}},
					}},
				}}}},
			},
		},
		Deployment: &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: fieldReportApp, Namespace: ns},
			Spec: appsv1.DeploymentSpec{
				// Strategy left at the defaults (25 % / 25 %), as in the report.
				Replicas: &replicas,
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{container}},
				},
			},
		},
	}
}

func ptr[T any](v T) *T { return &v }

// FieldReport deploys one step of the field report with client-go, as the
// report's `kubectl apply` did: Deploy returns once the objects are accepted.
type FieldReport struct {
	Env  Env
	Step FieldReportStep
	NS   string
	// IngressHost routes the emulated ALB to this scenario.
	IngressHost string
	// Edit, when set, changes the step's objects before they are applied
	// (a variant of the report's manifests, e.g. one replica).
	Edit func(*FieldReportObjects)
}

// Deploy applies the step's manifests with the given version's image.
func (f *FieldReport) Deploy(ctx context.Context, version string) error {
	image, ok := f.Env.Images[version]
	if !ok {
		return fmt.Errorf("no image for version %q", version)
	}
	objs := FieldReportManifests(f.Step, f.NS, image, version, f.IngressHost, f.Env.BootSeconds)
	if f.Edit != nil {
		f.Edit(&objs)
	}
	return applyFieldReport(ctx, f.Env.Client, objs)
}

// Namespace implements Deployer.
func (f *FieldReport) Namespace() string { return f.NS }

// Deployment implements Deployer.
func (f *FieldReport) Deployment() string { return fieldReportApp }

// Service implements Deployer.
func (f *FieldReport) Service() string { return fieldReportApp }

// Host implements Deployer.
func (f *FieldReport) Host() string { return f.IngressHost }
