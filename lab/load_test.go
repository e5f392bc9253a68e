package lab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/zdt-eks/zdt/app/server"
	"github.com/zdt-eks/zdt/infra"
	"github.com/zdt-eks/zdt/lab/scenario"
	"github.com/zdt-eks/zdt/verify"
)

// TestLabLongRequestIsTheAppsLongest: the lab's long requests are as long
// as each app it loads declares, and each app serves them (no 400 from its
// MAX_DELAY): ZeroDowntimeApp runs the local stack with the program's
// default zdt:maxRequestSeconds, which infra passes as MAX_DELAY; the field
// report's app sets no MAX_DELAY, so the demo app's default applies; the
// YAML program declares its own.
func TestLabLongRequestIsTheAppsLongest(t *testing.T) {
	var maxRequest any
	for _, s := range infra.Settings {
		if s.Key == "maxRequestSeconds" {
			maxRequest = s.Default
		}
	}
	if maxRequest != int(labLongRequest/time.Second) {
		t.Errorf("zdt:maxRequestSeconds defaults to %v, the lab sends %s long requests", maxRequest, labLongRequest)
	}
	local, err := os.ReadFile(filepath.Join("..", "stacks", "Pulumi.local.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(local), "zdt:maxRequestSeconds") {
		t.Errorf("stacks/Pulumi.local.yaml sets zdt:maxRequestSeconds: labLongRequest must follow it")
	}
	if labLongRequest > server.DefaultMaxDelay {
		t.Errorf("the demo app's default MAX_DELAY %s refuses the lab's %s long requests", server.DefaultMaxDelay, labLongRequest)
	}
	for _, e := range scenario.FieldReportManifests(scenario.StepReadinessGate, "ns", "img", "v1", "h", 10).Deployment.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "MAX_DELAY" {
			t.Errorf("the field report's manifests set MAX_DELAY=%s; check it against labLongRequest", e.Value)
		}
	}
	if got := yamlMaxRequestSeconds(t); got != int(yamlLongRequest/time.Second) {
		t.Errorf("examples/yaml declares maxRequestSeconds %d, the lab sends it %s long requests", got, yamlLongRequest)
	}
	if yamlLongRequest > server.DefaultMaxDelay {
		t.Errorf("the demo app's default MAX_DELAY %s refuses the YAML app's %s long requests", server.DefaultMaxDelay, yamlLongRequest)
	}
}

// yamlMaxRequestSeconds reads examples/yaml's default maxRequestSeconds.
func yamlMaxRequestSeconds(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", "yaml", "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var project struct {
		Config map[string]struct {
			Default any `json:"default"`
		} `json:"config"`
	}
	if err := yaml.Unmarshal(b, &project); err != nil {
		t.Fatalf("examples/yaml/Pulumi.yaml: %v", err)
	}
	v, ok := project.Config["maxRequestSeconds"].Default.(float64)
	if !ok {
		t.Fatalf("examples/yaml/Pulumi.yaml: no numeric maxRequestSeconds default")
	}
	return int(v)
}

func TestLabLoad(t *testing.T) {
	m := labMix(labLongRequest)
	if err := m.Validate(); err != nil {
		t.Fatalf("labMix: %v", err)
	}
	if got := m.String(); got != "70% get, 20% long 10s, 10% post" {
		t.Errorf("labMix = %s", got)
	}
	env := scenario.Env{Rate: 20, Timeout: 5 * time.Second, Mix: m}
	if got := requestSecondsOf(env); got != labRequestSecondsWant {
		t.Errorf("the boundary allows for %d s requests, want %d", got, labRequestSecondsWant)
	}
	fr := fieldReportLoad(env, 500*time.Millisecond)
	if fr.ClosedLoop != 500*time.Millisecond || fr.Mix != (verify.Mix{}) || fr.Timeout != 5*time.Second {
		t.Errorf("field report load: closed loop %s, mix %+v, timeout %s; want 500ms, GETs only, 5s", fr.ClosedLoop, fr.Mix, fr.Timeout)
	}
	if got := requestSecondsOf(fr); got != 0 {
		t.Errorf("the field report's GETs need a %d s allowance, want 0", got)
	}
}

// labRequestSecondsWant is the model's default longest request, which the
// local stack keeps.
const labRequestSecondsWant = 10
