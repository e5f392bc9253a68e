package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdt-eks/zdt/lab/cluster"
)

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage: labctl"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"help"}, 0, "commands:"},
		{[]string{"down", "extra"}, 2, "unexpected arguments"},
		{[]string{"up", "--no-such-flag"}, 2, "flag provided but not defined"},
		{[]string{"up", "-h"}, 0, "-work-dir"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tc.args, &out, &errOut)
		if code != tc.code || !strings.Contains(out.String()+errOut.String(), tc.want) {
			t.Errorf("labctl %q = %d, output %q; want %d and %q", tc.args, code, out.String()+errOut.String(), tc.code, tc.want)
		}
	}
}

func TestKubeconfigAndStatusWithoutCluster(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"kubeconfig", "--work-dir", dir}, &out, &errOut); code != 1 {
		t.Errorf("kubeconfig without a cluster = %d (%s)", code, errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"status", "--work-dir", dir}, &out, &errOut); code != 1 || !strings.Contains(out.String(), "phase:    absent") {
		t.Errorf("status without a cluster = %d, %q", code, out.String())
	}

	// With a state file, kubeconfig prints the admin kubeconfig's path.
	st := &cluster.State{Config: cluster.Config{WorkDir: dir, APIServerAddress: "127.0.0.1", APIServerPort: 6443}, Phase: "up"}
	if err := cluster.WriteState(filepath.Join(dir, "state.json"), st); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run(context.Background(), []string{"kubeconfig", "--work-dir", dir}, &out, &errOut); code != 0 {
		t.Fatalf("kubeconfig = %d (%s)", code, errOut.String())
	}
	if got, want := strings.TrimSpace(out.String()), filepath.Join(dir, "kubeconfig", "admin.conf"); got != want {
		t.Errorf("kubeconfig printed %q, want %q", got, want)
	}
}
