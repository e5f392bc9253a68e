package cluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zdt-eks/zdt/app/image"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestIntegrationUpDeployDown brings a real cluster up, runs the demo app
// behind a ClusterIP Service, reaches it from the host and brings the
// cluster down, checking that nothing is left. It needs root, the
// Kubernetes binaries (make k8s-binaries) and ZDT_LAB_INTEGRATION=1;
// ZDT_LAB_WORK_DIR overrides its work directory (<repo>/work/lab-integration),
// which it deletes first, and again at the end when the test passed (a
// failed run keeps it, logs included).
func TestIntegrationUpDeployDown(t *testing.T) {
	if os.Getenv("ZDT_LAB_INTEGRATION") != "1" {
		t.Skip("integration test skipped: set ZDT_LAB_INTEGRATION=1 to bring a real cluster up (needs root and make k8s-binaries)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("ZDT_LAB_INTEGRATION=1 needs root")
	}
	repo, err := FindRepoDir("")
	if err != nil {
		t.Fatal(err)
	}
	workDir := os.Getenv("ZDT_LAB_WORK_DIR")
	if workDir == "" {
		workDir = filepath.Join(repo, "work", "lab-integration")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out := &lineLogger{t: t}

	// Start cold: no processes, no certificates, no etcd data.
	if err := DownTo(ctx, workDir, io.Discard); err != nil {
		t.Fatalf("down before the test: %v", err)
	}
	if err := Purge(workDir); err != nil {
		t.Fatal(err)
	}

	downDone := false
	t.Cleanup(func() {
		if !downDone {
			if err := DownTo(context.Background(), workDir, out); err != nil {
				t.Errorf("cleanup down: %v", err)
			}
		}
	})

	start := time.Now()
	cl, err := Up(ctx, Config{WorkDir: workDir, RepoDir: repo, Progress: out})
	if err != nil {
		t.Fatal(err)
	}
	upTook := time.Since(start)
	t.Logf("TIMING cold Up (packages checked, node Ready, ClusterIP checked): %.1fs", upTook.Seconds())

	// Up again: everything is reused.
	start = time.Now()
	if _, err := Up(ctx, Config{WorkDir: workDir, RepoDir: repo, Progress: out, SkipPackages: true}); err != nil {
		t.Fatalf("second Up: %v", err)
	}
	t.Logf("TIMING warm Up (all running): %.1fs", time.Since(start).Seconds())

	rep, err := Status(ctx, workDir)
	if err != nil || !rep.Running() {
		t.Fatalf("status after Up: %+v, %v", rep, err)
	}

	// The demo app, built and imported like the lab does.
	start = time.Now()
	imgDir := t.TempDir()
	bin := filepath.Join(imgDir, "app")
	if err := image.BuildStaticBinary(ctx, image.GoBuild{Dir: repo, Package: "./app", Output: bin, Version: "it"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	const ref = "docker.io/zdt/demo-app:it"
	tarball := filepath.Join(imgDir, "demo-app.tar")
	if _, err := image.BuildTarball(image.Spec{Binary: data, Version: "it", ExposedPorts: []string{"8080/tcp"}}, ref, tarball); err != nil {
		t.Fatal(err)
	}
	if err := cl.ImportImage(ctx, tarball); err != nil {
		t.Fatal(err)
	}
	if ok, err := cl.HasImage(ctx, ref); err != nil || !ok {
		t.Fatalf("image %s not in containerd after import: %v", ref, err)
	}
	t.Logf("TIMING demo app image build+import: %.1fs", time.Since(start).Seconds())

	cs, err := cl.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	const ns = "zdt-it"
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"app": "demo"}
	replicas := int32(3)
	start = time.Now()
	_, err = cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "demo"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken: ptr(true),
					Containers: []corev1.Container{{
						Name:            "app",
						Image:           ref,
						ImagePullPolicy: corev1.PullNever,
						Env:             []corev1.EnvVar{{Name: "BOOT_DELAY", Value: "0"}, {Name: "DRAIN", Value: "1s"}},
						Ports:           []corev1.ContainerPort{{ContainerPort: 8080}},
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/readyz", Port: intstr.FromInt32(8080)}},
							PeriodSeconds: 1,
						},
					}},
				},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := cs.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "demo"},
		Spec: corev1.ServiceSpec{
			Selector: labels,
			Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Pods Ready.
	if err := poll(ctx, 2*time.Minute, func() error {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, "demo", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.ReadyReplicas != replicas {
			return fmt.Errorf("%d/%d replicas ready", d.Status.ReadyReplicas, replicas)
		}
		return nil
	}); err != nil {
		dumpPods(t, ctx, cl, ns)
		t.Fatal(err)
	}
	t.Logf("TIMING deployment of %d pods to all Ready: %.1fs", replicas, time.Since(start).Seconds())

	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	podCIDR := netip.MustParsePrefix(cl.PodCIDR)
	for _, p := range pods.Items {
		ip, err := netip.ParseAddr(p.Status.PodIP)
		if err != nil || !podCIDR.Contains(ip) {
			t.Errorf("pod %s IP %q outside %s", p.Name, p.Status.PodIP, cl.PodCIDR)
		}
	}
	// The EndpointSlice lists the three pods as ready.
	if err := poll(ctx, 30*time.Second, func() error {
		sl, err := cs.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=demo"})
		if err != nil {
			return err
		}
		n := 0
		for _, s := range sl.Items {
			for _, e := range s.Endpoints {
				if e.Conditions.Ready != nil && *e.Conditions.Ready {
					n++
				}
			}
		}
		if n != int(replicas) {
			return fmt.Errorf("%d ready endpoints", n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// The ClusterIP answers from the host, from every pod in turn.
	url := "http://" + net.JoinHostPort(svc.Spec.ClusterIP, "80") + "/"
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	start = time.Now()
	seen := map[string]bool{}
	if err := poll(ctx, 30*time.Second, func() error {
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(body), "Hello, World! version=it") {
			return fmt.Errorf("%s: %s %q", url, resp.Status, body)
		}
		seen[resp.Header.Get("X-Pod-Name")] = true
		if len(seen) < int(replicas) {
			return fmt.Errorf("answers from %d of %d pods so far", len(seen), replicas)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("ClusterIP %s answered from the host, from pods %v (%.1fs)", url, keys(seen), time.Since(start).Seconds())

	// kubectl logs works through the apiserver -> kubelet path.
	req := cs.CoreV1().Pods(ns).GetLogs(pods.Items[0].Name, &corev1.PodLogOptions{})
	logs, err := req.DoRaw(ctx)
	if err != nil || !bytes.Contains(logs, []byte("listening and ready")) {
		t.Errorf("pod logs through the apiserver: %v %q", err, logs)
	}

	// Down: nothing may be left.
	start = time.Now()
	downDone = true
	if err := DownTo(ctx, workDir, out); err != nil {
		t.Fatalf("down: %v", err)
	}
	t.Logf("TIMING Down: %.1fs", time.Since(start).Seconds())
	assertNothingLeft(t, workDir)
	// Down again is a no-op.
	if err := DownTo(ctx, workDir, out); err != nil {
		t.Fatalf("second down: %v", err)
	}
	assertNothingLeft(t, workDir)
	if !t.Failed() {
		if err := Purge(workDir); err != nil {
			t.Error(err)
		}
	}
}

// assertNothingLeft checks the machine for anything of the cluster.
func assertNothingLeft(t *testing.T, workDir string) {
	t.Helper()
	if _, err := net.InterfaceByName(defaultBridge); err == nil {
		t.Errorf("bridge %s still exists", defaultBridge)
	}
	for _, bin := range []string{"iptables-save", "ip6tables-save"} {
		out, err := exec.Command(bin).Output()
		if err != nil {
			t.Errorf("%s: %v", bin, err)
			continue
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "KUBE-") || strings.Contains(line, "CNI-") {
				t.Errorf("%s still shows: %s", bin, line)
			}
		}
	}
	snap, err := snapshotHost(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	plan := planTeardown(workDir, defaultBridge, snap)
	if len(plan.Kill)+len(plan.Unmount)+len(plan.Cgroups)+len(plan.Iptables)+len(plan.Links) != 0 {
		t.Errorf("left behind: %s: %+v", plan.describe(), plan)
	}
	for _, p := range snap.Procs {
		name := filepath.Base(p.Exe)
		if strings.HasPrefix(name, "kube-") || name == "kubelet" || strings.HasPrefix(name, "containerd-shim") {
			t.Errorf("process left: %d %v", p.PID, p.Cmdline)
		}
	}
	l := layout{workDir}
	var results []string
	if ents, err := os.ReadDir(filepath.Join(hostCNIState, "results")); err == nil {
		for _, e := range ents {
			results = append(results, e.Name())
		}
	}
	leftovers := planHostFiles(l.containerdSocket(), sandboxIDs(l), results)
	leftovers = append(leftovers, hostDevicePlugins, filepath.Join(hostCNIState, "networks", cniNetworkName))
	for _, d := range leftovers {
		if _, err := os.Lstat(d); err == nil {
			t.Errorf("%s still exists", d)
		}
	}
}

func dumpPods(t *testing.T, ctx context.Context, cl *Cluster, ns string) {
	cs, err := cl.Clientset()
	if err != nil {
		return
	}
	pods, _ := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	for _, p := range pods.Items {
		t.Logf("pod %s: phase %s, conditions %+v, statuses %+v", p.Name, p.Status.Phase, p.Status.Conditions, p.Status.ContainerStatuses)
	}
	evs, _ := cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	for _, e := range evs.Items {
		t.Logf("event %s %s: %s", e.InvolvedObject.Name, e.Reason, e.Message)
	}
	t.Logf("kubelet log tail:\n%s", tailFile(cl.LogPath("kubelet"), 30))
}

func poll(ctx context.Context, d time.Duration, f func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// lineLogger turns progress output into test log lines.
type lineLogger struct {
	t   *testing.T
	buf []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.t.Log(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
}
