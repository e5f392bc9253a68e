package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zdt-eks/zdt/components/zerodowntime"
	"github.com/zdt-eks/zdt/provider/internal/godoc"
)

var update = flag.Bool("update", false, "rewrite docs_gen.go and testdata/schema.golden.json")

// notInSchema lists the zerodowntime fields the schema leaves out on
// purpose, with the reason.
var notInSchema = map[string]string{
	"Args.DependsOn":   "a resource list has no schema form; the resource option dependsOn covers it (Construct copies it into Args.DependsOn)",
	"PodArgs.Affinity": "a Kubernetes type (core/v1 Affinity): the package's schema would have to reference the kubernetes package's; Go programs set it, other languages use NodeSelector and Tolerations",
}

// componentDir is the component's source, for its doc comments.
const componentDir = "../components/zerodowntime"

func inProcessSchema(t *testing.T) schema.PackageSpec {
	t.Helper()
	prov, err := New()
	if err != nil {
		t.Fatal(err)
	}
	spec, err := p.GetSchema(context.Background(), Name, Version, prov)
	if err != nil {
		t.Fatalf("GetSchema: %v", err)
	}
	return spec
}

func TestServesTheGoComponentsToken(t *testing.T) {
	spec := inProcessSchema(t)
	res, ok := spec.Resources[zerodowntime.TypeToken]
	if !ok || !res.IsComponent {
		t.Fatalf("schema resources %v: want the component %s", slices.Collect(maps.Keys(spec.Resources)), zerodowntime.TypeToken)
	}
	if spec.Name != "zdt" || len(spec.Resources) != 1 {
		t.Errorf("package %q with %d resources, want zdt with 1", spec.Name, len(spec.Resources))
	}
}

// TestWireTypesMirrorArgs fails when a field of zerodowntime.Args (nested
// structs included) has no wire field with a `pulumi` tag, no schema
// property or no description: a field added to the component must be added
// to provider/args.go and documented where it is declared.
func TestWireTypesMirrorArgs(t *testing.T) {
	spec := inProcessSchema(t)
	res := spec.Resources[zerodowntime.TypeToken]
	var problems []string
	mirror(&problems, spec, res.InputProperties, reflect.TypeFor[zerodowntime.Args](), reflect.TypeFor[Args]())
	for _, p := range problems {
		t.Error(p)
	}
}

func mirror(problems *[]string, spec schema.PackageSpec, props map[string]schema.PropertySpec, z, w reflect.Type) {
	for _, zf := range reflect.VisibleFields(z) {
		key := z.Name() + "." + zf.Name
		if !zf.IsExported() || notInSchema[key] != "" {
			continue
		}
		wf, ok := w.FieldByName(zf.Name)
		name := tagName(wf)
		if !ok || name == "" {
			*problems = append(*problems, fmt.Sprintf("zerodowntime.%s has no field with a `pulumi` tag in provider.%s (provider/args.go): add it, or list it in notInSchema with the reason", key, w.Name()))
			continue
		}
		prop, ok := props[name]
		switch {
		case !ok:
			*problems = append(*problems, fmt.Sprintf("zerodowntime.%s: no schema property %q", key, name))
			continue
		case prop.Description == "":
			*problems = append(*problems, fmt.Sprintf("zerodowntime.%s (schema property %q) has no description: document the field, then run `make provider-golden`", key, name))
		}
		zt, wt := deref(zf.Type), deref(wf.Type)
		ref := prop.Ref
		// Lists and maps of objects: compare their element types.
		if (zt.Kind() == reflect.Slice || zt.Kind() == reflect.Map) && deref(zt.Elem()).Kind() == reflect.Struct {
			elem := prop.Items
			if zt.Kind() == reflect.Map {
				elem = prop.AdditionalProperties
			}
			if elem == nil {
				*problems = append(*problems, fmt.Sprintf("zerodowntime.%s: property %q is no list or map of objects", key, name))
				continue
			}
			zt, wt, ref = deref(zt.Elem()), deref(wt.Elem()), elem.Ref
		}
		if zt.Kind() == reflect.Struct {
			typ, ok := spec.Types[strings.TrimPrefix(ref, "#/types/")]
			if !ok {
				*problems = append(*problems, fmt.Sprintf("zerodowntime.%s: property %q is no object type (%+v)", key, name, prop.TypeSpec))
				continue
			}
			mirror(problems, spec, typ.Properties, zt, wt)
		}
	}
}

