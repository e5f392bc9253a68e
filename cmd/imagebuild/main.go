// Command imagebuild builds a container image without a Docker daemon: a
// static binary as the single layer of an empty base, written as an OCI
// image-layout tarball for `ctr -n k8s.io images import`.
//
// Build the demo app and its image (from the repository root):
//
//	go run ./cmd/imagebuild --build-app --version v1 --ref docker.io/zdt/demo-app:v1 --out demo-app-v1.tar
//
// Package an existing static binary, e.g. a pause binary:
//
//	go run ./cmd/imagebuild --binary pause --path /pause --user 65535:65535 --port 0 \
//	    --ref registry.k8s.io/pause:3.10 --out pause.tar
//
// SOURCE_DATE_EPOCH, if set, stamps the image; otherwise the Unix epoch does,
// so the same inputs always give the same bytes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/zdt-eks/zdt/app/image"
)

// options are the parsed flags.
type options struct {
	binary   string
	buildApp bool
	appPkg   string
	ref      string
	version  string
	out      string
	arch     string
	path     string
	user     string
	port     int
	created  time.Time
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without os.Exit: it returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "imagebuild:", err)
		return 2
	}
	if err := build(ctx, o, progress{stdout}); err != nil {
		fmt.Fprintln(stderr, "imagebuild:", err)
		return 1
	}
	return 0
}

// parseFlags reads and checks the command line.
func parseFlags(args []string, getenv func(string) string, output io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("imagebuild", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&o.binary, "binary", "", "static linux binary to package (or use --build-app)")
	fs.BoolVar(&o.buildApp, "build-app", false, "compile the demo app statically first (run from the repository root)")
	fs.StringVar(&o.appPkg, "app-pkg", "./app", "package compiled by --build-app")
	fs.StringVar(&o.ref, "ref", "", "image reference (default docker.io/zdt/demo-app:<version>)")
	fs.StringVar(&o.version, "version", "dev", "version: linked into the app by --build-app and set as image label")
	fs.StringVar(&o.out, "out", "", "path of the OCI image-layout tarball to write (required)")
	fs.StringVar(&o.arch, "arch", runtime.GOARCH, "target architecture")
	fs.StringVar(&o.path, "path", image.DefaultBinaryPath, "path of the binary in the image; also the entrypoint")
	fs.StringVar(&o.user, "user", image.DefaultUser, "user:group the container runs as")
	fs.IntVar(&o.port, "port", 8080, "TCP port to expose (0: none)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if err := o.check(); err != nil {
		return o, err
	}
	if o.ref == "" {
		o.ref = "docker.io/zdt/demo-app:" + o.version
	}
	var err error
	o.created, err = sourceDateEpoch(getenv("SOURCE_DATE_EPOCH"))
	return o, err
}

// check reports contradictory or missing flags.
func (o options) check() error {
	switch {
	case o.buildApp == (o.binary != ""):
		return errors.New("give exactly one of --binary and --build-app")
	case o.out == "":
		return errors.New("--out is required")
	case o.port < 0 || o.port > 65535:
		return fmt.Errorf("--port %d out of range", o.port)
	}
	return nil
}

// sourceDateEpoch parses SOURCE_DATE_EPOCH (seconds since the epoch); empty
// means the epoch itself.
func sourceDateEpoch(v string) (time.Time, error) {
	if v == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil || secs < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want whole seconds since 1970", v)
	}
	return time.Unix(secs, 0).UTC(), nil
}

// build obtains the binary, builds the image and writes the tarball.
func build(ctx context.Context, o options, p progress) error {
	bin, err := obtainBinary(ctx, o, p)
	if err != nil {
		return err
	}
	spec := image.Spec{
		Binary:     bin,
		BinaryPath: o.path,
		User:       o.user,
		Version:    o.version,
		Arch:       o.arch,
		Created:    o.created,
	}
	if o.port != 0 {
		spec.ExposedPorts = []string{strconv.Itoa(o.port) + "/tcp"}
	}
	p.printf("building image %s: linux/%s, entrypoint [%s], user %s, ports %v, created %s",
		o.ref, o.arch, o.path, o.user, spec.ExposedPorts, o.created.Format(time.RFC3339))
	res, err := image.BuildTarball(spec, o.ref, o.out)
	if err != nil {
		return err
	}
	p.printf("  layer    %s (%s gzip)", res.Layer, size(res.LayerSize))
	p.printf("  config   %s", res.Config)
	p.printf("  manifest %s", res.Manifest)
	p.printf("wrote %s (%s) as %s", o.out, size(res.TarballSize), res.Ref.Full)
	p.printf("load it with: ctr -n k8s.io images import %s", o.out)
	return nil
}

// obtainBinary reads --binary or compiles the app for --build-app.
func obtainBinary(ctx context.Context, o options, p progress) ([]byte, error) {
	path := o.binary
	if o.buildApp {
		dir, err := os.MkdirTemp("", "imagebuild-")
		if err != nil {
			return nil, fmt.Errorf("temp dir: %w", err)
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "app")
		p.printf("compiling %s for linux/%s (version %s, CGO_ENABLED=0, -trimpath)", o.appPkg, o.arch, o.version)
		err = image.BuildStaticBinary(ctx, image.GoBuild{Package: o.appPkg, Output: path, Version: o.version, GOARCH: o.arch})
		if err != nil {
			return nil, err
		}
	}
	bin, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read binary: %w", err)
	}
	p.printf("binary %s: %s", displayName(o), size(int64(len(bin))))
	return bin, nil
}

// displayName names the binary in progress lines.
func displayName(o options) string {
	if o.buildApp {
		return o.appPkg
	}
	return o.binary
}

// progress prints human-readable progress lines.
type progress struct{ w io.Writer }

func (p progress) printf(format string, args ...any) {
	fmt.Fprintf(p.w, "imagebuild: "+strings.TrimRight(format, "\n")+"\n", args...)
}

// size formats n bytes in MB (10^6) with the exact count.
func size(n int64) string {
	return fmt.Sprintf("%.2f MB, %d bytes", float64(n)/1e6, n)
}
