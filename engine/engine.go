// Package engine runs a Pulumi program function — the same one `pulumi up`
// runs through the standard Go entry point — through the Automation API, as
// an inline program, on a local file backend. It is how the lab and
// cmd/zdt-engine deploy a stack without the Go language host, the Pulumi
// Cloud or any download: it only needs a Pulumi CLI and the plugins already
// installed in a PULUMI_HOME (see `make engine-tools`).
//
// Configuration comes from the project, as for the CLI: the project's
// Pulumi.yaml (its config defaults) and the stack's Pulumi.<stack>.yaml in
// the project's stackConfigDir. The driver never writes into the project:
// it copies both files into a generated project under the work directory,
// points that copy at the file backend, and applies Options.Config there.
package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"sigs.k8s.io/yaml"
)

// Action is what Run does to the stack.
type Action string

// The actions, named after the CLI commands they match.
const (
	Preview Action = "preview" // pulumi preview --diff
	Up      Action = "up"      // pulumi up --diff --yes
	Destroy Action = "destroy" // pulumi destroy --yes
	Refresh Action = "refresh" // pulumi refresh --yes
)

// Actions lists every Action, in the order a help text shows them.
var Actions = []Action{Preview, Up, Destroy, Refresh}

// DefaultPassphrase encrypts the secrets of the local file backend when
// neither Options.Passphrase nor PULUMI_CONFIG_PASSPHRASE is set. The local
// state holds nothing worth protecting from someone who can read the work
// directory; real stacks use their own secrets provider.
const DefaultPassphrase = "zdt-local"

// Options says what to run, where.
type Options struct {
	// Program is the program function, e.g. infra.Program. Required unless
	// ProjectProgram is set.
	Program pulumi.RunFunc
	// ProjectProgram runs the project's own program instead of Program
	// (which must then be nil), with the language host of its Pulumi.yaml
	// runtime, e.g. a Pulumi YAML program with pulumi-language-yaml. Only
	// Pulumi.yaml and the stack file are copied into the generated project,
	// so the program must live in Pulumi.yaml, as a Pulumi YAML program's
	// resources do.
	ProjectProgram bool
	// Plugins are added to the generated project's `plugins:` section, so
	// the engine runs these binaries instead of looking in PulumiHome: a
	// language host (Kind "languages") or a provider (Kind "providers")
	// built here. Relative paths in the project's own `plugins:` section
	// are made absolute (relative to ProjectDir).
	Plugins []Plugin
	// Stack is the stack name, e.g. "local". Required.
	Stack string
	// Action defaults to Preview.
	Action Action

	// ProjectDir holds the project's Pulumi.yaml; its stackConfigDir (or
	// "stacks/" when unset and present, else the project dir itself) holds
	// Pulumi.<stack>.yaml. Defaults to the current directory.
	ProjectDir string
	// WorkDir holds the generated project (WorkDir/project) and the file
	// backend's state (WorkDir/state). Required; created when missing.
	WorkDir string
	// Config overrides stack configuration: key (namespaced to the project
	// when it has no ':') -> value as text. A key the project declares
	// (Pulumi.yaml `config:`) gets its declared type: "3" for an integer key
	// is 3, "true" for a boolean true, `["a","b"]` for an array a list; a
	// string key keeps the text exactly ("1.30", "010", "on"). Undeclared
	// keys (e.g. aws:region) are strings. Nothing is re-parsed as YAML.
	Config map[string]string
	// PathKeys names config keys (namespaced as in Config) whose values are
	// file paths relative to ProjectDir. The program sees the generated
	// project as its root (ctx.RootDirectory() is WorkDir/project), so the
	// driver makes these absolute in the generated stack file.
	PathKeys []string

	// PulumiBin is the CLI; "" means `pulumi` on PATH.
	PulumiBin string
	// PulumiHome is the PULUMI_HOME holding the installed plugins; "" keeps
	// the environment's. Plugins found on PATH are ignored either way.
	PulumiHome string
	// Passphrase for the file backend's secrets; "" means
	// $PULUMI_CONFIG_PASSPHRASE, else DefaultPassphrase.
	Passphrase string
	// Env adds environment variables for the CLI and the plugins it starts.
	Env map[string]string

	// Progress receives the CLI's progress and diff output; nil discards it.
	Progress io.Writer
}

