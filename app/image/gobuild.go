package image

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// GoBuild describes a static, reproducible build of a Go main package for
// linux.
type GoBuild struct {
	// Dir is the directory go build runs in (inside the module); empty
	// means the current directory.
	Dir string
	// Package is the package to build, relative to Dir; empty means ".".
	Package string
	// Output is the path of the binary to write (required).
	Output string
	// Version is linked into main.version; empty leaves it unset.
	Version string
	// GOARCH is the target architecture; empty means runtime.GOARCH.
	GOARCH string
	// Go is the go command; empty means "go" from PATH.
	Go string
	// Stderr receives the compiler's output; nil means os.Stderr.
	Stderr io.Writer
}

// Command returns the go build command line b describes, with the
// environment additions it needs: CGO_ENABLED=0, GOOS=linux, GOARCH.
func (b GoBuild) Command() (args []string, env []string, err error) {
	if b.Output == "" {
		return nil, nil, fmt.Errorf("go build: output path is empty")
	}
	if strings.ContainsAny(b.Version, " \t\n'\"\\") {
		return nil, nil, fmt.Errorf("go build: version %q must not contain spaces, quotes or backslashes", b.Version)
	}
	ldflags := "-s -w"
	if b.Version != "" {
		ldflags += " -X main.version=" + b.Version
	}
	pkg := b.Package
	if pkg == "" {
		pkg = "."
	}
	arch := b.GOARCH
	if arch == "" {
		arch = runtime.GOARCH
	}
	args = []string{"build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", b.Output, pkg}
	env = []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + arch}
	return args, env, nil
}

// BuildStaticBinary runs go build as described by b.
func BuildStaticBinary(ctx context.Context, b GoBuild) error {
	args, env, err := b.Command()
	if err != nil {
		return err
	}
	goCmd := b.Go
	if goCmd == "" {
		goCmd = "go"
	}
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = b.Dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = b.Stderr
	cmd.Stderr = b.Stderr
	if b.Stderr == nil {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s (in %q): %w", strings.Join(args, " "), b.Dir, err)
	}
	return nil
}
