package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// Up brings the cluster described by cfg up and waits until it serves:
// apiserver ready, node Ready, kube-proxy healthy and a ClusterIP reachable
// from the host. It is idempotent and resumable: what is already in place
// and running (certificates, images, healthy processes) is kept.
func Up(ctx context.Context, cfg Config) (*Cluster, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	p := newProgress(c.Progress)
	p.printf("cluster up: work dir %s, node %s (%s), pod CIDR %s, service CIDR %s", c.WorkDir, c.NodeName, c.NodeIP, c.PodCIDR, c.ServiceCIDR)
	if os.Geteuid() != 0 {
		return nil, errors.New("cluster up needs root (containers, iptables, mounts)")
	}
	l := layout{c.WorkDir}
	if err := os.MkdirAll(c.WorkDir, 0o755); err != nil {
		return nil, err
	}
	unlock, err := lockWorkDir(l)
	if err != nil {
		return nil, err
	}
	defer unlock()
	st, err := readStateOrEmpty(l.state())
	if err != nil {
		return nil, err
	}
	st.Config = c
	st.Phase = "starting"
	if err := WriteState(l.state(), st); err != nil {
		return nil, err
	}
	u := &upper{c: c, l: l, st: st, p: p}
	if err := u.run(ctx); err != nil {
		return nil, fmt.Errorf("cluster up (logs in %s): %w", l.path("logs"), err)
	}
	p.printf("cluster up: ready; kubeconfig %s", l.kubeconfig("admin"))
	return newCluster(c), nil
}

// upper carries the state of one Up.
type upper struct {
	c     Config
	l     layout
	st    *State
	p     *progress
	comps map[string]component
	cs    *kubernetes.Clientset
	// kubeletStarted is when this Up started the kubelet (zero when it
	// was already running): a Ready condition older than that is stale.
	kubeletStarted time.Time
}

func (u *upper) save() error { return WriteState(u.l.state(), u.st) }

func (u *upper) run(ctx context.Context) error {
	c, l, p := u.c, u.l, u.p
	if !c.SkipPackages {
		if err := p.step("packages", func() (string, error) { return "", ensurePackages(ctx, c, p) }); err != nil {
			return err
		}
	}
	if err := p.step("binaries", func() (string, error) {
		return "kubernetes binaries in " + c.BinDir, checkBinaries(c.BinDir)
	}); err != nil {
		return err
	}
	if err := p.step("certificates", func() (string, error) {
		changed, err := ensurePKI(l, c, time.Now())
		if !changed {
			return "reused", err
		}
		return "generated CA, apiserver and kubelet-client certificates, service-account keys, tokens", err
	}); err != nil {
		return err
	}
	if err := p.step("configs", func() (string, error) {
		return "kubeconfigs, kubelet, containerd and CNI configs written", writeConfigs(l, c)
	}); err != nil {
		return err
	}
	if err := p.step("sysctls", func() (string, error) { return u.setSysctls() }); err != nil {
		return err
	}
	u.comps = map[string]component{}
	for _, comp := range components(l, c) {
		u.comps[comp.Name] = comp
	}

	if err := u.ensure(ctx, "etcd", u.etcdHealthy); err != nil {
		return err
	}
	// The apiserver and containerd start together; the pause image is
	// built while the apiserver initializes.
	if err := u.start("kube-apiserver"); err != nil {
		return err
	}
	if err := u.ensure(ctx, "containerd", u.containerdHealthy); err != nil {
		return err
	}
	if err := p.step("pause image", func() (string, error) { return u.pauseImage(ctx) }); err != nil {
		return err
	}
	if err := u.wait(ctx, "kube-apiserver", u.apiserverReady); err != nil {
		return err
	}
	if err := u.start("kube-controller-manager"); err != nil {
		return err
	}
	if err := u.start("kube-scheduler"); err != nil {
		return err
	}
	if err := u.ensure(ctx, "kubelet", u.kubeletHealthy); err != nil {
		return err
	}
	if err := u.wait(ctx, "kube-controller-manager", insecureHealthz(ControllerManagerPort)); err != nil {
		return err
	}
	if err := u.wait(ctx, "kube-scheduler", insecureHealthz(SchedulerPort)); err != nil {
		return err
	}
	if err := u.wait(ctx, "node", u.nodeReady); err != nil {
		return err
	}
	if err := u.ensure(ctx, "kube-proxy", u.kubeProxyHealthy); err != nil {
		return err
	}
	if err := p.step("clusterip", func() (string, error) { return u.checkClusterIP(ctx) }); err != nil {
		return err
	}
	u.st.Phase = "up"
	return u.save()
}

