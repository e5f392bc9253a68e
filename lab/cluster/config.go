// Package cluster runs the lab's real single-node Kubernetes cluster on this
// machine: etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
// containerd, kubelet and kube-proxy as child processes, with the CNI bridge
// plugin for pod networking.
//
// Every file the cluster uses lives under one work directory (Config.WorkDir);
// a state file there records the processes so that Down works from another
// process. Up is idempotent and resumable: it reuses certificates, images and
// processes that are already in place. Down removes what the cluster leaves
// outside the work directory too (iptables chains, the bridge, mounts,
// cgroups, CNI state).
//
// Running it needs root, the pinned Kubernetes binaries (make k8s-binaries)
// and a few Debian packages that Up installs when missing.
package cluster

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Module is the Go module path of this repository; Up finds the repository
// root by looking for its go.mod.
const Module = "github.com/zdt-eks/zdt"

// Fixed local ports of the components (all bound to loopback except the
// kubelet's API, which the apiserver reaches on the node IP).
const (
	KubeletPort            = 10250
	KubeletHealthzPort     = 10248
	KubeProxyHealthzPort   = 10256
	KubeProxyMetricsPort   = 10249
	ControllerManagerPort  = 10257
	SchedulerPort          = 10259
	defaultAPIServerPort   = 6443
	defaultEtcdClientPort  = 2379
	defaultEtcdPeerPort    = 2380
	defaultPodCIDR         = "10.244.1.0/24"
	defaultServiceCIDR     = "10.96.0.0/16"
	defaultNodeName        = "zdt-lab"
	defaultBridge          = "cni0"
	defaultPauseImage      = "docker.io/zdt/pause:v1"
	defaultCNIBinDir       = "/usr/lib/cni"
	defaultEtcdBinary      = "/usr/bin/etcd"
	defaultStartTimeout    = 2 * time.Minute
	defaultWorkDirFromRepo = "work/lab"
)

// Config describes the cluster Up brings up. The zero value is usable: every
// empty field gets the default documented on it.
type Config struct {
	// WorkDir holds all state; default <repo>/work/lab (git-ignored).
	WorkDir string
	// RepoDir is the repository root (for the pause image source and the
	// pinned Kubernetes version); default: found from the current directory.
	RepoDir string
	// BinDir holds kube-apiserver, kube-controller-manager, kube-scheduler,
	// kubelet and kube-proxy; default <repo>/.cache/kubernetes/<version>/bin
	// with the version pinned in tools/kubernetes/go.mod (what make
	// k8s-binaries builds).
	BinDir string
	// EtcdBinary is the etcd executable; default /usr/bin/etcd (Debian
	// etcd-server).
	EtcdBinary string
	// CNIBinDir holds the CNI plugins; default /usr/lib/cni (Debian
	// containernetworking-plugins).
	CNIBinDir string
	// APIServerAddress is the apiserver's bind address; default 127.0.0.1.
	APIServerAddress string
	// APIServerPort is the apiserver's secure port; default 6443.
	APIServerPort int
	// EtcdClientPort and EtcdPeerPort are etcd's loopback ports; default
	// 2379 and 2380.
	EtcdClientPort int
	EtcdPeerPort   int
	// PodCIDR is the node's pod range (CNI host-local); default 10.244.1.0/24.
	PodCIDR string
	// ServiceCIDR is the ClusterIP range; default 10.96.0.0/16.
	ServiceCIDR string
	// NodeName is the node's name; default zdt-lab.
	NodeName string
	// NodeIP is the node's InternalIP; default the IPv4 address of the
	// interface of the default route. It must not be a loopback address.
	NodeIP string
	// Bridge is the CNI bridge's name; default cni0.
	Bridge string
	// PauseImage is the reference of the sandbox image Up builds and
	// imports; default docker.io/zdt/pause:v1.
	PauseImage string
	// SkipPackages skips the check for (and install of) Debian packages.
	SkipPackages bool
	// StartTimeout bounds each readiness wait; default 2m.
	StartTimeout time.Duration
	// Progress receives human-readable progress lines; nil means os.Stdout.
	Progress io.Writer `json:"-"`
}

