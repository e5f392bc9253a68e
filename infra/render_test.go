package infra

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// TestProgramRender runs every stack in render mode (config zdt:renderDir,
// as `make render` sets it): only the render provider, the namespace and
// the app's objects; nothing of AWS, pulumi-eks, Docker or Helm; no
// kubeconfig; placeholders where AWS would produce a value.
func TestProgramRender(t *testing.T) {
	tests := []struct {
		stack      string
		image      string
		pullPolicy string
		tls        bool
	}{
		{stack: "dev", image: "render.invalid/demo-app:v1", pullPolicy: "IfNotPresent"},
		{stack: "prod", image: "render.invalid/demo-app:v1", pullPolicy: "IfNotPresent", tls: true},
		{stack: "local", image: "docker.io/zdt/demo-app:v1", pullPolicy: "Never"},
		// namespaceExists: a rendering shows the Namespace with its label.
		{stack: "existing", image: "docker.io/zdt/demo-app:v1", pullPolicy: "IfNotPresent"},
	}
	for _, tc := range tests {
		t.Run(tc.stack, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "manifests")
			overrides := map[string]string{"zdt:renderDir": dir}
			if tc.stack == "local" || tc.stack == "existing" {
				// Rendering never reads the kubeconfig: a missing file is fine.
				overrides["zdt:kubeconfigPath"] = filepath.Join(t.TempDir(), "does-not-exist")
			}
			rec, out := mustRunStack(t, tc.stack, overrides)

			for _, r := range rec.Resources() {
				if r.Type == typeOIDC && r.Name == oidcStandInName {
					continue // the test's own stand-in (runStack), so a regression fails instead of hanging
				}
				typ := r.Type
				if strings.HasPrefix(typ, "aws:") || strings.HasPrefix(typ, "eks:") || strings.HasPrefix(typ, "docker:") ||
					strings.HasPrefix(typ, "kubernetes:helm") || typ == typeRelease || typ == typeConfigGroup || typ == typeNsPatch {
					t.Errorf("render mode registered %s %s; it must create nothing that needs AWS or a cluster", typ, r.Name)
				}
			}
			if n := len(rec.OfType(typeK8sProvider)); n != 1 {
				t.Fatalf("%d kubernetes providers, want exactly one", n)
			}
			p := rec.MustFind(t, typeK8sProvider, "k8s")
			if got := p.MustGet(t, "renderYamlToDirectory"); got != dir {
				t.Errorf("provider renderYamlToDirectory = %v, want %s", got, dir)
			}
			if kc, ok := p.Get("kubeconfig"); ok {
				t.Errorf("render provider has a kubeconfig (%v); it must reach no cluster", kc)
			}

			assertNamespaceAndApp(t, rec, false)

			dep := rec.MustFind(t, typeDeployment, "demo-app")
			c := dep.MustGet(t, "spec", "template", "spec", "containers", 0).(map[string]any)
			if c["image"] != tc.image || c["imagePullPolicy"] != tc.pullPolicy {
				t.Errorf("image = %v pull %v, want %s with %s", c["image"], c["imagePullPolicy"], tc.image, tc.pullPolicy)
			}
			ing := rec.MustFind(t, typeIngress, "demo-app")
			ann := ing.MustGet(t, "metadata", "annotations").(map[string]any)
			if _, hasCert := ann["alb.ingress.kubernetes.io/certificate-arn"]; hasCert != tc.tls {
				t.Errorf("certificate-arn annotation present = %v, want %v (the stack's settings are rendered)", hasCert, tc.tls)
			}

			// Everything a rendering writes: explicit names, no secrets
			// (the provider would write them in plain text).
			for _, r := range rec.Resources() {
				if !r.Custom || !strings.HasPrefix(r.Type, "kubernetes:") {
					continue
				}
				if name, _ := r.Get("metadata", "name"); name != r.Name {
					t.Errorf("%s %s: metadata.name = %v, want the explicit name %s (an auto-name differs on every rendering)", r.Type, r.Name, name, r.Name)
				}
				if path := secretPath(r.Inputs, r.Type+" "+r.Name); path != "" {
					t.Errorf("secret input at %s: it would be written to the manifests in plain text", path)
				}
			}
			if path := secretPath(p.Inputs, "provider"); path != "" {
				t.Errorf("secret input at %s", path)
			}

			for _, absent := range []string{OutputClusterName, OutputKubeconfig, OutputECRRepositoryURL} {
				if _, ok := out.values[absent]; ok {
					t.Errorf("render mode exports %s (an AWS value it does not create)", absent)
				}
			}
			if out.values[OutputImage] != tc.image || out.values[OutputNamespace] != "zdt-demo" {
				t.Errorf("outputs = %v", out.values)
			}
		})
	}
}

// secretPath returns the path of the first secret value under v, or "".
func secretPath(v any, path string) string {
	switch x := v.(type) {
	case *resource.Secret:
		return path
	case map[string]any:
		for k, e := range x {
			if p := secretPath(e, path+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range x {
			if p := secretPath(e, fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

func TestLoadConfigRenderDir(t *testing.T) {
	root := t.TempDir()
	// Render mode on the local platform needs no kubeconfig file.
	c, err := loadConfig("local", root, lookup(map[string]string{
		"zdt:platform": "local", "zdt:kubeconfigPath": "work/missing-kubeconfig", "zdt:renderDir": "out/manifests/local",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Rendering() || c.RenderDir != filepath.Join(root, "out/manifests/local") {
		t.Errorf("RenderDir = %q (rendering %v), want it resolved against the project root", c.RenderDir, c.Rendering())
	}
	if c.Kubeconfig != "" {
		t.Errorf("kubeconfig read in render mode")
	}
	abs := filepath.Join(root, "abs")
	if c, err := loadConfig("local", root, lookup(map[string]string{
		"zdt:platform": "local", "zdt:kubeconfigPath": "k", "zdt:renderDir": abs,
	})); err != nil || c.RenderDir != abs {
		t.Errorf("absolute RenderDir = %q, %v; want %s", c.RenderDir, err, abs)
	}
	// The rest of the config is validated as at `up`.
	if _, err := loadConfig("dev", root, lookup(map[string]string{"zdt:renderDir": "out", "zdt:replicas": "0"})); err == nil || !strings.Contains(err.Error(), "zdt:replicas") {
		t.Errorf("render mode accepted invalid config: %v", err)
	}
}
