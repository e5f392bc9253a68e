package lab

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/zdt-eks/zdt/internal/lbc"
	"github.com/zdt-eks/zdt/lab/scenario"
)

// componentObjects are the component's objects for its defaults (the golden
// manifests) plus their namespace, labelled as the lab's is.
func componentObjects(t *testing.T) []runtime.Object {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "components", "zerodowntime", "testdata", "default.golden.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	objs := []runtime.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "apps",
		Labels: map[string]string{lbc.ReadinessGateInjectLabel: lbc.ReadinessGateInjectValue}}}}
	for _, doc := range strings.Split(string(data), "\n---\n") {
		if strings.TrimSpace(strings.TrimPrefix(doc, "---")) == "" {
			continue
		}
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("decoding the golden manifests: %v", err)
		}
		objs = append(objs, obj)
	}
	return objs
}

// fieldReportObjects are one of the field report's steps as the lab applies them.
func fieldReportObjects(step scenario.FieldReportStep) []runtime.Object {
	o := scenario.FieldReportManifests(step, "fr", "img:v1", "v1", "fr.lab.local", 10)
	return []runtime.Object{o.Namespace, o.Service, o.Ingress, o.Deployment}
}

// TestPredictFloor reads the floor's inputs from live objects with the lab's
// emulator settings and the demo app's 10 s boot: the model's floor for
// ZeroDowntimeApp (2 batches: the gate's re-check at 15 s, after the first
// check at boot 10 + registration 3; then minReady 6) and
// for the field report's steps.
func TestPredictFloor(t *testing.T) {
	for _, tc := range []struct {
		name        string
		objs        []runtime.Object
		ns          string
		wantBatches int
		wantBatch   float64
		wantFloor   float64
	}{
		{"ZeroDowntimeApp, defaults", componentObjects(t), "apps", 2, 21, 42},
		{"step 4: gate, 15 s checks, 25 %/25 %", fieldReportObjects(scenario.StepReadinessGate), "fr", 3, 15, 45},
		{"step 2: probes, no gate", fieldReportObjects(scenario.StepProbes), "fr", 3, 10, 30},
		{"step 1: no probe", fieldReportObjects(scenario.StepNoProbes), "fr", 3, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := fake.NewClientset(tc.objs...)
			deps, err := cs.AppsV1().Deployments(tc.ns).List(context.Background(), metav1.ListOptions{})
			if err != nil || len(deps.Items) != 1 {
				t.Fatalf("want one Deployment in %s: %v", tc.ns, err)
			}
			f, err := PredictFloor(context.Background(), cs, tc.ns, deps.Items[0].Name, LabEmulatorSettings(), 10)
			if err != nil {
				t.Fatal(err)
			}
			if f.Batches != tc.wantBatches || f.BatchSeconds != tc.wantBatch || f.Seconds != tc.wantFloor {
				t.Errorf("floor %d batches x %v s = %v s, want %d x %v = %v (inputs %+v)",
					f.Batches, f.BatchSeconds, f.Seconds, tc.wantBatches, tc.wantBatch, tc.wantFloor, f.Inputs)
			}
		})
	}
}