// Plugin is one entry of a project's `plugins:` section.
type Plugin struct {
	// Kind is "languages", "providers" or "analyzers".
	Kind string
	// Name is the plugin's name, e.g. "yaml" or "zdt".
	Name string
	// Dir holds the binary (pulumi-language-yaml, pulumi-resource-zdt).
	Dir string
}

// Result is what an action did.
type Result struct {
	Action Action
	// Changes counts resources by operation ("same", "create", "update",
	// "delete", "replace", ...), as the CLI's summary reports them.
	Changes map[string]int
	// Outputs are the stack outputs after Up or Refresh (secrets included).
	Outputs map[string]any
	// Stdout is the CLI's full output of the action.
	Stdout string
}

// HasChanges reports whether the action changed (or, for a preview, would
// change) any resource.
func (r Result) HasChanges() bool {
	for op, n := range r.Changes {
		if op != "same" && n > 0 {
			return true
		}
	}
	return false
}

// String renders the change counts in a stable order, e.g. "1 update, 3 same".
func (r Result) String() string {
	ops := slices.Sorted(maps.Keys(r.Changes))
	parts := make([]string, 0, len(ops))
	for _, op := range ops {
		parts = append(parts, fmt.Sprintf("%d %s", r.Changes[op], op))
	}
	if len(parts) == 0 {
		return "no resources"
	}
	return strings.Join(parts, ", ")
}

// Run performs opts.Action on opts.Stack (creating the stack in the file
// backend when it does not exist yet) and reports what changed.
func Run(ctx context.Context, opts Options) (Result, error) {
	if opts.Action == "" {
		opts.Action = Preview
	}
	if !slices.Contains(Actions, opts.Action) {
		return Result{}, fmt.Errorf("engine: unknown action %q (want one of %v)", opts.Action, Actions)
	}
	st, err := openStack(ctx, opts)
	if err != nil {
		return Result{}, err
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	res := Result{Action: opts.Action}
	switch opts.Action {
	case Preview:
		var pr auto.PreviewResult
		pr, err = st.Preview(ctx, optpreview.Diff(), optpreview.ProgressStreams(progress))
		res.Stdout = pr.StdOut
		res.Changes = map[string]int{}
		for op, n := range pr.ChangeSummary {
			res.Changes[string(op)] = n
		}
	case Up:
		var ur auto.UpResult
		ur, err = st.Up(ctx, optup.Diff(), optup.ProgressStreams(progress))
		res.Stdout, res.Changes, res.Outputs = ur.StdOut, changes(ur.Summary), outputs(ur.Outputs)
	case Destroy:
		var dr auto.DestroyResult
		dr, err = st.Destroy(ctx, optdestroy.ProgressStreams(progress))
		res.Stdout, res.Changes = dr.StdOut, changes(dr.Summary)
	case Refresh:
		var rr auto.RefreshResult
		rr, err = st.Refresh(ctx, optrefresh.ProgressStreams(progress))
		res.Stdout, res.Changes = rr.StdOut, changes(rr.Summary)
		if err == nil {
			var om auto.OutputMap
			om, err = st.Outputs(ctx)
			res.Outputs = outputs(om)
		}
	}
	if err != nil {
		return res, fmt.Errorf("engine: %s of stack %q: %w", opts.Action, opts.Stack, err)
	}
	return res, nil
}

func changes(s auto.UpdateSummary) map[string]int {
	m := map[string]int{}
	if s.ResourceChanges != nil {
		maps.Copy(m, *s.ResourceChanges)
	}
	return m
}

func outputs(om auto.OutputMap) map[string]any {
	m := make(map[string]any, len(om))
	for k, v := range om {
		m[k] = v.Value
	}
	return m
}

// openStack generates the work project and selects (or creates) the stack.
func openStack(ctx context.Context, opts Options) (auto.Stack, error) {
	var st auto.Stack
	switch {
	case opts.Program == nil && !opts.ProjectProgram:
		return st, errors.New("engine: Options.Program is required (or ProjectProgram)")
	case opts.Program != nil && opts.ProjectProgram:
		return st, errors.New("engine: Options.Program and ProjectProgram exclude each other")
	case opts.Stack == "":
		return st, errors.New("engine: Options.Stack is required")
	case opts.WorkDir == "":
		return st, errors.New("engine: Options.WorkDir is required")
	}
	work, err := filepath.Abs(opts.WorkDir)
	if err != nil {
		return st, err
	}
	projectDir := opts.ProjectDir
	if projectDir == "" {
		projectDir = "."
	}
	name, err := prepareProject(projectDir, work, opts.Stack, opts.Config, opts.PathKeys)
	if err != nil {
		return st, err
	}
	if err := addPlugins(projectDir, filepath.Join(work, "project", "Pulumi.yaml"), opts.Plugins); err != nil {
		return st, err
	}

	wsOpts := []auto.LocalWorkspaceOption{
		auto.WorkDir(filepath.Join(work, "project")),
		auto.EnvVars(environment(opts)),
	}
	if opts.PulumiHome != "" {
		home, err := filepath.Abs(opts.PulumiHome)
		if err != nil {
			return st, err
		}
		wsOpts = append(wsOpts, auto.PulumiHome(home))
	}
	cmd, err := pulumiCommand(opts.PulumiBin)
	if err != nil {
		return st, err
	}
	wsOpts = append(wsOpts, auto.Pulumi(cmd))
	if opts.ProjectProgram {
		st, err = auto.UpsertStackLocalSource(ctx, opts.Stack, filepath.Join(work, "project"), wsOpts...)
	} else {
		st, err = auto.UpsertStackInlineSource(ctx, opts.Stack, name, opts.Program, wsOpts...)
	}
	if err != nil {
		return st, fmt.Errorf("engine: opening stack %q of project %q in %s: %w", opts.Stack, name, work, err)
	}
	return st, nil
}

// pulumiCommand wraps the CLI at bin (or on PATH). auto.NewPulumiCommand
// looks for <Root>/bin/pulumi, so a binary elsewhere is given its directory's
// parent when it is named pulumi and lives in a bin directory; otherwise it
// is put on PATH for the workspace.
func pulumiCommand(bin string) (auto.PulumiCommand, error) {
	opts := &auto.PulumiCommandOptions{}
	if bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("engine: the Pulumi CLI %s: %w (run `make pulumi-cli`)", bin, err)
		}
		if filepath.Base(abs) != "pulumi" || filepath.Base(filepath.Dir(abs)) != "bin" {
			return nil, fmt.Errorf("engine: PulumiBin must be a file named pulumi in a bin directory, got %s", bin)
		}
		opts.Root = filepath.Dir(filepath.Dir(abs))
	}
	cmd, err := auto.NewPulumiCommand(opts)
	if err != nil {
		return nil, fmt.Errorf("engine: the Pulumi CLI: %w (run `make pulumi-cli`)", err)
	}
	return cmd, nil
}

