// Package pulumitest records what a Pulumi program registers under
// pulumi.WithMocks, so tests can assert on resources, their inputs and their
// dependency edges, and render Kubernetes objects as YAML for golden files.
package pulumitest

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"sigs.k8s.io/yaml"
)

// Resource is one registered resource as the mock monitor saw it.
type Resource struct {
	Type   string
	Name   string
	Custom bool
	// Inputs are the resource's inputs as plain Go values.
	Inputs map[string]any
	// Parent is the parent's URN ("" for the stack).
	Parent string
	// Dependencies are the URNs this resource depends on, explicit and implicit.
	Dependencies []string
	// Provider is the provider reference ("" for the default provider).
	Provider string
	// IgnoreChanges are the property paths of the ignoreChanges option.
	IgnoreChanges []string
}

// OutputsFunc returns extra output properties for a resource, e.g. a status
// a real provider would fill in. Returning nil adds none.
type OutputsFunc func(typ, name string, inputs resource.PropertyMap) resource.PropertyMap

// Recorder is a pulumi.MockResourceMonitor that records registrations.
type Recorder struct {
	mu        sync.Mutex
	resources []Resource
	outputs   OutputsFunc
	calls     func(pulumi.MockCallArgs) (resource.PropertyMap, error)
}

// NewRecorder returns a Recorder; outputs may be nil.
func NewRecorder(outputs OutputsFunc) *Recorder {
	return &Recorder{outputs: outputs}
}

// OnCall sets the handler for provider function calls (invokes).
func (r *Recorder) OnCall(f func(pulumi.MockCallArgs) (resource.PropertyMap, error)) {
	r.calls = f
}

// NewResource implements pulumi.MockResourceMonitor: the resource's state is
// its inputs plus what the OutputsFunc adds.
func (r *Recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rec := Resource{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs.Mappable(), Provider: args.Provider}
	if rpc := args.RegisterRPC; rpc != nil {
		rec.Parent = rpc.GetParent()
		rec.Dependencies = append(rec.Dependencies, rpc.GetDependencies()...)
		rec.IgnoreChanges = rpc.GetIgnoreChanges()
	}
	r.mu.Lock()
	r.resources = append(r.resources, rec)
	r.mu.Unlock()

	state := args.Inputs.Copy()
	if r.outputs != nil {
		for k, v := range r.outputs(args.TypeToken, args.Name, args.Inputs) {
			state[k] = v
		}
	}
	return args.Name + "-id", state, nil
}

// Call implements pulumi.MockResourceMonitor.
func (r *Recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	if r.calls != nil {
		return r.calls(args)
	}
	return resource.PropertyMap{}, nil
}

// Resources returns every registered resource in registration order.
func (r *Recorder) Resources() []Resource {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Resource(nil), r.resources...)
}

// Find returns the resource of the given type and name.
func (r *Recorder) Find(typ, name string) (Resource, bool) {
	for _, res := range r.Resources() {
		if res.Type == typ && res.Name == name {
			return res, true
		}
	}
	return Resource{}, false
}

// OfType returns every resource of the given type.
func (r *Recorder) OfType(typ string) []Resource {
	var out []Resource
	for _, res := range r.Resources() {
		if res.Type == typ {
			out = append(out, res)
		}
	}
	return out
}

// DependsOn reports whether res depends on the resource of type typ named name.
func (res Resource) DependsOn(typ, name string) bool {
	suffix := typ + "::" + name
	for _, urn := range res.Dependencies {
		if strings.HasSuffix(urn, suffix) {
			return true
		}
	}
	return false
}

// ChildOf reports whether res's parent is the resource of type typ named name.
func (res Resource) ChildOf(typ, name string) bool {
	return strings.HasSuffix(res.Parent, typ+"::"+name)
}

// UsesProvider reports whether res was registered with the explicit
// provider of type typ (e.g. "pulumi:providers:kubernetes") named name;
// a provider reference is "<provider URN>::<provider ID>".
func (res Resource) UsesProvider(typ, name string) bool {
	return strings.Contains(res.Provider, typ+"::"+name+"::")
}

// Get walks the inputs along a path of map keys and list indexes, e.g.
// Get("spec", "template", "spec", "containers", 0, "image").
func (res Resource) Get(path ...any) (any, bool) {
	var cur any = res.Inputs
	for _, p := range path {
		switch key := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = m[key]; !ok {
				return nil, false
			}
		case int:
			l, ok := cur.([]any)
			if !ok || key < 0 || key >= len(l) {
				return nil, false
			}
			cur = l[key]
		default:
			return nil, false
		}
	}
	return cur, true
}

// KubernetesYAML renders every registered Kubernetes object as a YAML stream
// ordered by type and name (registration order varies between runs), keys
// sorted, so the output is stable and a reviewer can diff it; a resource's
// ignoreChanges option is shown as a comment. Objects of other providers are
// skipped.
func (r *Recorder) KubernetesYAML() ([]byte, error) {
	var buf bytes.Buffer
	all := r.Resources()
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Type != all[j].Type {
			return all[i].Type < all[j].Type
		}
		return all[i].Name < all[j].Name
	})
	for _, res := range all {
		if !res.Custom || !strings.HasPrefix(res.Type, "kubernetes:") || strings.HasPrefix(res.Type, "kubernetes:helm") {
			continue
		}
		obj := map[string]any{}
		for k, v := range res.Inputs {
			obj[k] = v
		}
		out, err := yaml.Marshal(obj)
		if err != nil {
			return nil, fmt.Errorf("rendering %s %s: %w", res.Type, res.Name, err)
		}
		fmt.Fprintf(&buf, "---\n# %s %s\n", res.Type, res.Name)
		if len(res.IgnoreChanges) > 0 {
			fmt.Fprintf(&buf, "# ignoreChanges: %s\n", strings.Join(res.IgnoreChanges, ", "))
		}
		buf.Write(out)
	}
	return buf.Bytes(), nil
}

// Types returns the sorted distinct resource types registered.
func (r *Recorder) Types() []string {
	seen := map[string]bool{}
	for _, res := range r.Resources() {
		seen[res.Type] = true
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// MustFind is Find that fails the test when the resource is missing.
func (r *Recorder) MustFind(t testing.TB, typ, name string) Resource {
	t.Helper()
	res, ok := r.Find(typ, name)
	if !ok {
		t.Fatalf("no %s named %q registered; types: %v", typ, name, r.Types())
	}
	return res
}

// MustGet is Get that fails the test when the path is missing.
func (res Resource) MustGet(t testing.TB, path ...any) any {
	t.Helper()
	v, ok := res.Get(path...)
	if !ok {
		t.Fatalf("%s %s: no input at %v", res.Type, res.Name, path)
	}
	return v
}
