package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/zdt-eks/zdt/app/image"
)

// debPackage is a Debian package the cluster needs and a file it installs.
type debPackage struct {
	Name  string
	Probe string
}

// requiredPackages lists the Debian packages Up installs when missing.
// etcd-server and containernetworking-plugins are needed only while the
// default etcd binary and CNI directory are used.
func requiredPackages(c Config) []debPackage {
	pkgs := []debPackage{
		{"containerd", "/usr/bin/containerd"},
		{"runc", "/usr/sbin/runc"},
		{"iptables", "/usr/sbin/iptables"},
		{"conntrack", "/usr/sbin/conntrack"},
	}
	if c.CNIBinDir == defaultCNIBinDir {
		pkgs = append(pkgs, debPackage{"containernetworking-plugins", filepath.Join(defaultCNIBinDir, "bridge")})
	}
	if c.EtcdBinary == defaultEtcdBinary {
		pkgs = append(pkgs, debPackage{"etcd-server", defaultEtcdBinary})
	}
	return pkgs
}

// missingPackages returns the packages whose probe file is absent.
func missingPackages(pkgs []debPackage, exists func(string) bool) []string {
	var out []string
	for _, p := range pkgs {
		if !exists(p.Probe) {
			out = append(out, p.Name)
		}
	}
	return out
}

// ensurePackages installs missing packages with apt-get, non-interactively
// and without starting their services (policy-rc.d returns 101).
func ensurePackages(ctx context.Context, c Config, p *progress) error {
	missing := missingPackages(requiredPackages(c), fileExists)
	if len(missing) == 0 {
		p.printf("packages: all present")
		return nil
	}
	p.printf("packages: installing %s", strings.Join(missing, " "))
	const policy = "/usr/sbin/policy-rc.d"
	if !fileExists(policy) {
		if err := os.WriteFile(policy, []byte("#!/bin/sh\n# written by the zdt lab for one apt-get run\nexit 101\n"), 0o755); err != nil {
			return err
		}
		defer os.Remove(policy)
	}
	install := func() ([]byte, error) {
		args := append([]string{"install", "-y", "-q", "--no-install-recommends"}, missing...)
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.CombinedOutput()
	}
	out, err := install()
	if err != nil {
		p.printf("packages: install failed, running apt-get update and retrying")
		upd := exec.CommandContext(ctx, "apt-get", "update", "-q")
		upd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if uout, uerr := upd.CombinedOutput(); uerr != nil {
			return fmt.Errorf("apt-get update: %v\n%s", uerr, tail(string(uout), 20))
		}
		if out, err = install(); err != nil {
			return fmt.Errorf("apt-get install %s: %v\n%s", strings.Join(missing, " "), err, tail(string(out), 20))
		}
	}
	if still := missingPackages(requiredPackages(c), fileExists); len(still) > 0 {
		return fmt.Errorf("packages still missing after apt-get install: %s", strings.Join(still, " "))
	}
	return nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// k8sBinaries are the executables expected in Config.BinDir.
var k8sBinaries = []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy"}

// checkBinaries reports missing Kubernetes binaries.
func checkBinaries(binDir string) error {
	var missing []string
	for _, b := range k8sBinaries {
		if st, err := os.Stat(filepath.Join(binDir, b)); err != nil || st.Mode()&0o111 == 0 {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing in %s: %s (run make k8s-binaries)", binDir, strings.Join(missing, ", "))
	}
	return nil
}

// pausePackage is the pause program's package, relative to the repository.
const pausePackage = "./lab/cluster/pause"

// buildPauseImage compiles the pause program and writes its image tarball
// (skipped when the tarball exists).
func buildPauseImage(ctx context.Context, l layout, c Config) (string, bool, error) {
	tarball := filepath.Join(l.images(), "pause.tar")
	if fileExists(tarball) {
		return tarball, false, nil
	}
	bin := filepath.Join(l.images(), "pause")
	var logBuf strings.Builder
	err := image.BuildStaticBinary(ctx, image.GoBuild{Dir: c.RepoDir, Package: pausePackage, Output: bin, Stderr: &logBuf})
	if err != nil {
		return "", false, fmt.Errorf("%w\n%s", err, logBuf.String())
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", false, err
	}
	_, err = image.BuildTarball(image.Spec{
		Binary:     data,
		BinaryPath: "/pause",
		User:       "65535:65535",
		Env:        []string{},
	}, c.PauseImage, tarball)
	if err != nil {
		return "", false, err
	}
	return tarball, true, nil
}

// ctr runs containerd's ctr against the lab's containerd, namespace k8s.io.
func ctr(ctx context.Context, socket string, args ...string) ([]byte, error) {
	all := append([]string{"--address", socket, "--namespace", "k8s.io"}, args...)
	out, err := exec.CommandContext(ctx, "ctr", all...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("ctr %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// imagePresent reports whether containerd knows ref.
func imagePresent(ctx context.Context, socket, ref string) (bool, error) {
	full, err := image.ParseRef(ref)
	if err != nil {
		return false, err
	}
	out, err := ctr(ctx, socket, "images", "ls", "-q")
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(line) == full.Full {
			return true, nil
		}
	}
	return false, nil
}

// importImage loads an OCI image-layout tarball into the lab's containerd
// (namespace k8s.io, unpacked for the overlayfs snapshotter), so pods can use
// it with imagePullPolicy Never.
func importImage(ctx context.Context, socket, tarball string) error {
	if _, err := os.Stat(tarball); err != nil {
		return err
	}
	_, err := ctr(ctx, socket, "images", "import", "--snapshotter", "overlayfs", tarball)
	return err
}
