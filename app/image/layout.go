package image

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Annotations on the image's descriptor in index.json.
const (
	// AnnotationRefName is the OCI annotation for the tag.
	AnnotationRefName = "org.opencontainers.image.ref.name"
	// AnnotationContainerdName is the annotation containerd uses as the
	// image name when it imports an OCI layout.
	AnnotationContainerdName = "io.containerd.image.name"
)

// Ref is a parsed image reference.
type Ref struct {
	// Full is the normalized reference, e.g. "docker.io/zdt/demo-app:v1",
	// the name under which containerd (and hence Kubernetes) finds it.
	Full string
	// Tag is the tag alone, e.g. "v1".
	Tag string
}

// ParseRef parses a tagged reference such as "zdt/demo-app:v1" and
// normalizes it the way containerd does: Docker Hub is "docker.io" and
// one-component repositories there live under "library/". A missing tag
// means "latest"; digests are not accepted.
func ParseRef(ref string) (Ref, error) {
	if strings.Contains(ref, "@") {
		return Ref{}, fmt.Errorf("reference %q: digests are not supported, give a tag", ref)
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		return Ref{}, fmt.Errorf("reference %q: %w", ref, err)
	}
	registry := tag.RegistryStr()
	if registry == name.DefaultRegistry {
		registry = "docker.io"
	}
	full := registry + "/" + tag.RepositoryStr() + ":" + tag.TagStr()
	return Ref{Full: full, Tag: tag.TagStr()}, nil
}

// blob is one content-addressed file of the layout.
type blob struct {
	digest v1.Hash
	data   []byte
}

