package engine

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
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