// TestToArgsCopiesEveryField fills every wire field and requires every
// zerodowntime field to arrive (the mapping loses nothing).
func TestToArgsCopiesEveryField(t *testing.T) {
	var w Args
	if err := fill(reflect.ValueOf(&w).Elem()); err != nil {
		t.Fatal(err)
	}
	a, err := toArgs(w)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	unset(&missing, reflect.ValueOf(a), "Args")
	if len(missing) > 0 {
		t.Errorf("toArgs left these zerodowntime fields unset: %v", missing)
	}
}

func fill(v reflect.Value) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Int:
		v.SetInt(7)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		return fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		return fill(v.Index(0))
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		e := reflect.New(v.Type().Elem()).Elem()
		if err := fill(e); err != nil {
			return err
		}
		v.SetMapIndex(reflect.ValueOf("k"), e)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				if err := fill(v.Field(i)); err != nil {
					return err
				}
			}
		}
	case reflect.Interface:
		for _, c := range []any{pulumi.String("x"), pulumi.StringArray{pulumi.String("x")}} {
			if reflect.TypeOf(c).AssignableTo(v.Type()) {
				v.Set(reflect.ValueOf(c))
				return nil
			}
		}
		return fmt.Errorf("fill: no test value for %s; add one", v.Type())
	default:
		return fmt.Errorf("fill: no test value for %s; add one", v.Type())
	}
	return nil
}

func unset(missing *[]string, v reflect.Value, path string) {
	for i := range v.NumField() {
		f := v.Type().Field(i)
		key := v.Type().Name() + "." + f.Name
		if !f.IsExported() || notInSchema[key] != "" {
			continue
		}
		fv := v.Field(i)
		if fv.IsZero() {
			*missing = append(*missing, path+"."+f.Name)
			continue
		}
		unsetIn(missing, fv, path+"."+f.Name)
	}
}

// unsetIn descends into a struct, a pointer to one, or the first element of
// a slice or map of them.
func unsetIn(missing *[]string, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Pointer:
		unsetIn(missing, v.Elem(), path)
	case reflect.Struct:
		unset(missing, v, path)
	case reflect.Slice:
		unsetIn(missing, v.Index(0), path+"[0]")
	case reflect.Map:
		if it := v.MapRange(); it.Next() {
			unsetIn(missing, it.Value(), fmt.Sprintf("%s[%v]", path, it.Key()))
		}
	}
}

// TestValidationErrorIsTheComponents: an invalid input fails Construct with
// exactly the error NewZeroDowntimeApp returns for the same input in Go.
func TestValidationErrorIsTheComponents(t *testing.T) {
	w := Args{
		Namespace: pulumi.String("apps"),
		Image:     pulumi.String("registry.example.com/app@sha256:0123"),
		Timing:    &TimingArgs{PreStopSeconds: 5},
		Ingress:   &IngressArgs{Scheme: "public"},
	}
	a, err := toArgs(w)
	if err != nil {
		t.Fatal(err)
	}
	var viaProvider, viaGo error
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, viaProvider = App{}.Construct(ctx, "orders", zerodowntime.TypeToken, w, pulumi.Composite())
		_, viaGo = zerodowntime.NewZeroDowntimeApp(ctx, "orders", &a)
		return nil
	}, pulumi.WithMocks("project", "stack", mocks{}))
	if err != nil {
		t.Fatal(err)
	}
	if viaGo == nil || viaProvider == nil {
		t.Fatalf("want both to fail: provider %v, Go %v", viaProvider, viaGo)
	}
	if viaProvider.Error() != viaGo.Error() {
		t.Errorf("provider error\n%s\nGo error\n%s", viaProvider, viaGo)
	}
	for _, want := range []string{"Timing.PreStopSeconds", "Ingress.Scheme"} {
		if !strings.Contains(viaProvider.Error(), want) {
			t.Errorf("error does not name %s:\n%s", want, viaProvider)
		}
	}
}