// WriteOCITarball writes img as a tar stream of an OCI image layout whose
// index.json names it ref (both annotations). Every entry carries mtime.
func WriteOCITarball(w io.Writer, img v1.Image, ref Ref, mtime time.Time) error {
	blobs, desc, err := imageBlobs(img)
	if err != nil {
		return fmt.Errorf("write OCI tarball: %w", err)
	}
	desc.Annotations = map[string]string{
		AnnotationRefName:        ref.Tag,
		AnnotationContainerdName: ref.Full,
	}
	index, err := json.Marshal(v1.IndexManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIImageIndex,
		Manifests:     []v1.Descriptor{desc},
	})
	if err != nil {
		return fmt.Errorf("write OCI tarball: encode index: %w", err)
	}
	entries := []tarEntry{
		{name: "oci-layout", mode: 0o644, content: []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{name: "index.json", mode: 0o644, content: index},
		{name: "blobs/", mode: 0o755, dir: true},
		{name: "blobs/sha256/", mode: 0o755, dir: true},
	}
	for _, b := range blobs {
		entries = append(entries, tarEntry{name: "blobs/sha256/" + b.digest.Hex, mode: 0o644, content: b.data})
	}
	data, err := writeTar(entries, mtime.UTC().Truncate(time.Second))
	if err != nil {
		return fmt.Errorf("write OCI tarball: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("write OCI tarball: %w", err)
	}
	return nil
}

// imageBlobs returns the layers, config and manifest of img as blobs, in
// that order, and the descriptor of the manifest.
func imageBlobs(img v1.Image) ([]blob, v1.Descriptor, error) {
	var blobs []blob
	layers, err := img.Layers()
	if err != nil {
		return nil, v1.Descriptor{}, fmt.Errorf("list layers: %w", err)
	}
	for i, l := range layers {
		b, err := layerBlob(l)
		if err != nil {
			return nil, v1.Descriptor{}, fmt.Errorf("layer %d: %w", i, err)
		}
		blobs = append(blobs, b)
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return nil, v1.Descriptor{}, fmt.Errorf("read config: %w", err)
	}
	cfgDigest, err := img.ConfigName()
	if err != nil {
		return nil, v1.Descriptor{}, fmt.Errorf("hash config: %w", err)
	}
	blobs = append(blobs, blob{digest: cfgDigest, data: cfg})
	desc, manifest, err := manifestDescriptor(img)
	if err != nil {
		return nil, v1.Descriptor{}, err
	}
	blobs = append(blobs, blob{digest: desc.Digest, data: manifest})
	return blobs, desc, nil
}

// layerBlob reads the compressed bytes of l.
func layerBlob(l v1.Layer) (blob, error) {
	digest, err := l.Digest()
	if err != nil {
		return blob{}, fmt.Errorf("digest: %w", err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return blob{}, fmt.Errorf("open: %w", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return blob{}, fmt.Errorf("read: %w", err)
	}
	return blob{digest: digest, data: data}, nil
}

// manifestDescriptor returns the descriptor (with platform) and the raw
// bytes of img's manifest.
func manifestDescriptor(img v1.Image) (v1.Descriptor, []byte, error) {
	manifest, err := img.RawManifest()
	if err != nil {
		return v1.Descriptor{}, nil, fmt.Errorf("read manifest: %w", err)
	}
	digest, err := img.Digest()
	if err != nil {
		return v1.Descriptor{}, nil, fmt.Errorf("hash manifest: %w", err)
	}
	mt, err := img.MediaType()
	if err != nil {
		return v1.Descriptor{}, nil, fmt.Errorf("manifest media type: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return v1.Descriptor{}, nil, fmt.Errorf("read config: %w", err)
	}
	return v1.Descriptor{
		MediaType: mt,
		Size:      int64(len(manifest)),
		Digest:    digest,
		Platform:  cf.Platform(),
	}, manifest, nil
}

// Result summarizes a written image tarball.
type Result struct {
	// Ref is the reference the image was tagged with.
	Ref Ref
	// Manifest is the digest of the image manifest (the image ID
	// containerd shows).
	Manifest v1.Hash
	// Config is the digest of the image config.
	Config v1.Hash
	// Layer is the digest of the single compressed layer.
	Layer v1.Hash
	// LayerSize is the compressed size of the layer in bytes.
	LayerSize int64
	// TarballSize is the size of the written tarball in bytes.
	TarballSize int64
}

// BuildTarball builds spec, tags it ref and writes the OCI tarball to out,
// replacing out only once the whole file has been written.
func BuildTarball(spec Spec, ref string, out string) (Result, error) {
	parsed, err := ParseRef(ref)
	if err != nil {
		return Result{}, err
	}
	spec = spec.withDefaults()
	img, err := Build(spec)
	if err != nil {
		return Result{}, err
	}
	res, err := summarize(img, parsed)
	if err != nil {
		return Result{}, err
	}
	res.TarballSize, err = writeFileAtomic(out, func(w io.Writer) error {
		return WriteOCITarball(w, img, parsed, spec.Created)
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// summarize collects the digests and sizes of img for a Result.
func summarize(img v1.Image, ref Ref) (Result, error) {
	res := Result{Ref: ref}
	var err error
	if res.Manifest, err = img.Digest(); err != nil {
		return res, fmt.Errorf("hash manifest: %w", err)
	}
	if res.Config, err = img.ConfigName(); err != nil {
		return res, fmt.Errorf("hash config: %w", err)
	}
	m, err := img.Manifest()
	if err != nil {
		return res, fmt.Errorf("read manifest: %w", err)
	}
	if len(m.Layers) != 1 {
		return res, fmt.Errorf("image has %d layers, want 1", len(m.Layers))
	}
	res.Layer, res.LayerSize = m.Layers[0].Digest, m.Layers[0].Size
	return res, nil
}

// writeFileAtomic writes path through a temporary file in the same
// directory, renamed into place on success; it returns the size written.
func writeFileAtomic(path string, write func(io.Writer) error) (int64, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", path, err)
	}
	defer os.Remove(f.Name()) // no-op after the rename
	if err := write(f); err != nil {
		f.Close()
		return 0, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, fmt.Errorf("stat %s: %w", f.Name(), err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return 0, fmt.Errorf("chmod %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("close %s: %w", f.Name(), err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return 0, fmt.Errorf("rename into %s: %w", path, err)
	}
	return info.Size(), nil
}
