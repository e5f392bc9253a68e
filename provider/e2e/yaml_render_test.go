//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zdt-eks/zdt/components/zerodowntime"
	"github.com/zdt-eks/zdt/engine"
)

const yamlProject = "../../examples/yaml"

// tools returns the engine options every run shares: the pinned CLI and
// PULUMI_HOME (kubernetes plugin) from the cache, and the YAML language
// host and the zdt plugin where `make yaml-host provider` put them
// (engine.PackagePlugins). Missing tools fail.
func tools(t *testing.T) engine.Options {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tl, err := engine.CachedTools(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := tl.CheckCLI(); err != nil {
		t.Fatal(err)
	}
	k8s, err := engine.PinnedKubernetesVersion(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := tl.CheckPlugin("kubernetes", k8s); err != nil {
		t.Fatal(err)
	}
	plugins, err := engine.PackagePlugins(root)
	if err != nil {
		t.Fatal(err)
	}
	return engine.Options{
		Stack:      "local",
		WorkDir:    t.TempDir(),
		PulumiBin:  tl.PulumiBin,
		PulumiHome: tl.PulumiHome,
		Plugins:    plugins,
	}
}

// TestYAMLRendersTheGoComponentsObjects: the YAML program, through the
// plugin, declares exactly the objects the Go component declares for the
// same inputs: same files, same bytes.
func TestYAMLRendersTheGoComponentsObjects(t *testing.T) {
	ctx := context.Background()
	yamlOpts := tools(t)
	yamlOpts.ProjectProgram = true
	yamlOpts.ProjectDir = yamlProject
	yamlDir := filepath.Join(t.TempDir(), "yaml")
	res, err := engine.Render(ctx, yamlOpts, yamlDir)
	if err != nil {
		t.Fatalf("rendering examples/yaml: %v\n%s", err, res.Stdout)
	}

	goOpts := tools(t)
	goOpts.Plugins = nil
	goOpts.Program = goProgram
	goOpts.ProjectDir = goProject(t)
	goDir := filepath.Join(t.TempDir(), "go")
	if res, err := engine.Render(ctx, goOpts, goDir); err != nil {
		t.Fatalf("rendering the Go program: %v\n%s", err, res.Stdout)
	}

	yamlFiles, _ := engine.RenderedFiles(yamlDir)
	goFiles, _ := engine.RenderedFiles(goDir)
	if !slices.Equal(yamlFiles, goFiles) {
		t.Fatalf("objects differ:\nYAML %v\nGo   %v", yamlFiles, goFiles)
	}
	for _, want := range []string{"deployment", "service", "ingress", "poddisruptionbudget", "namespace"} {
		if !slices.ContainsFunc(yamlFiles, func(f string) bool { return strings.Contains(f, "-"+want+"-") }) {
			t.Errorf("no %s rendered: %v", want, yamlFiles)
		}
	}
	for _, f := range yamlFiles {
		y, _ := os.ReadFile(filepath.Join(yamlDir, f))
		g, _ := os.ReadFile(filepath.Join(goDir, f))
		if strings.Contains(f, "-deployment-") && !bytes.Contains(y, []byte("preStop")) {
			t.Errorf("%s has no preStop: not the component's Deployment?\n%s", f, y)
		}
		if !bytes.Equal(y, g) {
			t.Errorf("%s differs:\n--- YAML\n%s\n--- Go\n%s", f, y, g)
		}
	}
	t.Logf("%d objects, byte-identical: %v", len(yamlFiles), yamlFiles)
}

// goProgram is examples/yaml written against the Go component, with the
// YAML program's default config.
func goProgram(ctx *pulumi.Context) error {
	renderDir, _ := ctx.GetConfig(ctx.Project() + ":" + engine.RenderDirKey)
	k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{
		Kubeconfig:            pulumi.String(""),
		RenderYamlToDirectory: pulumi.String(renderDir),
	})
	if err != nil {
		return err
	}
	ns, err := corev1.NewNamespace(ctx, "appNamespace", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:   pulumi.String("zdt-yaml"),
			Labels: pulumi.StringMap{"elbv2.k8s.aws/pod-readiness-gate-inject": pulumi.String("enabled")},
		},
	}, pulumi.Provider(k8s))
	if err != nil {
		return err
	}
	_, err = zerodowntime.NewZeroDowntimeApp(ctx, "app", &zerodowntime.Args{
		Namespace:           ns.Metadata.Name().Elem(),
		Image:               pulumi.String("docker.io/zdt/demo-app:v1"),
		AppName:             "demo-app",
		Version:             "v1",
		Replicas:            3,
		ImagePullPolicy:     "IfNotPresent",
		ShutdownTimeoutEnv:  "SHUTDOWN_TIMEOUT",
		KeepAliveTimeoutEnv: "IDLE_TIMEOUT",
		Env:                 map[string]pulumi.StringInput{"DRAIN": pulumi.String("2s")},
		Timing: zerodowntime.TimingArgs{
			AppDrainSeconds:                  2,
			BootSeconds:                      10,
			MaxRequestSeconds:                5,
			DeregistrationPropagationSeconds: 30,
		},
		Ingress: zerodowntime.IngressArgs{ClassName: "alb", Host: pulumi.String("app.example.com")},
	}, pulumi.Providers(k8s))
	return err
}

// goProject is a project directory for goProgram, named like the YAML one.
func goProject(t *testing.T) string {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Pulumi.yaml", "name: zdt-yaml\nruntime: go\n")
	write("Pulumi.local.yaml", "config: {}\n")
	return dir
}

// TestYAMLInvalidInputFailsWithTheComponentsError: an input the component
// refuses fails the YAML program before anything is created, with the
// text NewZeroDowntimeApp gives a Go program.
func TestYAMLInvalidInputFailsWithTheComponentsError(t *testing.T) {
	opts := tools(t)
	opts.ProjectProgram = true
	opts.ProjectDir = yamlProject
	opts.Config = map[string]string{"maxRequestSeconds": "120", "appName": "Demo_App"}
	res, err := engine.Render(context.Background(), opts, filepath.Join(t.TempDir(), "out"))
	if err == nil {
		t.Fatalf("rendering with invalid inputs succeeded:\n%s", res.Stdout)
	}
	_, _, goErr := zerodowntime.Validate("app", zerodowntime.Args{
		Namespace: pulumi.String("zdt-yaml"), Image: pulumi.String("i"), AppName: "Demo_App",
		Timing: zerodowntime.TimingArgs{BootSeconds: 10, MaxRequestSeconds: 120, DeregistrationPropagationSeconds: 30},
	})
	if goErr == nil {
		t.Fatal("the Go component accepts the inputs")
	}
	// The engine prints the error with its own prefix; each line of the
	// component's text must be there, in order.
	got := err.Error() + "\n" + res.Stdout
	for _, line := range strings.Split(goErr.Error(), "\n") {
		if !strings.Contains(got, line) {
			t.Errorf("the engine's output lacks the component's line %q:\n%s", line, got)
		}
	}
	t.Logf("the component's error, as the YAML program's user sees it:\n%s", goErr)
}
