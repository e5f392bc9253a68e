package check

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseErrorsNameFileAndDocument(t *testing.T) {
	for _, tc := range []struct {
		name, input, want string
	}{
		{"not YAML", "apiVersion: v1\nkind: Service\n---\nkey: [unclosed\n", "in.yaml:4 (document 2): not YAML"},
		{"scalar", "just text\n", "in.yaml:1 (document 1): not a Kubernetes object"},
		{"no kind", "apiVersion: v1\nmetadata: {name: x}\n", `kind "" (both are required)`},
		{"unknown kind", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: x}\n", "unknown kind Widget"},
		{"bad field type", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: three}\n", `(document 1): Deployment "web"`},
		{"bad list item", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n- 3\n", "items[1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "in.yaml")
			if err := os.WriteFile(path, []byte(tc.input), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadPaths([]string{path}, nil)
			var pe *ParseError
			if err == nil || !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want a ParseError containing %q", err, tc.want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := LoadPaths([]string{"testdata/no-such.yaml"}, nil)
	if err == nil || !strings.Contains(err.Error(), "testdata/no-such.yaml: no such file") {
		t.Fatalf("error = %v", err)
	}
}

func TestParseListsStdinAndCRDs(t *testing.T) {
	in := `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: a}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: a}
---
# only a comment
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
spec: {group: example.com, names: {kind: Widget}}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
`
	objs, err := LoadPaths([]string{Stdin}, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, o := range objs {
		refs = append(refs, o.Ref()+"@"+o.Location.String())
	}
	want := "Service/a@-:4 (document 1) Deployment/a@-:4 (document 1) CustomResourceDefinition/@-:13 (document 3) Widget/w@-:17 (document 4)"
	if got := strings.Join(refs, " "); got != strings.ReplaceAll(want, "-:4", "-:1") {
		t.Errorf("objects:\n%s\nwant\n%s", got, strings.ReplaceAll(want, "-:4", "-:1"))
	}
}

// FuzzParse: no input makes the parser panic; errors are ParseErrors.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"", "---\n", "apiVersion: v1\nkind: List\nitems: []\n", "- a\n- b\n", "{", "apiVersion: apps/v1\nkind: Deployment\nspec: {replicas: x}\n",
	} {
		f.Add([]byte(seed))
	}
	if b, err := os.ReadFile(filepath.Join("testdata", "fieldreport", "step4.yaml")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Parse("fuzz.yaml", data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %v", err)
			}
			return
		}
		_ = Run(objs, Options{})
	})
}