// setSysctls turns on IP forwarding and bridge netfilter (ClusterIPs from
// pods on the bridge), remembering the old values for Down.
func (u *upper) setSysctls() (string, error) {
	var set []string
	for _, key := range []string{sysctlIPForward, sysctlBridgeIptables} {
		old, err := readSysctl(key)
		if err != nil {
			if key == sysctlBridgeIptables {
				continue // no br_netfilter: only pod-to-ClusterIP-on-same-node suffers
			}
			return "", err
		}
		if _, recorded := u.st.Sysctls[key]; !recorded {
			u.st.Sysctls[key] = old
		}
		if old != "1" {
			if err := writeSysctl(key, "1"); err != nil {
				return "", err
			}
		}
		set = append(set, strings.ReplaceAll(key, "/", ".")+"=1")
	}
	return strings.Join(set, " "), u.save()
}

// ensure makes sure component name runs with its current arguments and
// waits until check passes.
func (u *upper) ensure(ctx context.Context, name string, check func(context.Context) error) error {
	if err := u.start(name); err != nil {
		return err
	}
	return u.wait(ctx, name, check)
}

// start starts component name unless the same process (same arguments) is
// still running; a running process with other arguments is restarted.
func (u *upper) start(name string) error {
	comp := u.comps[name]
	if old, ok := u.st.proc(name); ok && old.alive() {
		if slices.Equal(old.Args, comp.Args) {
			u.p.printf("%s: already running (pid %d)", name, old.PID)
			return nil
		}
		u.p.printf("%s: configuration changed, restarting pid %d", name, old.PID)
		if err := stopProc(context.Background(), old, 15*time.Second); err != nil {
			return err
		}
	}
	started := time.Now()
	proc, err := startProc(u.l, comp)
	if err != nil {
		return err
	}
	if name == "kubelet" {
		u.kubeletStarted = started
	}
	u.st.setProc(proc)
	if err := u.save(); err != nil {
		return err
	}
	u.p.printf("%s: started (pid %d, log %s)", name, proc.PID, proc.Log)
	return nil
}

