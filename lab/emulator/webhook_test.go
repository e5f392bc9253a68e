package emulator

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/zdt-eks/zdt/internal/lbc"
)

type staticGates struct {
	gates []corev1.PodConditionType
	err   error
	asked []string
}

func (s *staticGates) GatesFor(namespace string, _ map[string]string) ([]corev1.PodConditionType, error) {
	s.asked = append(s.asked, namespace)
	return s.gates, s.err
}

func podReview(t *testing.T, op admissionv1.Operation, pod *corev1.Pod) *admissionv1.AdmissionReview {
	t.Helper()
	raw, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	return &admissionv1.AdmissionReview{Request: &admissionv1.AdmissionRequest{
		UID: types.UID("req-1"), Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
		Namespace: "app", Operation: op, Object: runtime.RawExtension{Raw: raw},
	}}
}

func podWithGates(gates ...corev1.PodConditionType) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "web-", Labels: map[string]string{"app": "web"}}}
	for _, g := range gates {
		p.Spec.ReadinessGates = append(p.Spec.ReadinessGates, corev1.PodReadinessGate{ConditionType: g})
	}
	return p
}

func decodePatch(t *testing.T, resp *admissionv1.AdmissionResponse) []map[string]any {
	t.Helper()
	if resp.Patch == nil {
		return nil
	}
	if resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch {
		t.Fatalf("patch type %v, want JSONPatch", resp.PatchType)
	}
	var ops []map[string]any
	if err := json.Unmarshal(resp.Patch, &ops); err != nil {
		t.Fatalf("patch %s: %v", resp.Patch, err)
	}
	return ops
}

func TestWebhookReview(t *testing.T) {
	gate := GateConditionType("k8s-app-web-0123456789")
	other := corev1.PodConditionType("example.com/other")
	for _, tc := range []struct {
		name    string
		op      admissionv1.Operation
		pod     *corev1.Pod
		gates   []corev1.PodConditionType
		err     error
		allowed bool
		want    []map[string]any
	}{
		{name: "no gates yet: add the list", op: admissionv1.Create, pod: podWithGates(), gates: []corev1.PodConditionType{gate}, allowed: true,
			want: []map[string]any{{"op": "add", "path": "/spec/readinessGates", "value": []any{map[string]any{"conditionType": string(gate)}}}}},
		{name: "other gate present: append", op: admissionv1.Create, pod: podWithGates(other), gates: []corev1.PodConditionType{gate}, allowed: true,
			want: []map[string]any{{"op": "add", "path": "/spec/readinessGates/-", "value": map[string]any{"conditionType": string(gate)}}}},
		{name: "duplicate gates from the source: added once", op: admissionv1.Create, pod: podWithGates(other), gates: []corev1.PodConditionType{gate, gate}, allowed: true,
			want: []map[string]any{{"op": "add", "path": "/spec/readinessGates/-", "value": map[string]any{"conditionType": string(gate)}}}},
		{name: "gate already present: no patch", op: admissionv1.Create, pod: podWithGates(gate), gates: []corev1.PodConditionType{gate}, allowed: true},
		{name: "no target group selects the pod: no patch", op: admissionv1.Create, pod: podWithGates(), allowed: true},
		{name: "update: untouched", op: admissionv1.Update, pod: podWithGates(), gates: []corev1.PodConditionType{gate}, allowed: true},
		{name: "lookup error: denied", op: admissionv1.Create, pod: podWithGates(), err: errors.New("boom"), allowed: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &staticGates{gates: tc.gates, err: tc.err}
			out := NewWebhook(src, nil).Review(podReview(t, tc.op, tc.pod))
			if out.Response.UID != "req-1" || out.Response.Allowed != tc.allowed || out.Kind != "AdmissionReview" {
				t.Fatalf("response %+v, want uid req-1 allowed=%v", out.Response, tc.allowed)
			}
			if got := decodePatch(t, out.Response); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("patch %v, want %v", got, tc.want)
			}
			if tc.op == admissionv1.Create && (len(src.asked) != 1 || src.asked[0] != "app") {
				t.Fatalf("gate source asked for %v, want the request namespace", src.asked)
			}
		})
	}
}

