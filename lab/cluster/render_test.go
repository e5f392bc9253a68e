package cluster

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"sigs.k8s.io/yaml"
)

// testConfig is a fully defaulted Config that needs nothing from the
// machine.
func testConfig(t *testing.T) (Config, layout) {
	t.Helper()
	dir := t.TempDir()
	c, err := Config{
		WorkDir: filepath.Join(dir, "work"),
		RepoDir: dir,
		BinDir:  "/opt/k8s/bin",
		NodeIP:  "192.0.2.2",
	}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return c, layout{c.WorkDir}
}

func TestDefaults(t *testing.T) {
	c, _ := testConfig(t)
	checks := map[string][2]string{
		"PodCIDR":          {c.PodCIDR, "10.244.1.0/24"},
		"ServiceCIDR":      {c.ServiceCIDR, "10.96.0.0/16"},
		"APIServerAddress": {c.APIServerAddress, "127.0.0.1"},
		"CNIBinDir":        {c.CNIBinDir, "/usr/lib/cni"},
		"Bridge":           {c.Bridge, "cni0"},
		"PauseImage":       {c.PauseImage, "docker.io/zdt/pause:v1"},
		"apiServerURL":     {c.apiServerURL(), "https://127.0.0.1:6443"},
	}
	for name, v := range checks {
		if v[0] != v[1] {
			t.Errorf("%s = %q, want %q", name, v[0], v[1])
		}
	}
}

func TestValidate(t *testing.T) {
	base, _ := testConfig(t)
	bad := map[string]func(*Config){
		"loopback node IP":   func(c *Config) { c.NodeIP = "127.0.0.1" },
		"IPv6 node IP":       func(c *Config) { c.NodeIP = "2001:db8::1" },
		"overlapping ranges": func(c *Config) { c.ServiceCIDR = "10.244.0.0/16" },
		"bad pod CIDR":       func(c *Config) { c.PodCIDR = "10.244.1.0" },
		"node IP in pods":    func(c *Config) { c.NodeIP = "10.244.1.7" },
	}
	for name, mutate := range bad {
		c := base
		mutate(&c)
		if err := c.validate(); err == nil {
			t.Errorf("%s: validate accepted it", name)
		}
	}
	if err := base.validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func TestPinnedVersion(t *testing.T) {
	for _, in := range []string{
		"module x\n\ngo 1.25.0\n\nrequire k8s.io/kubernetes v1.35.4\n",
		"module x\nrequire (\n\tfoo v1\n\tk8s.io/kubernetes v1.35.4 // pinned\n)\n",
	} {
		v, err := parsePinnedVersion(strings.NewReader(in), "go.mod")
		if err != nil || v != "v1.35.4" {
			t.Errorf("parsePinnedVersion(%q) = %q, %v", in, v, err)
		}
	}
	if _, err := parsePinnedVersion(strings.NewReader("module x\n"), "go.mod"); err == nil {
		t.Error("no error without a require")
	}
}

func TestFirstServiceIP(t *testing.T) {
	ip, err := FirstServiceIP("10.96.0.0/16")
	if err != nil || ip != "10.96.0.1" {
		t.Errorf("FirstServiceIP = %q, %v", ip, err)
	}
}

func TestKubeletConfig(t *testing.T) {
	c, l := testConfig(t)
	data, err := renderKubeletConfig(l, c)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := yaml.Unmarshal(data, &got); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, data)
	}
	want := map[string]any{
		"apiVersion":               "kubelet.config.k8s.io/v1beta1",
		"kind":                     "KubeletConfiguration",
		"failCgroupV1":             false,
		"cgroupDriver":             "cgroupfs",
		"failSwapOn":               false,
		"podLogsDir":               filepath.Join(c.WorkDir, "logs", "pods"),
		"containerRuntimeEndpoint": "unix://" + filepath.Join(c.WorkDir, "containerd", "containerd.sock"),
		"address":                  "192.0.2.2",
		"healthzBindAddress":       "127.0.0.1",
		"readOnlyPort":             float64(0),
		"podCIDR":                  "10.244.1.0/24",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	if eh, ok := got["evictionHard"].(map[string]any); !ok || len(eh) != 0 {
		t.Errorf("evictionHard = %#v, want {}", got["evictionHard"])
	}
	authn := got["authentication"].(map[string]any)
	if authn["anonymous"].(map[string]any)["enabled"] != false {
		t.Error("anonymous kubelet auth is on")
	}
	if got["authorization"].(map[string]any)["mode"] != "Webhook" {
		t.Error("kubelet authorization is not Webhook")
	}
}