// withDefaults returns c with every empty field set. It may look at the
// machine (current directory, routes) for RepoDir, BinDir and NodeIP.
func (c Config) withDefaults() (Config, error) {
	if c.RepoDir == "" && (c.WorkDir == "" || c.BinDir == "") {
		dir, err := FindRepoDir("")
		if err != nil {
			return c, err
		}
		c.RepoDir = dir
	}
	if c.WorkDir == "" {
		c.WorkDir = filepath.Join(c.RepoDir, defaultWorkDirFromRepo)
	}
	if c.BinDir == "" {
		v, err := PinnedKubernetesVersion(c.RepoDir)
		if err != nil {
			return c, err
		}
		c.BinDir = filepath.Join(c.RepoDir, ".cache", "kubernetes", v, "bin")
	}
	for _, p := range []*string{&c.WorkDir, &c.RepoDir, &c.BinDir} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return c, err
		}
		*p = abs
	}
	setDefault(&c.EtcdBinary, defaultEtcdBinary)
	setDefault(&c.CNIBinDir, defaultCNIBinDir)
	setDefault(&c.APIServerAddress, "127.0.0.1")
	setDefault(&c.PodCIDR, defaultPodCIDR)
	setDefault(&c.ServiceCIDR, defaultServiceCIDR)
	setDefault(&c.NodeName, defaultNodeName)
	setDefault(&c.Bridge, defaultBridge)
	setDefault(&c.PauseImage, defaultPauseImage)
	if c.APIServerPort == 0 {
		c.APIServerPort = defaultAPIServerPort
	}
	if c.EtcdClientPort == 0 {
		c.EtcdClientPort = defaultEtcdClientPort
	}
	if c.EtcdPeerPort == 0 {
		c.EtcdPeerPort = defaultEtcdPeerPort
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = defaultStartTimeout
	}
	if c.Progress == nil {
		c.Progress = os.Stdout
	}
	if c.NodeIP == "" {
		ip, err := DefaultRouteIPv4()
		if err != nil {
			return c, fmt.Errorf("node IP: %w (set Config.NodeIP)", err)
		}
		c.NodeIP = ip
	}
	return c, c.validate()
}

func setDefault(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

// validate checks the network settings.
func (c Config) validate() error {
	pod, err := netip.ParsePrefix(c.PodCIDR)
	if err != nil || !pod.Addr().Is4() {
		return fmt.Errorf("pod CIDR %q: want an IPv4 prefix", c.PodCIDR)
	}
	svc, err := netip.ParsePrefix(c.ServiceCIDR)
	if err != nil || !svc.Addr().Is4() {
		return fmt.Errorf("service CIDR %q: want an IPv4 prefix", c.ServiceCIDR)
	}
	if pod.Overlaps(svc) {
		return fmt.Errorf("pod CIDR %s overlaps service CIDR %s", pod, svc)
	}
	ip, err := netip.ParseAddr(c.NodeIP)
	if err != nil || !ip.Is4() || ip.IsLoopback() {
		return fmt.Errorf("node IP %q: want a non-loopback IPv4 address", c.NodeIP)
	}
	if _, err := netip.ParseAddr(c.APIServerAddress); err != nil {
		return fmt.Errorf("apiserver address %q: %w", c.APIServerAddress, err)
	}
	if pod.Contains(ip) || svc.Contains(ip) {
		return fmt.Errorf("node IP %s lies in the pod or service range", ip)
	}
	return nil
}

// FirstServiceIP returns the first usable address of the service range: the
// ClusterIP of the "kubernetes" service.
func FirstServiceIP(serviceCIDR string) (string, error) {
	p, err := netip.ParsePrefix(serviceCIDR)
	if err != nil {
		return "", err
	}
	return p.Masked().Addr().Next().String(), nil
}

// FindRepoDir walks up from dir (the current directory when empty) to the
// directory whose go.mod declares Module.
func FindRepoDir(dir string) (string, error) {
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		dir = wd
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("finding the repository from %s: %w", dir, err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				f := strings.Fields(line)
				if len(f) == 2 && f[0] == "module" && f[1] == Module {
					return d, nil
				}
			}
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod of %s in %s or above: run from the repository or set RepoDir", Module, dir)
		}
	}
}

