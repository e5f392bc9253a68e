package infra

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/zdt-eks/zdt/engine"
)

// TestRenderThroughEngine renders every stack the way `make render` does
// (engine.Render: the real Pulumi CLI and kubernetes plugin, no cluster, no
// AWS plugin) and reads the manifests back. It skips, naming the make
// target, when the tools are not built.
func TestRenderThroughEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP (-short): runs the Pulumi CLI")
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	tools, err := engine.CachedTools(root)
	if err != nil {
		t.Fatal(err)
	}
	version, err := engine.PinnedKubernetesVersion(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := tools.CheckCLI(); err != nil {
		t.Skipf("SKIP (needs `make engine-tools`): %v", err)
	}
	if err := tools.CheckPlugin("kubernetes", version); err != nil {
		t.Skipf("SKIP (needs `make engine-tools`): %v", err)
	}
	want := []string{
		"1-manifest/apps_v1-deployment-zdt-demo-demo-app.yaml",
		"1-manifest/networking.k8s.io_v1-ingress-zdt-demo-demo-app.yaml",
		"1-manifest/policy_v1-poddisruptionbudget-zdt-demo-demo-app.yaml",
		"1-manifest/v1-namespace-default-zdt-demo.yaml",
		"1-manifest/v1-service-zdt-demo-demo-app.yaml",
	}
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), stack)
			if _, err := engine.Render(context.Background(), engine.Options{
				Program:    Program,
				Stack:      stack,
				ProjectDir: root,
				WorkDir:    t.TempDir(),
				PulumiBin:  tools.PulumiBin,
				PulumiHome: tools.PulumiHome,
			}, out); err != nil {
				t.Fatalf("render: %v", err)
			}
			files, err := engine.RenderedFiles(out)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(files, want) {
				t.Fatalf("rendered files = %v, want %v", files, want)
			}
			var ns struct {
				Metadata struct {
					Labels map[string]string `json:"labels"`
				} `json:"metadata"`
			}
			b, err := os.ReadFile(filepath.Join(out, "1-manifest/v1-namespace-default-zdt-demo.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal(b, &ns); err != nil {
				t.Fatal(err)
			}
			if ns.Metadata.Labels["elbv2.k8s.aws/pod-readiness-gate-inject"] != "enabled" {
				t.Errorf("rendered namespace labels = %v", ns.Metadata.Labels)
			}
			dep, err := os.ReadFile(filepath.Join(out, "1-manifest/apps_v1-deployment-zdt-demo-demo-app.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if img := renderImage(mustConfig(t, stack)); !strings.Contains(string(dep), "image: "+img+"\n") {
				t.Errorf("rendered deployment does not use image %s:\n%s", img, dep)
			}
		})
	}
}

// mustConfig loads a stack's config (Pulumi.yaml defaults + stack file) in
// render mode.
func mustConfig(t *testing.T, stack string) Config {
	t.Helper()
	cfg := stackConfig(t, stack, map[string]string{"zdt:renderDir": t.TempDir()})
	c, err := loadConfig(stack, "", func(k string) (string, bool) { v, ok := cfg[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return c
}
