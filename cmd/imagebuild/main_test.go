package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/zdt-eks/zdt/app/image"
)

func noEnv(string) string { return "" }

// indexOf returns the index.json of an OCI layout tarball.
func indexOf(t *testing.T, path string) v1.IndexManifest {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open tarball: %v", err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatal("no index.json in tarball")
		}
		if err != nil {
			t.Fatalf("read tarball: %v", err)
		}
		if hdr.Name == "index.json" {
			var idx v1.IndexManifest
			if err := json.NewDecoder(tr).Decode(&idx); err != nil {
				t.Fatalf("decode index.json: %v", err)
			}
			return idx
		}
	}
}

func TestRunWithBinary(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "pause")
	if err := os.WriteFile(bin, []byte("static pause stand-in"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "pause.tar")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{
		"--binary", bin, "--path", "/pause", "--user", "65535:65535", "--port", "0",
		"--ref", "registry.k8s.io/pause:3.10", "--out", out,
	}, noEnv, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, stderr.String())
	}
	ann := indexOf(t, out).Manifests[0].Annotations
	if ann[image.AnnotationContainerdName] != "registry.k8s.io/pause:3.10" || ann[image.AnnotationRefName] != "3.10" {
		t.Fatalf("annotations = %v", ann)
	}
	for _, want := range []string{"binary " + bin, "ports []", "wrote " + out, "ctr -n k8s.io images import " + out} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("progress output lacks %q:\n%s", want, stdout.String())
		}
	}
}

// TestRunBuildApp compiles the real app and checks the default reference.
func TestRunBuildApp(t *testing.T) {
	out := filepath.Join(t.TempDir(), "app.tar")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{
		"--build-app", "--app-pkg", "../../app", "--version", "v-cmd", "--out", out,
	}, noEnv, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, stderr.String())
	}
	ann := indexOf(t, out).Manifests[0].Annotations
	if ann[image.AnnotationContainerdName] != "docker.io/zdt/demo-app:v-cmd" {
		t.Fatalf("annotations = %v, want the default reference for version v-cmd", ann)
	}
	if !strings.Contains(stdout.String(), "compiling ../../app") {
		t.Errorf("progress output lacks the compile step:\n%s", stdout.String())
	}
}

func TestRunSourceDateEpoch(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "b")
	if err := os.WriteFile(bin, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	digests := map[string]v1.Hash{}
	for _, epoch := range []string{"", "1700000000"} {
		out := filepath.Join(dir, "img"+epoch+".tar")
		env := func(k string) string {
			if k == "SOURCE_DATE_EPOCH" {
				return epoch
			}
			return ""
		}
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"--binary", bin, "--out", out}, env, &stdout, &stderr); code != 0 {
			t.Fatalf("epoch %q: exit %d: %s", epoch, code, stderr.String())
		}
		digests[epoch] = indexOf(t, out).Manifests[0].Digest
	}
	if digests[""] == digests["1700000000"] {
		t.Fatal("SOURCE_DATE_EPOCH did not change the image")
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		epoch string
		want  string
	}{
		{"no input", []string{"--out", "x.tar"}, "", "exactly one of"},
		{"both inputs", []string{"--binary", "b", "--build-app", "--out", "x.tar"}, "", "exactly one of"},
		{"no out", []string{"--binary", "b"}, "", "--out is required"},
		{"bad port", []string{"--binary", "b", "--out", "x.tar", "--port", "70000"}, "", "out of range"},
		{"bad epoch", []string{"--binary", "b", "--out", "x.tar"}, "yesterday", "SOURCE_DATE_EPOCH"},
		{"extra args", []string{"--binary", "b", "--out", "x.tar", "more"}, "", "unexpected arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := func(string) string { return tc.epoch }
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tc.args, env, &stdout, &stderr); code != 2 {
				t.Fatalf("exit %d, want 2", code)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("stderr = %q, want it to mention %q", stderr.String(), tc.want)
			}
		})
	}
}

func TestRunMissingBinary(t *testing.T) {
	var stdout, stderr bytes.Buffer
	out := filepath.Join(t.TempDir(), "x.tar")
	code := run(context.Background(), []string{"--binary", filepath.Join(t.TempDir(), "absent"), "--out", out}, noEnv, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "read binary") {
		t.Fatalf("exit %d stderr %q, want 1 and a read error", code, stderr.String())
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("output exists after a failed build: %v", err)
	}
}
