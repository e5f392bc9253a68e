package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zdt-eks/zdt/app/image"
	"github.com/zdt-eks/zdt/lab/cluster"
)

// versionNeverReady names the image whose app never finishes booting.
const versionNeverReady = "never-ready"

// buildImages builds the demo app for v1 and v2, and a never-ready variant
// (the v2 binary told to boot for a day), and imports them into containerd.
func buildImages(ctx context.Context, step stepper, cl *cluster.Cluster, opts Options) (map[string]string, error) {
	dir := filepath.Join(opts.WorkDir, "images")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("images: %w", err)
	}
	builds := []struct {
		version, binVersion string
		env                 []string
	}{
		{"v1", "v1", nil},
		{"v2", "v2", nil},
		{versionNeverReady, versionNeverReady, []string{"BOOT_DELAY=24h"}},
	}
	refs := map[string]string{}
	for _, b := range builds {
		ref := "docker.io/zdt/demo-app:" + b.version
		refs[b.version] = ref
		bin := filepath.Join(dir, "app-"+b.version)
		step.say("image %s: go build ./app (static, version %s)", ref, b.binVersion)
		if err := image.BuildStaticBinary(ctx, image.GoBuild{Dir: opts.RepoDir, Package: "./app", Output: bin, Version: b.binVersion, Stderr: opts.Progress}); err != nil {
			return nil, fmt.Errorf("building the app %s: %w", b.version, err)
		}
		content, err := os.ReadFile(bin)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", bin, err)
		}
		spec := image.Spec{Binary: content, Version: b.binVersion, ExposedPorts: []string{"8080/tcp"}}
		if b.env != nil {
			spec.Env = append([]string{image.DefaultPath}, b.env...)
		}
		tarball := filepath.Join(dir, "demo-app-"+b.version+".oci.tar")
		if _, err := image.BuildTarball(spec, ref, tarball); err != nil {
			return nil, fmt.Errorf("image %s: %w", ref, err)
		}
		if err := cl.ImportImage(ctx, tarball); err != nil {
			return nil, fmt.Errorf("importing %s: %w", ref, err)
		}
		step.say("image %s imported into containerd", ref)
	}
	return refs, nil
}
