package image

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in, full, tag string
	}{
		{"zdt/demo-app:v1", "docker.io/zdt/demo-app:v1", "v1"},
		{"docker.io/zdt/demo-app:v1", "docker.io/zdt/demo-app:v1", "v1"},
		{"index.docker.io/zdt/demo-app:v2", "docker.io/zdt/demo-app:v2", "v2"},
		{"pause", "docker.io/library/pause:latest", "latest"},
		{"registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10", "3.10"},
		{"localhost:5000/team/app:dev", "localhost:5000/team/app:dev", "dev"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRef(tc.in)
			if err != nil {
				t.Fatalf("ParseRef: %v", err)
			}
			if got.Full != tc.full || got.Tag != tc.tag {
				t.Fatalf("ParseRef = %+v, want full %q tag %q", got, tc.full, tc.tag)
			}
		})
	}
	for _, bad := range []string{"", "Upper/Case:v1", "zdt/app@sha256:" + strings.Repeat("a", 64), "zdt/app:bad tag"} {
		if _, err := ParseRef(bad); err == nil {
			t.Errorf("ParseRef(%q) succeeded, want error", bad)
		}
	}
}

// The demo app, compiled at most once per test run by buildApp.
var (
	appOnce sync.Once
	appBin  []byte
	appErr  error
	tempDir string
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	var err error
	if tempDir, err = os.MkdirTemp("", "zdt-image-test-"); err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		return 1
	}
	defer os.RemoveAll(tempDir)
	return m.Run()
}

// buildApp compiles the demo app with BuildStaticBinary (once).
func buildApp(t *testing.T) []byte {
	t.Helper()
	appOnce.Do(func() {
		out := filepath.Join(tempDir, "app")
		appErr = BuildStaticBinary(context.Background(), GoBuild{
			Dir:     "..", // the app's main package
			Output:  out,
			Version: "v-img-test",
		})
		if appErr == nil {
			appBin, appErr = os.ReadFile(out)
		}
	})
	if appErr != nil {
		t.Fatalf("build app: %v", appErr)
	}
	return appBin
}

// appSpec is the spec cmd/imagebuild uses for the demo app.
func appSpec(bin []byte) Spec {
	return Spec{
		Binary:       bin,
		ExposedPorts: []string{"8080/tcp"},
		Version:      "v-img-test",
		Labels:       map[string]string{"org.opencontainers.image.title": "zdt demo app"},
	}
}