// wait polls check until it passes, the timeout passes or the process of
// name (when it is a component) dies.
func (u *upper) wait(ctx context.Context, name string, check func(context.Context) error) error {
	return u.p.step(name, func() (string, error) {
		ctx, cancel := context.WithTimeout(ctx, u.c.StartTimeout)
		defer cancel()
		var last error
		for {
			cctx, ccancel := context.WithTimeout(ctx, 3*time.Second)
			last = check(cctx)
			ccancel()
			if last == nil {
				return "ready", nil
			}
			if proc, ok := u.st.proc(name); ok && !proc.alive() {
				return "", fmt.Errorf("process exited: %v; last lines of %s:\n%s", last, proc.Log, tailFile(proc.Log, 15))
			}
			select {
			case <-ctx.Done():
				return "", fmt.Errorf("not ready after %s: %v", u.c.StartTimeout, last)
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// httpGet fetches url with client and wants status 200.
func httpGet(ctx context.Context, client *http.Client, url, bearer string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64*1024))
	if resp.StatusCode != http.StatusOK {
		return string(body), fmt.Errorf("GET %s: %s: %s", url, resp.Status, firstLine(string(body)))
	}
	return string(body), nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

var plainClient = &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}

func (u *upper) etcdHealthy(ctx context.Context) error {
	body, err := httpGet(ctx, plainClient, "http://127.0.0.1:"+portString(u.c.EtcdClientPort)+"/health", "")
	if err != nil {
		return err
	}
	if !strings.Contains(body, `"health":"true"`) {
		return fmt.Errorf("etcd health: %s", body)
	}
	return nil
}

// apiClient is an HTTP client that trusts the lab CA.
func apiClient(l layout) (*http.Client, error) {
	caPEM, err := os.ReadFile(l.pki("ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &http.Client{Transport: &http.Transport{
		Proxy:             nil,
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}, nil
}

func (u *upper) apiserverReady(ctx context.Context) error {
	client, err := apiClient(u.l)
	if err != nil {
		return err
	}
	tokens, err := readTokens(u.l.pki("tokens.csv"))
	if err != nil {
		return err
	}
	if _, err := httpGet(ctx, client, u.c.apiServerURL()+"/readyz", tokens["admin"].Token); err != nil {
		return err
	}
	cs, err := newCluster(u.c).Clientset()
	if err != nil {
		return err
	}
	u.cs = cs
	return nil
}

// insecureHealthz checks a loopback component's self-signed /healthz.
func insecureHealthz(port int) func(context.Context) error {
	client := &http.Client{Transport: &http.Transport{
		Proxy:             nil,
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, // loopback, self-signed by the component
	}}
	return func(ctx context.Context) error {
		_, err := httpGet(ctx, client, "https://127.0.0.1:"+portString(port)+"/healthz", "")
		return err
	}
}

func (u *upper) containerdHealthy(ctx context.Context) error {
	conn, err := (&net.Dialer{}).DialContext(ctx, "unix", u.l.containerdSocket())
	if err != nil {
		return err
	}
	conn.Close()
	_, err = ctr(ctx, u.l.containerdSocket(), "version")
	return err
}

func (u *upper) pauseImage(ctx context.Context) (string, error) {
	tarball, built, err := buildPauseImage(ctx, u.l, u.c)
	if err != nil {
		return "", err
	}
	present, err := imagePresent(ctx, u.l.containerdSocket(), u.c.PauseImage)
	if err != nil {
		return "", err
	}
	verb := "reused"
	if built {
		verb = "built"
	}
	if present && !built {
		return fmt.Sprintf("%s %s, already imported", verb, u.c.PauseImage), nil
	}
	if err := importImage(ctx, u.l.containerdSocket(), tarball); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s %s and imported it", verb, u.c.PauseImage), nil
}

func (u *upper) kubeletHealthy(ctx context.Context) error {
	_, err := httpGet(ctx, plainClient, "http://127.0.0.1:"+portString(KubeletHealthzPort)+"/healthz", "")
	return err
}

func (u *upper) nodeReady(ctx context.Context) error {
	node, err := u.cs.CoreV1().Nodes().Get(ctx, u.c.NodeName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			// After a restart the node may still show the Ready condition
			// of the previous kubelet: wait for a heartbeat of this one.
			if cond.LastHeartbeatTime.Time.Before(u.kubeletStarted.Truncate(time.Second)) {
				return fmt.Errorf("node %s: Ready condition predates the kubelet started at %s", u.c.NodeName, u.kubeletStarted.Format(time.TimeOnly))
			}
			if cond.Status == corev1.ConditionTrue {
				return nil
			}
			return fmt.Errorf("node %s not Ready: %s: %s", u.c.NodeName, cond.Reason, cond.Message)
		}
	}
	return fmt.Errorf("node %s has no Ready condition yet", u.c.NodeName)
}

func (u *upper) kubeProxyHealthy(ctx context.Context) error {
	_, err := httpGet(ctx, plainClient, "http://127.0.0.1:"+portString(KubeProxyHealthzPort)+"/healthz", "")
	return err
}

// Names of the objects of the ClusterIP check.
const (
	probeNamespace = "kube-system"
	probeName      = "zdt-lab-probe"
)

// checkClusterIP proves that kube-proxy's rules route a ClusterIP from the
// host: a selector-less Service whose EndpointSlice points at a listener of
// this process on the node IP must answer through its ClusterIP. The
// objects are deleted afterwards.
func (u *upper) checkClusterIP(ctx context.Context) (string, error) {
	ln, err := net.Listen("tcp4", net.JoinHostPort(u.c.NodeIP, "0"))
	if err != nil {
		return "", err
	}
	defer ln.Close()
	nonce := fmt.Sprintf("zdt-lab-probe %d", time.Now().UnixNano())
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = io.WriteString(conn, nonce+"\n")
			conn.Close()
		}
	}()
	port := int32(ln.Addr().(*net.TCPAddr).Port)
	svcs := u.cs.CoreV1().Services(probeNamespace)
	eps := u.cs.DiscoveryV1().EndpointSlices(probeNamespace)
	cleanup := func() {
		bg, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = svcs.Delete(bg, probeName, metav1.DeleteOptions{})
		_ = eps.Delete(bg, probeName, metav1.DeleteOptions{})
	}
	cleanup() // a previous, interrupted Up may have left them
	defer cleanup()
	svc, err := svcs.Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: probeName},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{
			Name: "probe", Port: 80, TargetPort: intstr.FromInt32(port), Protocol: corev1.ProtocolTCP,
		}}},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	ready := true
	_, err = eps.Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: probeName, Labels: map[string]string{
			discoveryv1.LabelServiceName: probeName,
			discoveryv1.LabelManagedBy:   "zdt-lab",
		}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{u.c.NodeIP}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
		Ports:       []discoveryv1.EndpointPort{{Name: ptr("probe"), Port: &port, Protocol: ptr(corev1.ProtocolTCP)}},
	}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return "", err
	}
	target := net.JoinHostPort(svc.Spec.ClusterIP, "80")
	start := time.Now()
	deadline := start.Add(u.c.StartTimeout)
	var last error
	for time.Now().Before(deadline) {
		if last = dialExpect(ctx, target, nonce); last == nil {
			return fmt.Sprintf("%s answered from the host %.1fs after the Service was created", target, time.Since(start).Seconds()), nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", fmt.Errorf("ClusterIP %s unreachable from the host: %v", target, last)
}

// dialExpect connects to target and expects the first line to be want.
func dialExpect(ctx context.Context, target, want string) error {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp4", target)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 128)
	n, err := io.ReadAtLeast(conn, buf, len(want))
	if err != nil {
		return err
	}
	if got := strings.TrimSpace(string(buf[:n])); got != want {
		return fmt.Errorf("answer %q, want %q", got, want)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// lockWorkDir takes an exclusive lock on the work directory so that two
// Up/Down runs never interleave.
func lockWorkDir(l layout) (func(), error) {
	f, err := os.OpenFile(l.path(".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("work dir %s is locked by another lab command: %w", l.dir, err)
	}
	return func() { f.Close() }, nil
}
