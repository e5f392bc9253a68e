package emulator

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"

	"github.com/zdt-eks/zdt/internal/lbc"
)

// TestEmulatorEndToEnd runs the whole emulator on loopback with a fake
// clientset, the real clock, the real health checker and a real backend.
func TestEmulatorEndToEnd(t *testing.T) {
	_, sp := backend(t, "v1", nil)
	_, port, _ := net.SplitHostPort(sp.ID())
	portNum, _ := strconv.Atoi(port)
	p := podState{name: "web-1", ip: "127.0.0.1", containersReady: true, ready: true}
	slice := webSlice(p)
	slice.Ports[0].Port = new(int32(portNum))
	ing := webIngress(map[string]string{lbc.AnnotationHealthCheckPath: "/"})
	objects := []runtime.Object{webService(), ing, webPod(p, ""), slice}

	s := DefaultSettings()
	s.RegistrationDelay = 0
	s.CheckPhaseJitter = false // the first check right away: the test waits 5 s, the interval is 15 s
	s.TickInterval = 20 * time.Millisecond
	emu, err := New(Config{
		Client: fake.NewClientset(objects...), Recorder: record.NewFakeRecorder(100),
		Logger:          slog.New(slog.NewJSONHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
		DataPlaneListen: "127.0.0.1:0", WebhookListen: "127.0.0.1:0", DebugListen: "127.0.0.1:0",
	}, s)
	if err != nil {
		t.Fatal(err)
	}
	runUntilCleanup(t, emu.Run)
	ctx := t.Context()
	select {
	case <-emu.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("emulator not ready")
	}

	// Traffic for the rule's host reaches the app once the target is healthy.
	hostname := LoadBalancerName("", "app", "web") + ".lab.local"
	eventually(t, "a 200 through the data plane", func() bool {
		req, _ := http.NewRequest(http.MethodGet, "http://"+emu.DataPlaneAddr()+"/", nil)
		req.Host = "web.example.com"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK && resp.Header.Get("X-App-Version") == "v1"
	})

	// The debug endpoint shows the healthy target.
	var snap Snapshot
	getJSON(t, emu.DebugURL()+DebugPathTargets, &snap)
	if len(snap.TargetGroups) != 1 || len(snap.TargetGroups[0].Targets) != 1 || snap.TargetGroups[0].Targets[0].State != StateHealthy ||
		len(snap.LoadBalancers) != 1 || snap.LoadBalancers[0].Hostname != hostname {
		t.Fatalf("snapshot %+v", snap)
	}
	if resp, err := http.Get(emu.DebugURL() + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}

	// The webhook answers over TLS trusted by the CA bundle.
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(emu.CABundle())
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	body, _ := json.Marshal(podReview(t, admissionv1.Create, podWithGates()))
	resp, err := client.Post(emu.WebhookURL(), "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("webhook: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(resp.Body).Decode(&review); err != nil {
		t.Fatal(err)
	}
	ops := decodePatch(t, review.Response)
	want := snap.TargetGroups[0].GateConditionType
	if len(ops) != 1 || ops[0]["value"].([]any)[0].(map[string]any)["conditionType"] != want {
		t.Fatalf("webhook patch %v, want gate %s", ops, want)
	}

	// EnsureWebhookConfiguration points the apiserver at this webhook.
	if err := emu.EnsureWebhookConfiguration(ctx); err != nil {
		t.Fatal(err)
	}
	cfg, err := emu.cfg.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, DefaultWebhookConfigurationName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *cfg.Webhooks[0].ClientConfig.URL != emu.WebhookURL() || !bytes.Equal(cfg.Webhooks[0].ClientConfig.CABundle, emu.CABundle()) {
		t.Fatalf("webhook configuration %+v", cfg.Webhooks[0].ClientConfig)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v in %s", url, err, raw)
	}
}