func TestBuildStaticBinary(t *testing.T) {
	bin := buildApp(t)
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("binary is not ELF: %v", err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("binary has an ELF interpreter: it is dynamically linked")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("binary needs shared libraries %v", libs)
	}
	if f.Section(".symtab") != nil {
		t.Error("binary has a symbol table; -s was not applied")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != archOf(f) {
		t.Skip("cannot run a linux binary of another platform here")
	}
	path := filepath.Join(t.TempDir(), "app")
	if err := os.WriteFile(path, bin, 0o755); err != nil {
		t.Fatalf("write binary: %v", err)
	}
	out, err := exec.Command(path, "--print-version").Output()
	if err != nil {
		t.Fatalf("run --print-version: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != "v-img-test" {
		t.Fatalf("linked version = %q, want v-img-test", got)
	}
}

// archOf maps an ELF machine to a GOARCH for the platforms CI runs on.
func archOf(f *elf.File) string {
	switch f.Machine {
	case elf.EM_X86_64:
		return "amd64"
	case elf.EM_AARCH64:
		return "arm64"
	default:
		return f.Machine.String()
	}
}

func TestGoBuildCommand(t *testing.T) {
	args, env, err := GoBuild{Output: "out/app", Package: "./app", Version: "v1.2.3", GOARCH: "arm64"}.Command()
	if err != nil {
		t.Fatalf("Command: %v", err)
	}
	wantArgs := []string{"build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w -X main.version=v1.2.3", "-o", "out/app", "./app"}
	if !reflect.DeepEqual(args, wantArgs) {
		t.Fatalf("args = %q, want %q", args, wantArgs)
	}
	wantEnv := []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64"}
	if !reflect.DeepEqual(env, wantEnv) {
		t.Fatalf("env = %q, want %q", env, wantEnv)
	}
	for _, bad := range []GoBuild{{Output: ""}, {Output: "x", Version: "v 1"}, {Output: "x", Version: `v'1`}} {
		if _, _, err := bad.Command(); err == nil {
			t.Errorf("Command(%+v) succeeded, want error", bad)
		}
	}
}

// TestBuildTarballIsValidOCIImage opens the tarball the way a consumer
// would and checks every field the lab relies on, and that the build is
// reproducible.
func TestBuildTarballIsValidOCIImage(t *testing.T) {
	bin := buildApp(t)
	dir := t.TempDir()
	first, second := filepath.Join(dir, "a.tar"), filepath.Join(dir, "b.tar")
	res, err := BuildTarball(appSpec(bin), "zdt/demo-app:v1", first)
	if err != nil {
		t.Fatalf("BuildTarball: %v", err)
	}
	if _, err := BuildTarball(appSpec(bin), "zdt/demo-app:v1", second); err != nil {
		t.Fatalf("BuildTarball again: %v", err)
	}
	a, b := readFile(t, first), readFile(t, second)
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of the same inputs differ")
	}
	if res.TarballSize != int64(len(a)) {
		t.Errorf("Result.TarballSize = %d, file has %d bytes", res.TarballSize, len(a))
	}
	t.Logf("binary %d bytes, layer %d bytes (gzip), tarball %d bytes", len(bin), res.LayerSize, res.TarballSize)
	if res.TarballSize > 10<<20 {
		t.Errorf("tarball is %d bytes, over the 10 MiB target", res.TarballSize)
	}

	root := untar(t, a)
	idx, err := layout.ImageIndexFromPath(root)
	if err != nil {
		t.Fatalf("open layout: %v", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatalf("index manifest: %v", err)
	}
	if len(im.Manifests) != 1 {
		t.Fatalf("index has %d manifests, want 1", len(im.Manifests))
	}
	desc := im.Manifests[0]
	wantAnn := map[string]string{AnnotationRefName: "v1", AnnotationContainerdName: "docker.io/zdt/demo-app:v1"}
	if !reflect.DeepEqual(desc.Annotations, wantAnn) {
		t.Fatalf("index annotations = %v, want %v", desc.Annotations, wantAnn)
	}
	if desc.MediaType != types.OCIManifestSchema1 || desc.Digest != res.Manifest {
		t.Fatalf("descriptor %s %s, want %s %s", desc.MediaType, desc.Digest, types.OCIManifestSchema1, res.Manifest)
	}
	img, err := idx.Image(desc.Digest)
	if err != nil {
		t.Fatalf("image from layout: %v", err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatalf("image does not validate (digests, sizes, diff IDs): %v", err)
	}
	checkConfig(t, img)
	checkLayer(t, img, map[string]wantEntry{"app": {mode: 0o755, content: bin}})
}

func TestBuildTarballDependsOnInputs(t *testing.T) {
	dir := t.TempDir()
	base := Spec{Binary: []byte("binary v1")}
	variants := map[string]Spec{
		"base":    base,
		"binary":  {Binary: []byte("binary v2")},
		"created": {Binary: base.Binary, Created: time.Unix(1700000000, 0)},
		"user":    {Binary: base.Binary, User: "1000:1000"},
	}
	seen := map[string]string{}
	for name, spec := range variants {
		out := filepath.Join(dir, name+".tar")
		if _, err := BuildTarball(spec, "zdt/x:v1", out); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sum := string(readFile(t, out))
		if other, dup := seen[sum]; dup {
			t.Fatalf("variants %s and %s produced identical tarballs", name, other)
		}
		seen[sum] = name
	}
}

// TestBuildGenericImage builds what the lab needs for a pause image: another
// binary path, user, no ports, extra files.
func TestBuildGenericImage(t *testing.T) {
	spec := Spec{
		Binary:     []byte("not really a pause binary"),
		BinaryPath: "/pause",
		User:       "65535:65535",
		Cmd:        []string{"--quiet"},
		Files:      []File{{Path: "/etc/zdt/note.txt", Content: []byte("hi")}},
		Created:    time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	out := filepath.Join(t.TempDir(), "pause.tar")
	if _, err := BuildTarball(spec, "registry.k8s.io/pause:3.10", out); err != nil {
		t.Fatalf("BuildTarball: %v", err)
	}
	idx, err := layout.ImageIndexFromPath(untar(t, readFile(t, out)))
	if err != nil {
		t.Fatalf("open layout: %v", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatalf("index manifest: %v", err)
	}
	if got := im.Manifests[0].Annotations[AnnotationContainerdName]; got != "registry.k8s.io/pause:3.10" {
		t.Fatalf("image name = %q", got)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatalf("image: %v", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	c := cf.Config
	if !reflect.DeepEqual(c.Entrypoint, []string{"/pause"}) || !reflect.DeepEqual(c.Cmd, []string{"--quiet"}) ||
		c.User != "65535:65535" || len(c.ExposedPorts) != 0 || len(c.Labels) != 0 {
		t.Fatalf("config = %+v", c)
	}
	if !cf.Created.Time.Equal(spec.Created) {
		t.Fatalf("created = %s, want %s", cf.Created.Time, spec.Created)
	}
	checkLayer(t, img, map[string]wantEntry{
		"etc/":             {mode: 0o755, dir: true},
		"etc/zdt/":         {mode: 0o755, dir: true},
		"etc/zdt/note.txt": {mode: 0o644, content: []byte("hi")},
		"pause":            {mode: 0o755, content: spec.Binary},
	})
}

func TestLayerTarRejects(t *testing.T) {
	tests := map[string][]File{
		"relative path":        {{Path: "app"}},
		"root":                 {{Path: "/"}},
		"duplicate":            {{Path: "/a"}, {Path: "/a/"}},
		"file is a parent dir": {{Path: "/etc"}, {Path: "/etc/passwd"}},
		"mode beyond perms":    {{Path: "/a", Mode: 0o10644}},
	}
	for name, files := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := layerTar(files, time.Unix(0, 0)); err == nil {
				t.Fatal("layerTar succeeded, want error")
			}
		})
	}
	if _, err := Build(Spec{}); err == nil {
		t.Fatal("Build with no binary succeeded, want error")
	}
}

// checkConfig checks the runtime config of the demo app image.
func checkConfig(t *testing.T, img v1.Image) {
	t.Helper()
	if mt, err := img.MediaType(); err != nil || mt != types.OCIManifestSchema1 {
		t.Fatalf("manifest media type = %s (%v)", mt, err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if m.Config.MediaType != types.OCIConfigJSON || len(m.Layers) != 1 || m.Layers[0].MediaType != types.OCILayer {
		t.Fatalf("manifest config %s layers %v, want OCI config and one OCI gzip layer", m.Config.MediaType, m.Layers)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	c := cf.Config
	checks := []struct {
		what      string
		got, want any
	}{
		{"entrypoint", c.Entrypoint, []string{"/app"}},
		{"user", c.User, "65532:65532"},
		{"exposed ports", c.ExposedPorts, map[string]struct{}{"8080/tcp": {}}},
		{"env", c.Env, []string{DefaultPath}},
		{"working dir", c.WorkingDir, "/"},
		{"os", cf.OS, "linux"},
		{"architecture", cf.Architecture, runtime.GOARCH},
		{"version label", c.Labels[LabelVersion], "v-img-test"},
		{"title label", c.Labels["org.opencontainers.image.title"], "zdt demo app"},
		{"created", cf.Created.Time.UTC(), time.Unix(0, 0).UTC()},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("config %s = %v, want %v", ch.what, ch.got, ch.want)
		}
	}
}

// wantEntry is an expected entry of a layer.
type wantEntry struct {
	mode    int64
	dir     bool
	content []byte
}

// checkLayer checks that img's single layer holds exactly want, owned by
// root, stamped with the config's creation time.
func checkLayer(t *testing.T, img v1.Image, want map[string]wantEntry) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers = %d (%v), want 1", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatalf("open layer: %v", err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	got := 0
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read layer: %v", err)
		}
		got++
		w, ok := want[hdr.Name]
		if !ok {
			t.Errorf("unexpected layer entry %q", hdr.Name)
			continue
		}
		content, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("read %s: %v", hdr.Name, err)
		}
		if hdr.Mode != w.mode || (hdr.Typeflag == tar.TypeDir) != w.dir || !bytes.Equal(content, w.content) {
			t.Errorf("entry %s: mode %o dir %v %d bytes, want mode %o dir %v %d bytes",
				hdr.Name, hdr.Mode, hdr.Typeflag == tar.TypeDir, len(content), w.mode, w.dir, len(w.content))
		}
		if hdr.Uid != 0 || hdr.Gid != 0 || !hdr.ModTime.Equal(cf.Created.Time) {
			t.Errorf("entry %s: owner %d:%d mtime %s, want 0:0 and %s", hdr.Name, hdr.Uid, hdr.Gid, hdr.ModTime, cf.Created.Time)
		}
	}
	if got != len(want) {
		t.Errorf("layer has %d entries, want %d", got, len(want))
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return b
}

// untar extracts an OCI layout tarball into a new directory.
func untar(t *testing.T, data []byte) string {
	t.Helper()
	root := t.TempDir()
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return root
		}
		if err != nil {
			t.Fatalf("read tarball: %v", err)
		}
		target := filepath.Join(root, filepath.FromSlash(hdr.Name))
		if !strings.HasPrefix(target, root+string(filepath.Separator)) {
			t.Fatalf("tarball entry %q escapes the directory", hdr.Name)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				t.Fatalf("mkdir: %v", err)
			}
		case tar.TypeReg:
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatalf("read %s: %v", hdr.Name, err)
			}
			if err := os.WriteFile(target, b, 0o644); err != nil {
				t.Fatalf("write %s: %v", hdr.Name, err)
			}
		default:
			t.Fatalf("unexpected entry type %c for %s", hdr.Typeflag, hdr.Name)
		}
	}
}