func TestWebhookServeHTTP(t *testing.T) {
	gate := GateConditionType("k8s-app-web-0123456789")
	srv := httptest.NewServer(NewWebhook(&staticGates{gates: []corev1.PodConditionType{gate}}, nil))
	defer srv.Close()
	body, err := json.Marshal(podReview(t, admissionv1.Create, podWithGates()))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var out admissionv1.AdmissionReview
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.Response == nil || !out.Response.Allowed || len(decodePatch(t, out.Response)) != 1 {
		t.Fatalf("response %+v", out.Response)
	}
	bad, err := http.Post(srv.URL, "application/json", bytes.NewReader([]byte("{")))
	if err != nil {
		t.Fatal(err)
	}
	_ = bad.Body.Close()
	if bad.StatusCode != http.StatusBadRequest {
		t.Fatalf("malformed review: %d, want 400", bad.StatusCode)
	}
}

func TestGatesForFollowsUpstreamRules(t *testing.T) {
	for _, tc := range []struct {
		name      string
		objects   []runtime.Object
		namespace string
		labels    map[string]string
		want      int
	}{
		{name: "service and ip ingress exist", objects: []runtime.Object{webService(), webIngress(nil)}, namespace: "app", labels: map[string]string{"app": "web"}, want: 1},
		{name: "labels not selected", objects: []runtime.Object{webService(), webIngress(nil)}, namespace: "app", labels: map[string]string{"app": "db"}, want: 0},
		{name: "other namespace", objects: []runtime.Object{webService(), webIngress(nil)}, namespace: "other", labels: map[string]string{"app": "web"}, want: 0},
		{name: "no ingress", objects: []runtime.Object{webService()}, namespace: "app", labels: map[string]string{"app": "web"}, want: 0},
		{name: "no service", objects: []runtime.Object{webIngress(nil)}, namespace: "app", labels: map[string]string{"app": "web"}, want: 0},
		{name: "instance target type", objects: []runtime.Object{webService(), webIngress(map[string]string{lbc.AnnotationTargetType: "instance"})}, namespace: "app", labels: map[string]string{"app": "web"}, want: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cf := newControllerFixture(t, tc.objects...)
			cf.reconcileModel(t)
			gates, err := cf.ctrl.GatesFor(tc.namespace, tc.labels)
			if err != nil {
				t.Fatal(err)
			}
			if len(gates) != tc.want {
				t.Fatalf("gates %v, want %d", gates, tc.want)
			}
			if tc.want == 1 {
				snap := cf.ctrl.Snapshot()
				if string(gates[0]) != snap.TargetGroups[0].GateConditionType {
					t.Fatalf("gate %s, target group %s", gates[0], snap.TargetGroups[0].Name)
				}
			}
		})
	}
}

func TestWebhookConfigurationAndCertificates(t *testing.T) {
	certs, err := generateCerts([]string{"127.0.0.1", "localhost"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// The CA bundle verifies the serving certificate for https://127.0.0.1.
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{certs.serving}}
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certs.caPEM) {
		t.Fatal("CA PEM not parsable")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatalf("TLS with the generated CA: %v", err)
	}
	_ = resp.Body.Close()

	cs := fake.NewClientset()
	ctx := context.Background()
	cfg := WebhookConfiguration("albemu-webhook", "https://127.0.0.1:19443"+WebhookPath, certs.caPEM, admissionregistrationv1.Fail)
	if err := EnsureWebhookConfiguration(ctx, cs, cfg); err != nil {
		t.Fatal(err)
	}
	newURL := "https://127.0.0.1:29443" + WebhookPath
	if err := EnsureWebhookConfiguration(ctx, cs, WebhookConfiguration("albemu-webhook", newURL, []byte("new-ca"), admissionregistrationv1.Ignore)); err != nil {
		t.Fatal(err)
	}
	got, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, "albemu-webhook", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wh := got.Webhooks[0]
	if len(got.Webhooks) != 1 || *wh.ClientConfig.URL != newURL || string(wh.ClientConfig.CABundle) != "new-ca" ||
		*wh.FailurePolicy != admissionregistrationv1.Ignore || *wh.SideEffects != admissionregistrationv1.SideEffectClassNone ||
		wh.NamespaceSelector.MatchLabels[NamespaceGateLabel] != "enabled" ||
		!reflect.DeepEqual(wh.AdmissionReviewVersions, []string{"v1"}) ||
		!reflect.DeepEqual(wh.Rules[0].Operations, []admissionregistrationv1.OperationType{admissionregistrationv1.Create}) ||
		!reflect.DeepEqual(wh.Rules[0].Resources, []string{"pods"}) {
		t.Fatalf("webhook %+v", wh)
	}
	if err := DeleteWebhookConfiguration(ctx, cs, "albemu-webhook"); err != nil {
		t.Fatal(err)
	}
	if err := DeleteWebhookConfiguration(ctx, cs, "albemu-webhook"); err != nil {
		t.Fatalf("second delete: %v", err)
	}
}
