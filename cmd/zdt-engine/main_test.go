package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/zdt-eks/zdt/engine"
)

func noop(*pulumi.Context) error { return nil }

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"preview", "up"},
		{"-config", "novalue", "preview"},
		{"-nope", "preview"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, noop, &out, &errOut)
		var usage usageError
		if !errors.As(err, &usage) {
			t.Errorf("run(%q) = %v, want a usage error", args, err)
		}
	}
}

func TestMissingCLIIsExplained(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-pulumi", "/nonexistent/bin/pulumi", "-pulumi-home", t.TempDir(), "apply"}, noop, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "make pulumi-cli") {
		t.Errorf("err = %v, want a pointer at make pulumi-cli", err)
	}
}

// TestPreviewOfTheStandInProject runs the command end to end on the engine's
// test project with a stand-in program (needs only the CLI).
func TestPreviewOfTheStandInProject(t *testing.T) {
	tools, err := engine.CachedTools("../..")
	if err != nil {
		t.Fatal(err)
	}
	if err := tools.CheckCLI(); err != nil {
		t.Skipf("SKIP (needs the Pulumi CLI): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	program := func(ctx *pulumi.Context) error {
		v, _ := ctx.GetConfig(ctx.Project() + ":greeting")
		ctx.Export("greeting", pulumi.String(v))
		return nil
	}
	work := t.TempDir()
	args := func(a ...string) []string {
		return append([]string{
			"-project", filepath.Join("..", "..", "engine", "testdata", "project"),
			"-stack", "test", "-work", work, "-q",
			"-pulumi", tools.PulumiBin, "-pulumi-home", tools.PulumiHome,
		}, a...)
	}
	var out bytes.Buffer
	if err := run(ctx, args("-config", "greeting=hi", "up"), program, &out, &out); err != nil {
		t.Fatalf("up: %v\n%s", err, out.String())
	}
	if err := run(ctx, args("-config", "greeting=hi", "-expect-no-changes", "preview"), program, &out, &out); err != nil {
		t.Fatalf("preview: %v\n%s", err, out.String())
	}
	if err := run(ctx, args("destroy"), program, &out, &out); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "zdt-engine: up of stack test: 1 create") {
		t.Errorf("no up summary in:\n%s", out.String())
	}
}
