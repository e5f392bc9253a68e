package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"

	"github.com/zdt-eks/zdt/components/zerodowntime"
)

// Descriptions come from one place, the doc comments of the zerodowntime
// types (compiled into goDocs, docs_gen.go, by `go test -run TestDocsCurrent
// -update`; TestDocsCurrent fails when they differ from the source). They
// are filled into the schema here rather than with infer's Annotate because
// the component's outputs are declared on zerodowntime.ZeroDowntimeApp,
// which cannot carry an Annotate method without making the component
// package depend on pulumi-go-provider; one mechanism serves inputs,
// outputs and types alike.

// describeSchema wraps prov's GetSchema to fill in the descriptions.
func describeSchema(prov p.Provider) p.Provider {
	inner := prov.GetSchema
	prov.GetSchema = func(ctx context.Context, req p.GetSchemaRequest) (p.GetSchemaResponse, error) {
		resp, err := inner(ctx, req)
		if err != nil {
			return resp, err
		}
		var spec schema.PackageSpec
		if err := json.Unmarshal([]byte(resp.Schema), &spec); err != nil {
			return resp, fmt.Errorf("reading the inferred schema: %w", err)
		}
		if err := describe(&spec); err != nil {
			return resp, err
		}
		b, err := json.Marshal(spec)
		if err != nil {
			return resp, fmt.Errorf("writing the schema: %w", err)
		}
		resp.Schema = string(b)
		return resp, nil
	}
	return prov
}

// describe sets the description of the component, of each input and output
// property and of each object type from goDocs.
func describe(spec *schema.PackageSpec) error {
	res, ok := spec.Resources[zerodowntime.TypeToken]
	if !ok {
		return fmt.Errorf("the schema has no resource %s", zerodowntime.TypeToken)
	}
	res.Description = goDocs["ZeroDowntimeApp"]
	outputs := reflect.TypeFor[zerodowntime.ZeroDowntimeApp]()
	for _, f := range reflect.VisibleFields(outputs) {
		if name := tagName(f); name != "" {
			prop := res.Properties[name]
			prop.Description = goDocs[outputs.Name()+"."+f.Name]
			res.Properties[name] = prop
		}
	}
	err := describeProps(spec, res.InputProperties, reflect.TypeFor[Args](), reflect.TypeFor[zerodowntime.Args]())
	spec.Resources[zerodowntime.TypeToken] = res
	return err
}

// describeProps describes props, the properties of wire type w, from the
// docs of the same-named fields of zerodowntime type z, and recurses into
// object types.
func describeProps(spec *schema.PackageSpec, props map[string]schema.PropertySpec, w, z reflect.Type) error {
	for i := range w.NumField() {
		wf := w.Field(i)
		name := tagName(wf)
		if name == "" {
			continue
		}
		zf, ok := z.FieldByName(wf.Name)
		if !ok {
			return fmt.Errorf("%s.%s has no field in zerodowntime.%s", w.Name(), wf.Name, z.Name())
		}
		prop := props[name]
		prop.Description = goDocs[z.Name()+"."+wf.Name]
		props[name] = prop
		wt, zt, ref := deref(wf.Type), deref(zf.Type), prop.Ref
		// Lists and maps of objects: describe their element type.
		if elem := elementSpec(prop, wt); elem != nil {
			wt, zt, ref = deref(wt.Elem()), deref(zt.Elem()), elem.Ref
		}
		if wt.Kind() != reflect.Struct || zt.Kind() != reflect.Struct {
			continue
		}
		token := strings.TrimPrefix(ref, "#/types/")
		typ, ok := spec.Types[token]
		if !ok {
			return fmt.Errorf("%s.%s: the schema has no type %q", w.Name(), wf.Name, prop.Ref)
		}
		typ.Description = goDocs[zt.Name()]
		if err := describeProps(spec, typ.Properties, wt, zt); err != nil {
			return err
		}
		spec.Types[token] = typ
	}
	return nil
}

// elementSpec is the element type of a list or map property of objects,
// nil for any other property.
func elementSpec(prop schema.PropertySpec, wt reflect.Type) *schema.TypeSpec {
	switch {
	case wt.Kind() == reflect.Slice && deref(wt.Elem()).Kind() == reflect.Struct:
		return prop.Items
	case wt.Kind() == reflect.Map && deref(wt.Elem()).Kind() == reflect.Struct:
		return prop.AdditionalProperties
	}
	return nil
}

func tagName(f reflect.StructField) string {
	tag, ok := f.Tag.Lookup("pulumi")
	if !ok || !f.IsExported() {
		return ""
	}
	return strings.Split(tag, ",")[0]
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}