// PinnedKubernetesVersion reads the k8s.io/kubernetes version pinned in
// tools/kubernetes/go.mod, the one place the Makefile reads it from too.
func PinnedKubernetesVersion(repoDir string) (string, error) {
	path := filepath.Join(repoDir, "tools", "kubernetes", "go.mod")
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("pinned kubernetes version: %w", err)
	}
	defer f.Close()
	return parsePinnedVersion(f, path)
}

func parsePinnedVersion(r io.Reader, name string) (string, error) {
	sc := bufio.NewScanner(r)
	inBlock := false
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 2 && f[0] == "require" && f[1] == "(":
			inBlock = true
		case inBlock && len(f) >= 1 && f[0] == ")":
			inBlock = false
		case len(f) >= 3 && f[0] == "require" && f[1] == "k8s.io/kubernetes":
			return f[2], nil
		case inBlock && len(f) >= 2 && f[0] == "k8s.io/kubernetes":
			return f[1], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%s: no require of k8s.io/kubernetes", name)
}

// DefaultRouteIPv4 returns the source address the kernel picks for an IPv4
// destination outside the machine (no packet is sent).
func DefaultRouteIPv4() (string, error) {
	conn, err := net.Dial("udp4", "198.51.100.1:9") // TEST-NET-2: UDP connect only routes, sends nothing
	if err != nil {
		// Fall back to the first global IPv4 address of an up interface.
		return firstGlobalIPv4()
	}
	defer conn.Close()
	addr := conn.LocalAddr().(*net.UDPAddr).IP
	if addr.IsLoopback() || addr.To4() == nil {
		return firstGlobalIPv4()
	}
	return addr.String(), nil
}

func firstGlobalIPv4() (string, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return "", err
	}
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsGlobalUnicast() {
				return n.IP.String(), nil
			}
		}
	}
	return "", errors.New("no global IPv4 address on any interface")
}

// layout names every path under the work directory.
type layout struct{ dir string }

func (l layout) path(elem ...string) string {
	return filepath.Join(append([]string{l.dir}, elem...)...)
}

func (l layout) state() string          { return l.path("state.json") }
func (l layout) pki(name string) string { return l.path("pki", name) }
func (l layout) kubeconfig(name string) string {
	return l.path("kubeconfig", name+".conf")
}
func (l layout) log(name string) string { return l.path("logs", name+".log") }
func (l layout) podLogs() string        { return l.path("logs", "pods") }
func (l layout) etcdData() string       { return l.path("etcd") }
func (l layout) containerdConfig() string {
	return l.path("containerd", "config.toml")
}
func (l layout) containerdRoot() string   { return l.path("containerd", "root") }
func (l layout) containerdState() string  { return l.path("containerd", "state") }
func (l layout) containerdSocket() string { return l.path("containerd", "containerd.sock") }
func (l layout) runcRoot() string         { return l.path("containerd", "runc") }
func (l layout) cniConfDir() string       { return l.path("cni", "net.d") }
func (l layout) cniIPAMDir() string       { return l.path("cni", "ipam") }
func (l layout) kubeletConfig() string    { return l.path("kubelet", "config.yaml") }
func (l layout) kubeletRoot() string      { return l.path("kubelet", "root") }
func (l layout) kubeletCertDir() string   { return l.path("kubelet", "pki") }
func (l layout) certDir(component string) string {
	return l.path(component, "serving-certs")
}
func (l layout) images() string { return l.path("images") }

// portString is strconv.Itoa for ports, for readable argument lists.
func portString(p int) string { return strconv.Itoa(p) }

// DefaultWorkDir returns <repo>/work/lab for the repository containing the
// current directory.
func DefaultWorkDir() (string, error) {
	repo, err := FindRepoDir("")
	if err != nil {
		return "", err
	}
	return filepath.Join(repo, defaultWorkDirFromRepo), nil
}