type mocks struct{}

func (mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	return args.Name + "-id", args.Inputs, nil
}

func (mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return args.Args, nil
}

// TestDocsCurrent: goDocs (docs_gen.go) holds the current doc comments of
// every zerodowntime type and field the schema exposes; -update rewrites it.
func TestDocsCurrent(t *testing.T) {
	all, err := godoc.Read(componentDir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, key := range documentedKeys() {
		if doc := all[key]; doc != "" {
			want[key] = doc
		}
	}
	if *update {
		writeDocs(t, want)
		return
	}
	if !reflect.DeepEqual(want, goDocs) {
		t.Errorf("docs_gen.go is stale (the zerodowntime doc comments changed): run `make provider-golden`")
	}
}

// documentedKeys are the zerodowntime types and fields the schema shows:
// Args and the structs it reaches, and the component's tagged outputs.
func documentedKeys() []string {
	keys := []string{"ZeroDowntimeApp"}
	app := reflect.TypeFor[zerodowntime.ZeroDowntimeApp]()
	for _, f := range reflect.VisibleFields(app) {
		if tagName(f) != "" {
			keys = append(keys, app.Name()+"."+f.Name)
		}
	}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		keys = append(keys, t.Name())
		for _, f := range reflect.VisibleFields(t) {
			key := t.Name() + "." + f.Name
			if !f.IsExported() || notInSchema[key] != "" {
				continue
			}
			keys = append(keys, key)
			ft := deref(f.Type)
			if ft.Kind() == reflect.Slice || ft.Kind() == reflect.Map {
				ft = deref(ft.Elem())
			}
			if ft.Kind() == reflect.Struct {
				walk(ft)
			}
		}
	}
	walk(reflect.TypeFor[zerodowntime.Args]())
	slices.Sort(keys)
	return slices.Compact(keys)
}

func writeDocs(t *testing.T, docs map[string]string) {
	var b bytes.Buffer
	b.WriteString("// Code generated by `go test -run TestDocsCurrent -update`; DO NOT EDIT.\n\npackage provider\n\n")
	b.WriteString("// goDocs are the doc comments of the zerodowntime types the schema exposes,\n// by \"Type\" and \"Type.Field\".\nvar goDocs = map[string]string{\n")
	keys := slices.Sorted(maps.Keys(docs))
	for _, k := range keys {
		fmt.Fprintf(&b, "\t%q: %q,\n", k, docs[k])
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("docs_gen.go", src, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote docs_gen.go (%d entries); run the tests again to regenerate the schema golden with them", len(docs))
}

const goldenSchema = "testdata/schema.golden.json"

// TestSchemaGolden compares the schema with testdata/schema.golden.json
// (the file `make sdk-check` also compares `pulumi package get-schema` of
// the built plugin with); -update rewrites it.
func TestSchemaGolden(t *testing.T) {
	got, err := CanonicalJSON(inProcessSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(goldenSchema, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenSchema)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the schema differs from %s: zerodowntime.Args or its docs changed; review, then run `make provider-golden` and commit the diff", goldenSchema)
	}
}

// TestEveryPropertyDescribed: the golden schema describes the component,
// each object type, and every property.
func TestEveryPropertyDescribed(t *testing.T) {
	b, err := os.ReadFile(filepath.FromSlash(goldenSchema))
	if err != nil {
		t.Fatal(err)
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	check := func(where, desc string) {
		if strings.TrimSpace(desc) == "" {
			t.Errorf("%s has no description", where)
		}
	}
	for tok, r := range spec.Resources {
		check(tok, r.Description)
		for n, p := range r.InputProperties {
			check(tok+" input "+n, p.Description)
		}
		for n, p := range r.Properties {
			check(tok+" output "+n, p.Description)
		}
	}
	for tok, typ := range spec.Types {
		check(tok, typ.Description)
		for n, p := range typ.Properties {
			check(tok+"."+n, p.Description)
		}
	}
}
