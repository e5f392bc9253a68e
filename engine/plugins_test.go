package engine

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestAddPluginsAbsolutePathsAndExtras(t *testing.T) {
	project := t.TempDir()
	work := t.TempDir()
	write := func(dir, name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(project, "Pulumi.yaml", "name: p\nruntime: yaml\nplugins:\n  providers:\n    - name: zdt\n      path: ../bin\n    - name: other\n      path: /abs/other\n")
	write(project, "Pulumi.s.yaml", "config: {}\n")
	if _, err := prepareProject(project, work, "s", nil, nil); err != nil {
		t.Fatal(err)
	}
	gen := filepath.Join(work, "project", "Pulumi.yaml")
	if err := addPlugins(project, gen, []Plugin{
		{Kind: "languages", Name: "yaml", Dir: "/tools/yaml"},
		{Kind: "providers", Name: "other", Dir: "/tools/other"},
	}); err != nil {
		t.Fatal(err)
	}
	proj, err := readYAML(gen)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"providers": []any{
			map[string]any{"name": "zdt", "path": filepath.Join(project, "../bin")},
			map[string]any{"name": "other", "path": "/tools/other"},
		},
		"languages": []any{map[string]any{"name": "yaml", "path": "/tools/yaml"}},
	}
	if !reflect.DeepEqual(proj["plugins"], want) {
		t.Errorf("plugins = %#v\nwant %#v", proj["plugins"], want)
	}
	if proj["runtime"] != "yaml" {
		t.Errorf("runtime = %v, want the project's yaml", proj["runtime"])
	}
}

func TestProjectProgramExcludesProgram(t *testing.T) {
	_, err := Run(context.Background(), Options{
		Program: func(*pulumi.Context) error { return nil }, ProjectProgram: true, Stack: "s", WorkDir: t.TempDir(),
	})
	if err == nil {
		t.Error("Run with both Program and ProjectProgram succeeded")
	}
}

func TestPackagePluginsNamesTheMakeTarget(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "tools", "pulumi-yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "tools", "pulumi-yaml", "go.mod"), []byte("module m\n\nrequire github.com/pulumi/pulumi-yaml v1.25.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ZDT_CACHE", filepath.Join(root, "cache"))
	if _, err := PackagePlugins(root); err == nil || !strings.Contains(err.Error(), "make yaml-host provider") {
		t.Fatalf("PackagePlugins without binaries: %v", err)
	}
	for _, p := range []string{"cache/pulumi-yaml/v1.25.0/pulumi-language-yaml", "bin/pulumi-resource-zdt"} {
		f := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got, err := PackagePlugins(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []Plugin{
		{Kind: "languages", Name: "yaml", Dir: filepath.Join(root, "cache", "pulumi-yaml", "v1.25.0")},
		{Kind: "providers", Name: "zdt", Dir: filepath.Join(root, "bin")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PackagePlugins = %+v, want %+v", got, want)
	}
}
