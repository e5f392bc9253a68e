package emulator

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"syscall"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"
)

func TestRunGate(t *testing.T) {
	var g runGate
	if err := g.wait(t.Context()); err != nil || g.closed() {
		t.Fatalf("an open gate: wait %v, closed %v", err, g.closed())
	}
	if !g.pause() || g.pause() || !g.closed() {
		t.Fatal("pause must close the gate once")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if err := g.wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait on a closed gate returned %v, want the context's deadline", err)
	}
	released := make(chan error, 1)
	go func() { released <- g.wait(t.Context()) }()
	time.Sleep(10 * time.Millisecond)
	if !g.resume() || g.resume() || g.closed() {
		t.Fatal("resume must open the gate once")
	}
	select {
	case err := <-released:
		if err != nil {
			t.Fatalf("released wait: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("resume did not release the waiter")
	}
}

// TestStoppedControllerRegistersNothingUntilStarted: while paused, an
// endpoint that appears is not registered (the ALB keeps its old targets);
// once resumed, it is.
func TestStoppedControllerRegistersNothingUntilStarted(t *testing.T) {
	a := podState{name: "a", ip: "10.244.1.2", containersReady: true, ready: true}
	b := podState{name: "b", ip: "10.244.1.3", containersReady: true, ready: true}
	client := fake.NewClientset(webService(), webIngress(nil), webPod(a, ""), webSlice(a))
	ctrl, err := NewController(ControllerOptions{Client: client, Clock: clocktesting.NewFakeClock(t0), Recorder: record.NewFakeRecorder(100)}, testSettings())
	if err != nil {
		t.Fatal(err)
	}
	runUntilCleanup(t, ctrl.Run)
	ctx := t.Context()
	targets := func() int {
		groups := ctrl.targetGroups()
		if len(groups) != 1 {
			return -1
		}
		return len(groups[0].Targets())
	}
	eventually(t, "pod a registered", func() bool { return targets() == 1 })

	ctrl.pause()
	if _, err := client.CoreV1().Pods("app").Create(ctx, webPod(b, ""), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DiscoveryV1().EndpointSlices("app").Update(ctx, webSlice(a, b), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := targets(); n != 1 {
		t.Fatalf("%d targets while the LBC is stopped, want the 1 registered before", n)
	}
	ctrl.resume()
	eventually(t, "pod b registered after the restart", func() bool { return targets() == 2 })
}

// TestStopAndStartLBC: the webhook refuses connections while the LBC is
// down and answers again on the same URL after; the data plane serves
// throughout; the failurePolicy can be changed in the configuration.
func TestStopAndStartLBC(t *testing.T) {
	emu := runEmulator(t)
	ctx := t.Context()
	if err := emu.EnsureWebhookConfiguration(ctx); err != nil {
		t.Fatal(err)
	}
	if !emu.LBCRunning() {
		t.Fatal("LBCRunning is false after Ready")
	}
	if err := webhookCall(emu); err != nil {
		t.Fatalf("webhook before the outage: %v", err)
	}

	if err := emu.StopLBC(ctx); err != nil {
		t.Fatal(err)
	}
	if err := emu.StopLBC(ctx); err != nil {
		t.Fatalf("stopping a stopped LBC: %v", err)
	}
	if emu.LBCRunning() || !emu.Controller().paused() {
		t.Fatal("the LBC still runs after StopLBC")
	}
	if err := webhookCall(emu); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("webhook while the LBC is down: %v, want connection refused", err)
	}
	resp, err := http.Get("http://" + emu.DataPlaneAddr() + "/")
	if err != nil {
		t.Fatalf("the data plane stopped with the LBC: %v", err)
	}
	_ = resp.Body.Close()

	if err := emu.StartLBC(); err != nil {
		t.Fatal(err)
	}
	if err := emu.StartLBC(); err != nil {
		t.Fatalf("starting a running LBC: %v", err)
	}
	if !emu.LBCRunning() {
		t.Fatal("LBCRunning is false after StartLBC")
	}
	if err := webhookCall(emu); err != nil {
		t.Fatalf("webhook after the restart: %v", err)
	}

	if err := emu.SetWebhookFailurePolicy(ctx, admissionregistrationv1.Ignore); err != nil {
		t.Fatal(err)
	}
	cfg, err := emu.cfg.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, DefaultWebhookConfigurationName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := *cfg.Webhooks[0].FailurePolicy; got != admissionregistrationv1.Ignore || emu.WebhookFailurePolicy() != admissionregistrationv1.Ignore {
		t.Fatalf("failurePolicy %s in the configuration, %s in the emulator; want Ignore", got, emu.WebhookFailurePolicy())
	}
	if err := emu.SetWebhookFailurePolicy(ctx, "Sometimes"); err == nil {
		t.Fatal("an unknown failurePolicy was accepted")
	}
}

func TestStopLBCBeforeRun(t *testing.T) {
	emu, err := New(Config{Client: fake.NewClientset(), Recorder: record.NewFakeRecorder(10),
		DataPlaneListen: "127.0.0.1:0", WebhookListen: "127.0.0.1:0", DebugListen: "127.0.0.1:0"}, DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	if err := emu.StopLBC(t.Context()); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("StopLBC before Run: %v, want ErrNotRunning", err)
	}
	if err := emu.StartLBC(); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("StartLBC before Run: %v, want ErrNotRunning", err)
	}
}

// runEmulator runs an emulator on loopback with a fake clientset until the
// test ends.
func runEmulator(t *testing.T, objects ...runtime.Object) *Emulator {
	t.Helper()
	emu, err := New(Config{
		Client: fake.NewClientset(objects...), Recorder: record.NewFakeRecorder(100),
		DataPlaneListen: "127.0.0.1:0", WebhookListen: "127.0.0.1:0", DebugListen: "127.0.0.1:0",
	}, DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	runUntilCleanup(t, emu.Run)
	select {
	case <-emu.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("emulator not ready")
	}
	return emu
}

// webhookCall posts a pod CREATE review to the emulator's webhook URL over
// TLS trusted by its CA bundle, on a new connection.
func webhookCall(emu *Emulator) error {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(emu.CABundle())
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true,
	}}
	review := &admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: "1", Operation: admissionv1.Create, Namespace: "app",
			Kind:   metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Object: runtime.RawExtension{Raw: mustJSON(&corev1.Pod{})},
		},
	}
	resp, err := client.Post(emu.WebhookURL(), "application/json", bytes.NewReader(mustJSON(review)))
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	var out admissionv1.AdmissionReview
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return err
	}
	if out.Response == nil || !out.Response.Allowed {
		return errors.New("the webhook did not allow the pod")
	}
	return nil
}

func mustJSON(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return raw
}
