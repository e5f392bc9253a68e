package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const testProject = "testdata/project"

// repoRoot is the repository root (the engine package is one level down).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// cliTools returns the cached tools, skipping the test (with the reason and
// the make target that fixes it) when the CLI is not built.
func cliTools(t *testing.T) Tools {
	t.Helper()
	tools, err := CachedTools(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := tools.CheckCLI(); err != nil {
		t.Skipf("SKIP (needs the Pulumi CLI): %v", err)
	}
	return tools
}

func testOptions(t *testing.T, tools Tools, program pulumi.RunFunc) Options {
	return Options{
		Program:    program,
		Stack:      "test",
		ProjectDir: testProject,
		WorkDir:    t.TempDir(),
		PulumiBin:  tools.PulumiBin,
		PulumiHome: tools.PulumiHome,
		Progress:   testWriter{t},
	}
}

// testWriter sends the CLI's progress to the test log (shown with -v or on
// failure).
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestPrepareProjectCopiesConfigAndNeverWritesTheProject(t *testing.T) {
	work := t.TempDir()
	before, err := os.ReadFile(filepath.Join(testProject, "stacks", "Pulumi.test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	name, err := prepareProject(testProject, work, "test", map[string]string{
		"greeting": "hi", "other:flag": "true", "path": "/x/y", "file": "rel/kubeconfig",
	}, []string{"file", "path", "absent"})
	if err != nil {
		t.Fatal(err)
	}
	if name != "zdt-engine-test" {
		t.Errorf("project name = %q", name)
	}
	proj, err := readYAML(filepath.Join(work, "project", "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"stackConfigDir", "main"} {
		if _, ok := proj[k]; ok {
			t.Errorf("generated Pulumi.yaml keeps %s", k)
		}
	}
	backend, _ := proj["backend"].(map[string]any)
	if url, _ := backend["url"].(string); url != "file://"+filepath.Join(work, "state") {
		t.Errorf("backend url = %q", url)
	}
	if _, ok := proj["config"].(map[string]any)["greeting"]; !ok {
		t.Error("generated Pulumi.yaml lost the config defaults")
	}
	st, err := readYAML(filepath.Join(work, "project", "Pulumi.test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := st["config"].(map[string]any)
	want := map[string]any{
		"zdt-engine-test:replicas": float64(2), // from stacks/Pulumi.test.yaml
		"zdt-engine-test:greeting": "hi",
		"zdt-engine-test:path":     "/x/y",
		"other:flag":               "true", // undeclared: a string, never re-parsed
		"zdt-engine-test:file":     filepath.Join(repoRoot(t), "engine", testProject, "rel", "kubeconfig"),
	}
	for k, v := range want {
		if cfg[k] != v {
			t.Errorf("config %s = %#v, want %#v", k, cfg[k], v)
		}
	}
	after, _ := os.ReadFile(filepath.Join(testProject, "stacks", "Pulumi.test.yaml"))
	if string(after) != string(before) {
		t.Error("the project's stack file was modified")
	}
}

func TestPrepareProjectSecrets(t *testing.T) {
	project := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(project, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Pulumi.yaml", "name: p\nruntime: go\n")
	// A stack of a real backend with a KMS secrets provider: dropped.
	write("Pulumi.prod.yaml", "secretsprovider: awskms://alias/x\nencryptedkey: abc\nconfig:\n  p:a: b\n")
	work := t.TempDir()
	if _, err := prepareProject(project, work, "prod", nil, nil); err != nil {
		t.Fatal(err)
	}
	st, _ := readYAML(filepath.Join(work, "project", "Pulumi.prod.yaml"))
	for _, k := range secretsKeys {
		if _, ok := st[k]; ok {
			t.Errorf("%s kept", k)
		}
	}
	// The salt the CLI wrote into the generated copy survives regeneration.
	gen := filepath.Join(work, "project", "Pulumi.prod.yaml")
	if err := os.WriteFile(gen, []byte("encryptionsalt: v1:salt\nconfig:\n  p:a: b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := prepareProject(project, work, "prod", nil, nil); err != nil {
		t.Fatal(err)
	}
	st, _ = readYAML(gen)
	if st["encryptionsalt"] != "v1:salt" {
		t.Errorf("encryptionsalt = %v, want the previous copy's", st["encryptionsalt"])
	}
	// A passphrase salt in the project's own file wins.
	write("Pulumi.prod.yaml", "encryptionsalt: v1:mine\nconfig:\n  p:a: b\n")
	if _, err := prepareProject(project, work, "prod", nil, nil); err != nil {
		t.Fatal(err)
	}
	st, _ = readYAML(gen)
	if st["encryptionsalt"] != "v1:mine" {
		t.Errorf("encryptionsalt = %v, want the project's", st["encryptionsalt"])
	}
	if _, err := prepareProject(project, work, "nope", nil, nil); err == nil || !strings.Contains(err.Error(), "Pulumi.nope.yaml") {
		t.Errorf("missing stack file: err = %v", err)
	}
}

func TestResultSummary(t *testing.T) {
	r := Result{Changes: map[string]int{"same": 3}}
	if r.HasChanges() || r.String() != "3 same" {
		t.Errorf("%v: HasChanges = %v", r, r.HasChanges())
	}
	r.Changes["update"] = 1
	if !r.HasChanges() || r.String() != "3 same, 1 update" {
		t.Errorf("%v: HasChanges = %v", r, r.HasChanges())
	}
}

func TestPinnedVersions(t *testing.T) {
	cli, err := PinnedCLIVersion(repoRoot(t))
	if err != nil || !strings.HasPrefix(cli, "v3.") {
		t.Errorf("PinnedCLIVersion = %q, %v", cli, err)
	}
	k8s, err := PinnedKubernetesVersion(repoRoot(t))
	if err != nil || !strings.HasPrefix(k8s, "v4.") {
		t.Errorf("PinnedKubernetesVersion = %q, %v", k8s, err)
	}
}

func TestRunRejectsIncompleteOptions(t *testing.T) {
	ctx := context.Background()
	for _, o := range []Options{
		{Stack: "s", WorkDir: "w"},
		{Program: func(*pulumi.Context) error { return nil }, WorkDir: "w"},
		{Program: func(*pulumi.Context) error { return nil }, Stack: "s"},
		{Program: func(*pulumi.Context) error { return nil }, Stack: "s", WorkDir: "w", Action: "apply"},
	} {
		if _, err := Run(ctx, o); err == nil {
			t.Errorf("Run(%+v) succeeded", o)
		}
	}
}

// requireConfig reads key in the project's namespace (the tests avoid the
// pulumi/config package, whose dependencies the root module does not list).
func requireConfig(ctx *pulumi.Context, key string) (string, error) {
	v, ok := ctx.GetConfig(ctx.Project() + ":" + key)
	if !ok {
		return "", fmt.Errorf("missing required configuration %s:%s", ctx.Project(), key)
	}
	return v, nil
}

// outputsProgram stands in for infra.Program: no resources, only outputs
// computed from the stack configuration.
func outputsProgram(ctx *pulumi.Context) error {
	greeting, err := requireConfig(ctx, "greeting")
	if err != nil {
		return err
	}
	replicas, err := requireConfig(ctx, "replicas")
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(replicas)
	if err != nil {
		return err
	}
	ctx.Export("greeting", pulumi.String(greeting))
	ctx.Export("replicas", pulumi.Int(n))
	ctx.Export("stack", pulumi.String(ctx.Stack()))
	if v, ok := ctx.GetConfig(ctx.Project() + ":file"); ok {
		ctx.Export("file", pulumi.String(v))
	}
	return nil
}

// TestInlineProgramOnFileBackend needs only the CLI: up, a second preview
// with no changes, refresh, destroy.
func TestInlineProgramOnFileBackend(t *testing.T) {
	tools := cliTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	opts := testOptions(t, tools, outputsProgram)
	// A key Pulumi.yaml does not declare, holding a project-relative path.
	opts.Config = map[string]string{"file": "rel/kubeconfig"}
	opts.PathKeys = []string{"file"}

	opts.Action = Up
	start := time.Now()
	up, err := Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("up: %v in %v", up, time.Since(start).Round(time.Millisecond))
	if up.Changes["create"] != 1 { // the stack itself
		t.Errorf("up changes = %v, want 1 create", up.Changes)
	}
	want := map[string]any{
		"greeting": "hello", "replicas": float64(2), "stack": "test",
		"file": filepath.Join(repoRoot(t), "engine", testProject, "rel", "kubeconfig"),
	}
	for k, v := range want {
		if up.Outputs[k] != v {
			t.Errorf("output %s = %#v, want %#v (Pulumi.yaml default / stack file)", k, up.Outputs[k], v)
		}
	}
	if _, err := os.Stat(filepath.Join(opts.WorkDir, "state", ".pulumi")); err != nil {
		t.Errorf("no file backend state in the work dir: %v", err)
	}

	opts.Action = Preview
	pre, err := Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if pre.HasChanges() {
		t.Errorf("second preview: %v, want no changes\n%s", pre, pre.Stdout)
	}

	opts.Action = Refresh
	ref, err := Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Outputs["greeting"] != "hello" {
		t.Errorf("refresh outputs = %v", ref.Outputs)
	}

	opts.Action = Destroy
	des, err := Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if des.Changes["delete"] != 1 {
		t.Errorf("destroy changes = %v, want 1 delete", des.Changes)
	}
	opts.Action = Preview
	pre, err = Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if pre.Changes["create"] != 1 {
		t.Errorf("preview after destroy = %v, want 1 create", pre)
	}
}

func TestProgramErrorIsReported(t *testing.T) {
	tools := cliTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := testOptions(t, tools, func(ctx *pulumi.Context) error {
		_, err := requireConfig(ctx, "missing")
		return err
	})
	_, err := Run(ctx, opts)
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("err = %v, want one naming the missing config key", err)
	}
}

// TestPrepareProjectTypesOverridesByDeclaration: -config values get the
// type Pulumi.yaml declares for their key, and strings stay exactly as
// given (no YAML 1.1 or JSON re-parsing: "1.30" is not 1.3, "010" not 8,
// "on" not true).
func TestPrepareProjectTypesOverridesByDeclaration(t *testing.T) {
	for _, tc := range []struct {
		key, text string
		want      any
	}{
		{"greeting", "1.30", "1.30"},
		{"greeting", "010", "010"},
		{"greeting", "on", "on"},
		{"greeting", "null", "null"},
		{"greeting", "[a]", "[a]"},
		{"replicas", "3", float64(3)},
		{"replicas", " 010 ", float64(10)},
		{"aws:region", "1.30", "1.30"},
	} {
		work := t.TempDir()
		if _, err := prepareProject(testProject, work, "test", map[string]string{tc.key: tc.text}, nil); err != nil {
			t.Fatalf("%s=%s: %v", tc.key, tc.text, err)
		}
		st, err := readYAML(filepath.Join(work, "project", "Pulumi.test.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		key := tc.key
		if !strings.Contains(key, ":") {
			key = "zdt-engine-test:" + key
		}
		if got := st["config"].(map[string]any)[key]; got != tc.want {
			t.Errorf("%s=%q written as %#v, want %#v", tc.key, tc.text, got, tc.want)
		}
	}
	_, err := prepareProject(testProject, t.TempDir(), "test", map[string]string{"replicas": "three"}, nil)
	if err == nil || !strings.Contains(err.Error(), "zdt-engine-test:replicas") || !strings.Contains(err.Error(), "integer") {
		t.Errorf("non-integer for an integer key: %v, want an error naming the key and type", err)
	}
}
