// Command zdt-engine runs the project's Pulumi program (infra.Program) for a
// stack through the Automation API on a local file backend, with the Pulumi
// CLI and plugins from `make engine-tools`; no Go language host, Pulumi
// Cloud or download is involved.
//
//	zdt-engine [flags] preview|up|destroy|refresh
//	zdt-engine [flags] render    # the stack's Kubernetes objects as YAML
//
// The stack's configuration is the project's: Pulumi.yaml defaults and
// stacks/Pulumi.<stack>.yaml, plus -config overrides. State lives under
// -work (default work/engine, ignored by git).
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/zdt-eks/zdt/engine"
	"github.com/zdt-eks/zdt/infra"
)

// pathKeys are the program's config keys that hold paths relative to the
// project root (see engine.Options.PathKeys).
var pathKeys = []string{"kubeconfigPath", "renderDir"}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], infra.Program, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "zdt-engine:", err)
		var usage usageError
		if errors.As(err, &usage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ error }

// configFlags collects repeated -config key=value flags.
type configFlags map[string]string

func (c configFlags) String() string {
	return strings.Join(slices.Sorted(maps.Keys(c)), ",")
}

func (c configFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	c[k] = v
	return nil
}

func run(ctx context.Context, args []string, program pulumi.RunFunc, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("zdt-engine", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		stack      = fs.String("stack", "local", "stack name (its config: <project>/stacks/Pulumi.<stack>.yaml)")
		project    = fs.String("project", ".", "directory of the project's Pulumi.yaml (the repository root)")
		work       = fs.String("work", "work/engine", "work directory: file backend state and the generated project")
		out        = fs.String("out", "", "render: output directory (default out/manifests/<stack>)")
		pulumiBin  = fs.String("pulumi", "", "Pulumi CLI (default $ZDT_PULUMI_BIN, else the one `make pulumi-cli` puts in ./.cache or $ZDT_CACHE)")
		pulumiHome = fs.String("pulumi-home", "", "PULUMI_HOME with the plugins (default $ZDT_PULUMI_HOME, else the cache's, see `make pulumi-provider`)")
		quiet      = fs.Bool("q", false, "do not stream the CLI's progress")
		expectNone = fs.Bool("expect-no-changes", false, "preview/up: fail when any resource would change")
		cfg        = configFlags{}
	)
	fs.Var(cfg, "config", "override a config value, key=value (repeatable; key without ':' is in the project's namespace; typed as Pulumi.yaml declares the key, strings kept exactly as given)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: zdt-engine [flags] %s|render\n", strings.Join(actionNames(), "|"))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{errors.New("want exactly one action")}
	}
	action := fs.Arg(0)

	tools := engine.Tools{PulumiBin: *pulumiBin, PulumiHome: *pulumiHome}
	if tools.PulumiBin == "" || tools.PulumiHome == "" {
		// Where `make engine-tools` puts them, from the repository root
		// (the current directory, as for every make target).
		cached, err := engine.CachedTools(".")
		if err != nil {
			return fmt.Errorf("%w (run from the repository root, or give -pulumi and -pulumi-home)", err)
		}
		tools.PulumiBin = cmp.Or(tools.PulumiBin, cached.PulumiBin)
		tools.PulumiHome = cmp.Or(tools.PulumiHome, cached.PulumiHome)
	}
	if err := tools.CheckCLI(); err != nil {
		return err
	}
	opts := engine.Options{
		Program:    program,
		Stack:      *stack,
		ProjectDir: *project,
		WorkDir:    *work,
		Config:     cfg,
		PathKeys:   pathKeys,
		PulumiBin:  tools.PulumiBin,
		PulumiHome: tools.PulumiHome,
		Progress:   stdout,
	}
	if *quiet {
		opts.Progress = nil
	}

	start := time.Now()
	var (
		res engine.Result
		err error
	)
	switch {
	case action == "render":
		dir := *out
		if dir == "" {
			dir = filepath.Join("out", "manifests", *stack)
		}
		res, err = engine.Render(ctx, opts, dir)
		if err == nil {
			files, _ := engine.RenderedFiles(dir)
			fmt.Fprintf(stdout, "zdt-engine: rendered %d manifests of stack %s into %s\n", len(files), *stack, dir)
		}
	case slices.Contains(actionNames(), action):
		opts.Action = engine.Action(action)
		res, err = engine.Run(ctx, opts)
	default:
		fs.Usage()
		return usageError{fmt.Errorf("unknown action %q", action)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "zdt-engine: %s of stack %s: %v (%.1fs)\n", action, *stack, res, time.Since(start).Seconds())
	if *expectNone && (action == "preview" || action == "up") && res.HasChanges() {
		return fmt.Errorf("%s of stack %s has changes (%v), -expect-no-changes was given", action, *stack, res)
	}
	return nil
}

func actionNames() []string {
	names := make([]string, len(engine.Actions))
	for i, a := range engine.Actions {
		names[i] = string(a)
	}
	return names
}