func TestContainerdConfig(t *testing.T) {
	c, l := testConfig(t)
	data, err := renderContainerdConfig(l, c)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Version int
		Root    string
		State   string
		GRPC    struct{ Address string } `toml:"grpc"`
		Plugins map[string]toml.Primitive
	}
	md, err := toml.Decode(string(data), &got)
	if err != nil {
		t.Fatalf("not TOML: %v\n%s", err, data)
	}
	if got.Version != 2 || got.Root != l.containerdRoot() || got.State != l.containerdState() || got.GRPC.Address != l.containerdSocket() {
		t.Errorf("top level = %+v", got)
	}
	var cri struct {
		SandboxImage             string `toml:"sandbox_image"`
		RestrictOOMScoreAdj      bool   `toml:"restrict_oom_score_adj"`
		NetNSMountsUnderStateDir bool   `toml:"netns_mounts_under_state_dir"`
		Containerd               struct {
			Snapshotter string
			Runtimes    map[string]struct {
				RuntimeType string `toml:"runtime_type"`
				Options     struct {
					SystemdCgroup bool
					Root          string
				}
			}
		}
		CNI struct {
			BinDir  string `toml:"bin_dir"`
			ConfDir string `toml:"conf_dir"`
		} `toml:"cni"`
	}
	if err := md.PrimitiveDecode(got.Plugins["io.containerd.grpc.v1.cri"], &cri); err != nil {
		t.Fatal(err)
	}
	if !cri.RestrictOOMScoreAdj {
		t.Error("restrict_oom_score_adj is not true: every sandbox fails here without it")
	}
	if !cri.NetNSMountsUnderStateDir {
		t.Error("netns_mounts_under_state_dir is not true")
	}
	if cri.SandboxImage != "docker.io/zdt/pause:v1" {
		t.Errorf("sandbox_image = %q", cri.SandboxImage)
	}
	runc := cri.Containerd.Runtimes["runc"]
	if runc.RuntimeType != "io.containerd.runc.v2" || runc.Options.SystemdCgroup || runc.Options.Root != l.runcRoot() {
		t.Errorf("runc runtime = %+v", runc)
	}
	if cri.CNI.BinDir != "/usr/lib/cni" || cri.CNI.ConfDir != l.cniConfDir() {
		t.Errorf("cni = %+v", cri.CNI)
	}
	for _, path := range []string{got.Root, got.State, got.GRPC.Address, runc.Options.Root, cri.CNI.ConfDir} {
		if !strings.HasPrefix(path, c.WorkDir+"/") {
			t.Errorf("%s is outside the work dir", path)
		}
	}
}