func environment(opts Options) map[string]string {
	pass := opts.Passphrase
	if pass == "" {
		pass = os.Getenv("PULUMI_CONFIG_PASSPHRASE")
	}
	if pass == "" {
		pass = DefaultPassphrase
	}
	env := map[string]string{
		"PULUMI_CONFIG_PASSPHRASE": pass,
		// Only the plugins installed in PULUMI_HOME; never download one.
		"PULUMI_IGNORE_AMBIENT_PLUGINS":               "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_DIY_BACKEND_NO_LEGACY_WARNING":        "true",
	}
	maps.Copy(env, opts.Env)
	return env
}

// Secrets settings of a stack file that belong to its own backend.
var secretsKeys = []string{"secretsprovider", "encryptedkey", "encryptionsalt"}

// prepareProject writes WorkDir/project/Pulumi.yaml and Pulumi.<stack>.yaml
// from the project's files and returns the project name.
func prepareProject(projectDir, work, stack string, overrides map[string]string, pathKeys []string) (string, error) {
	projectDir, err := filepath.Abs(projectDir)
	if err != nil {
		return "", err
	}
	projFile := filepath.Join(projectDir, "Pulumi.yaml")
	proj, err := readYAML(projFile)
	if err != nil {
		return "", fmt.Errorf("engine: reading the project: %w", err)
	}
	name, _ := proj["name"].(string)
	if name == "" {
		return "", fmt.Errorf("engine: %s has no name", projFile)
	}
	if _, ok := proj["runtime"]; !ok {
		proj["runtime"] = "go"
	}
	stackDir := projectDir
	if d, _ := proj["stackConfigDir"].(string); d != "" {
		stackDir = filepath.Join(projectDir, d)
	} else if fi, err := os.Stat(filepath.Join(projectDir, "stacks")); err == nil && fi.IsDir() {
		stackDir = filepath.Join(projectDir, "stacks")
	}
	// The generated project has no program directory of its own (the
	// program is inline), and its stack files sit beside it.
	delete(proj, "stackConfigDir")
	delete(proj, "main")
	proj["backend"] = map[string]any{"url": "file://" + filepath.ToSlash(filepath.Join(work, "state"))}

	stackFile := filepath.Join(stackDir, "Pulumi."+stack+".yaml")
	st, err := readYAML(stackFile)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("engine: no configuration for stack %q: %s does not exist", stack, stackFile)
	} else if err != nil {
		return "", fmt.Errorf("engine: reading the stack configuration: %w", err)
	}

	out := filepath.Join(work, "project")
	outStack := filepath.Join(out, "Pulumi."+stack+".yaml")
	// Secrets: a stack file with its own secrets provider (KMS, a service)
	// cannot be used on the local file backend: drop those settings. A
	// passphrase salt in the project's file is kept (same passphrase, same
	// secure values); otherwise the salt the local stack was created with is
	// carried over from the previous generated copy.
	if _, ok := st["secretsprovider"]; ok {
		for _, k := range secretsKeys {
			delete(st, k)
		}
	}
	if _, ok := st["encryptionsalt"]; !ok {
		if prev, err := readYAML(outStack); err == nil {
			for _, k := range secretsKeys {
				if v, ok := prev[k]; ok {
					st[k] = v
				}
			}
		}
	}
	cfg, _ := st["config"].(map[string]any)
	if cfg == nil {
		cfg = map[string]any{}
	}
	qualify := func(k string) string {
		if strings.Contains(k, ":") {
			return k
		}
		return name + ":" + k
	}
	types := declaredTypes(proj, qualify)
	for _, k := range slices.Sorted(maps.Keys(overrides)) {
		v, err := typedValue(qualify(k), overrides[k], types[qualify(k)])
		if err != nil {
			return "", err
		}
		cfg[qualify(k)] = v
	}
	for _, k := range pathKeys {
		if p, ok := cfg[qualify(k)].(string); ok && p != "" && !filepath.IsAbs(p) {
			cfg[qualify(k)] = filepath.Join(projectDir, p)
		}
	}
	if len(cfg) > 0 {
		st["config"] = cfg
	}

	if err := os.MkdirAll(filepath.Join(work, "state"), 0o755); err != nil {
		return "", err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	if err := writeYAML(filepath.Join(out, "Pulumi.yaml"), proj); err != nil {
		return "", err
	}
	if err := writeYAML(outStack, st); err != nil {
		return "", err
	}
	return name, nil
}

