// Package image builds small container images without a daemon: a static
// binary (plus optional extra files) as a single layer on an empty base,
// written as an OCI image-layout tarball that `ctr -n k8s.io images import`
// loads under its full reference.
//
// Output is deterministic: the same Spec yields the same bytes, because
// every timestamp is Spec.Created (the Unix epoch unless set, in the spirit of
// SOURCE_DATE_EPOCH), file owners are 0:0 and entries are sorted.
package image

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"path"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Defaults applied by Build to an unset Spec field.
const (
	// DefaultBinaryPath is where the binary lands in the image.
	DefaultBinaryPath = "/app"
	// DefaultUser is distroless' "nonroot" user and group.
	DefaultUser = "65532:65532"
	// DefaultPath is the PATH put into Env when Spec.Env is nil.
	DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	// LabelVersion is the OCI label that carries Spec.Version.
	LabelVersion = "org.opencontainers.image.version"
)

// File is an extra regular file to put into the layer.
type File struct {
	// Path is the absolute path in the image, e.g. "/etc/passwd".
	Path string
	// Content is the file's content.
	Content []byte
	// Mode holds the permission bits; 0 means 0644.
	Mode int64
}

// Spec describes an image made of one static binary on an empty base.
type Spec struct {
	// Binary is the content of the static executable (required).
	Binary []byte
	// BinaryPath is the binary's absolute path in the image (mode 0755);
	// empty means DefaultBinaryPath.
	BinaryPath string
	// Entrypoint is the config's Entrypoint; nil means [BinaryPath].
	Entrypoint []string
	// Cmd is the config's Cmd (arguments to the entrypoint); may be nil.
	Cmd []string
	// User is the config's User; empty means DefaultUser.
	User string
	// ExposedPorts lists ports such as "8080/tcp"; nil exposes none.
	ExposedPorts []string
	// Env is the config's Env; nil means [DefaultPath].
	Env []string
	// WorkingDir is the config's WorkingDir; empty means "/".
	WorkingDir string
	// Labels are the config's labels; Version, if set, is added as
	// LabelVersion.
	Labels map[string]string
	// Version is recorded as the LabelVersion label when not empty.
	Version string
	// Arch is the image architecture; empty means runtime.GOARCH. OS is
	// always linux.
	Arch string
	// Created stamps the config, the history and every file; the zero
	// value means the Unix epoch.
	Created time.Time
	// Files are extra files for the layer; parent directories are added.
	Files []File
}

// withDefaults returns a copy of s with every unset field defaulted.
func (s Spec) withDefaults() Spec {
	if s.BinaryPath == "" {
		s.BinaryPath = DefaultBinaryPath
	}
	if s.Entrypoint == nil {
		s.Entrypoint = []string{s.BinaryPath}
	}
	if s.User == "" {
		s.User = DefaultUser
	}
	if s.Env == nil {
		s.Env = []string{DefaultPath}
	}
	if s.WorkingDir == "" {
		s.WorkingDir = "/"
	}
	if s.Arch == "" {
		s.Arch = runtime.GOARCH
	}
	if s.Created.IsZero() {
		s.Created = time.Unix(0, 0)
	}
	s.Created = s.Created.UTC().Truncate(time.Second)
	return s
}

// Build returns the image described by spec. The image uses OCI media types.
func Build(spec Spec) (v1.Image, error) {
	spec = spec.withDefaults()
	if len(spec.Binary) == 0 {
		return nil, fmt.Errorf("build image: binary is empty")
	}
	layer, err := buildLayer(spec)
	if err != nil {
		return nil, fmt.Errorf("build image: %w", err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, fmt.Errorf("build image: append layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("build image: read base config: %w", err)
	}
	cf = cf.DeepCopy()
	applyConfig(cf, spec)
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("build image: set config: %w", err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	return img, nil
}

// applyConfig fills the runtime configuration and metadata of cf from spec.
func applyConfig(cf *v1.ConfigFile, spec Spec) {
	created := v1.Time{Time: spec.Created}
	cf.Architecture = spec.Arch
	cf.OS = "linux"
	cf.Created = created
	cf.History = []v1.History{{
		Created:   created,
		CreatedBy: "zdt imagebuild: " + spec.BinaryPath + " on an empty base",
	}}
	cf.Config.Entrypoint = append([]string(nil), spec.Entrypoint...)
	cf.Config.Cmd = append([]string(nil), spec.Cmd...)
	cf.Config.User = spec.User
	cf.Config.Env = append([]string(nil), spec.Env...)
	cf.Config.WorkingDir = spec.WorkingDir
	if len(spec.ExposedPorts) > 0 {
		cf.Config.ExposedPorts = make(map[string]struct{}, len(spec.ExposedPorts))
		for _, p := range spec.ExposedPorts {
			cf.Config.ExposedPorts[p] = struct{}{}
		}
	}
	if len(spec.Labels) > 0 || spec.Version != "" {
		cf.Config.Labels = make(map[string]string, len(spec.Labels)+1)
		for k, v := range spec.Labels {
			cf.Config.Labels[k] = v
		}
		if spec.Version != "" {
			cf.Config.Labels[LabelVersion] = spec.Version
		}
	}
}

// buildLayer returns the single gzip-compressed OCI layer of spec.
func buildLayer(spec Spec) (v1.Layer, error) {
	files := append([]File{{Path: spec.BinaryPath, Content: spec.Binary, Mode: 0o755}}, spec.Files...)
	raw, err := layerTar(files, spec.Created)
	if err != nil {
		return nil, err
	}
	gz, err := gzipBytes(raw)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(gz)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("make layer: %w", err)
	}
	return layer, nil
}

// gzipBytes compresses b with a header that carries no name and no time.
func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("gzip layer: %w", err)
	}
	if _, err := zw.Write(b); err != nil {
		return nil, fmt.Errorf("gzip layer: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip layer: %w", err)
	}
	return buf.Bytes(), nil
}

// cleanImagePath checks that p is absolute and returns it without the
// leading slash, as tar entries are named.
func cleanImagePath(p string) (string, error) {
	if !path.IsAbs(p) {
		return "", fmt.Errorf("path %q in image must be absolute", p)
	}
	clean := path.Clean(p)
	if clean == "/" {
		return "", fmt.Errorf("path %q in image names the root directory", p)
	}
	return clean[1:], nil
}