func TestCNIConfig(t *testing.T) {
	c, l := testConfig(t)
	data, err := renderCNIConfig(l, c)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		CNIVersion string `json:"cniVersion"`
		Name       string
		Plugins    []struct {
			Type         string
			Bridge       string
			IsGateway    bool `json:"isGateway"`
			IPMasq       bool `json:"ipMasq"`
			Capabilities map[string]bool
			IPAM         struct {
				Type    string
				Ranges  [][]struct{ Subnet string }
				DataDir string `json:"dataDir"`
			}
		}
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Plugins) != 2 {
		t.Fatalf("plugins = %+v", got.Plugins)
	}
	br, pm := got.Plugins[0], got.Plugins[1]
	if br.Type != "bridge" || br.Bridge != "cni0" || !br.IsGateway || !br.IPMasq {
		t.Errorf("bridge = %+v", br)
	}
	if br.IPAM.Type != "host-local" || br.IPAM.Ranges[0][0].Subnet != "10.244.1.0/24" || br.IPAM.DataDir != l.cniIPAMDir() {
		t.Errorf("ipam = %+v", br.IPAM)
	}
	if pm.Type != "portmap" || !pm.Capabilities["portMappings"] {
		t.Errorf("portmap = %+v", pm)
	}
}

func TestComponentArgs(t *testing.T) {
	c, l := testConfig(t)
	comps := components(l, c)
	var names []string
	byName := map[string]component{}
	for _, comp := range comps {
		names = append(names, comp.Name)
		byName[comp.Name] = comp
	}
	wantOrder := []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "containerd", "kubelet", "kube-proxy"}
	if !slices.Equal(names, wantOrder) {
		t.Errorf("components = %v, want %v", names, wantOrder)
	}
	want := map[string][]string{
		"kube-apiserver": {
			"--endpoint-reconciler-type=none", "--bind-address=127.0.0.1", "--secure-port=6443",
			"--service-cluster-ip-range=10.96.0.0/16", "--token-auth-file=" + l.pki("tokens.csv"),
			"--service-account-key-file=" + l.pki("sa.pub"), "--service-account-signing-key-file=" + l.pki("sa.key"),
		},
		"kube-controller-manager": {"--leader-elect=false", "--root-ca-file=" + l.pki("ca.crt")},
		"kube-scheduler":          {"--leader-elect=false"},
		"kubelet":                 {"--hostname-override=zdt-lab", "--node-ip=192.0.2.2", "--root-dir=" + l.kubeletRoot()},
		"kube-proxy": {
			"--proxy-mode=iptables", "--iptables-localhost-nodeports=false", "--conntrack-max-per-core=0",
			"--conntrack-tcp-timeout-established=0", "--conntrack-tcp-timeout-close-wait=0",
			"--cluster-cidr=10.244.1.0/24",
		},
	}
	for name, flags := range want {
		for _, f := range flags {
			if !slices.Contains(byName[name].Args, f) {
				t.Errorf("%s lacks %s", name, f)
			}
		}
	}
	if got := byName["kube-apiserver"].Bin; got != "/opt/k8s/bin/kube-apiserver" {
		t.Errorf("apiserver binary = %q", got)
	}
	// Every path a component is given lies in the work directory.
	for _, comp := range comps {
		for _, a := range comp.Args {
			_, v, ok := strings.Cut(a, "=")
			if ok && strings.HasPrefix(v, "/") && !strings.HasPrefix(v, c.WorkDir+"/") {
				t.Errorf("%s: %s points outside the work dir", comp.Name, a)
			}
		}
	}
}

func TestKubeconfig(t *testing.T) {
	data, err := renderKubeconfig("https://127.0.0.1:6443", []byte("CA"), "zdt-lab-admin", "tok")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{"server: https://127.0.0.1:6443", "token: tok", "current-context: zdt-lab", "certificate-authority-data: Q0E="} {
		if !strings.Contains(s, want) {
			t.Errorf("kubeconfig lacks %q:\n%s", want, s)
		}
	}
}

// TestFindRepoDirFromARelativePath walks up from "." (go test runs in the
// package directory, below the repository root).
func TestFindRepoDirFromARelativePath(t *testing.T) {
	got, err := FindRepoDir(".")
	if err != nil {
		t.Fatal(err)
	}
	want, err := filepath.Abs(filepath.Join("..", "..")) // this package is lab/cluster
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("FindRepoDir(.) = %s, want %s", got, want)
	}
}