// declaredTypes maps each config key the project declares (namespaced)
// to its declared type.
func declaredTypes(proj map[string]any, qualify func(string) string) map[string]string {
	types := map[string]string{}
	decls, _ := proj["config"].(map[string]any)
	for k, d := range decls {
		if m, ok := d.(map[string]any); ok {
			if t, ok := m["type"].(string); ok {
				types[qualify(k)] = t
			}
		}
	}
	return types
}

// typedValue converts an override's text to the key's declared type
// ("" for an undeclared key: a string).
func typedValue(key, text, typ string) (any, error) {
	bad := func(what string) error {
		return fmt.Errorf("engine: config %s=%q: not %s (declared %s in Pulumi.yaml)", key, text, what, typ)
	}
	switch typ {
	case "integer":
		n, err := strconv.Atoi(strings.TrimSpace(text))
		if err != nil {
			return nil, bad("an integer")
		}
		return n, nil
	case "boolean":
		b, err := strconv.ParseBool(strings.TrimSpace(text))
		if err != nil {
			return nil, bad("true or false")
		}
		return b, nil
	case "array":
		var list []any
		if err := json.Unmarshal([]byte(text), &list); err != nil {
			return nil, bad(`a JSON list such as ["a","b"]`)
		}
		return list, nil
	}
	return text, nil
}

func readYAML(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func writeYAML(path string, m map[string]any) error {
	b, err := yaml.Marshal(m)
	if err != nil {
		return err
	}
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return nil
	}
	return os.WriteFile(path, b, 0o644)
}
