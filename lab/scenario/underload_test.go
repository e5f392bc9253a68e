package scenario

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/zdt-eks/zdt/verify"
)

// versionServer answers 200 with the version it holds.
func versionServer(t *testing.T, version *atomic.Value) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set(verify.DefaultVersionHeader, version.Load().(string))
		_, _ = w.Write([]byte("hello\n"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// serviceAt is Service demo/web whose ClusterIP and port are addr's.
func serviceAt(t *testing.T, addr string) *corev1.Service {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(port)
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "web"},
		Spec:       corev1.ServiceSpec{ClusterIP: host, Ports: []corev1.ServicePort{{Port: int32(n)}}},
	}
}

// TestRolloutWithLBCDownMeasuresUnderLoad runs the whole measurement on a
// fake cluster and a real backend serving both paths: the load runs around
// the outage and the rollout, the measurement ends once v2 alone answered,
// and the webhook's failurePolicy is restored afterwards.
func TestRolloutWithLBCDownMeasuresUnderLoad(t *testing.T) {
	var version atomic.Value
	version.Store("v1")
	srv := versionServer(t, &version)
	client := fake.NewClientset(append(appFixture("a", "b"), serviceAt(t, srv.Listener.Addr().String()))...)
	lbc := newFakeLBC()
	lbc.policy = admissionregistrationv1.Ignore
	r := rollout{t: t, client: client, refused: true, gated: true}
	d := fakeDeployer{deploy: func(ctx context.Context, v string) error {
		if lbc.WebhookFailurePolicy() != admissionregistrationv1.Fail {
			t.Errorf("the deploy ran with failurePolicy %s, want Fail", lbc.WebhookFailurePolicy())
		}
		r.newReplicaSet()
		<-lbc.started
		r.complete("a", "b")
		version.Store(v)
		return nil
	}}
	env := Env{
		Client: client, ExternalURL: srv.URL + "/", Rate: 20, Timeout: time.Second,
		Settle: 300 * time.Millisecond, RolloutTimeout: 30 * time.Second, Propagation: "fixed",
	}
	o := LBCOutage{LBC: lbc, Policy: admissionregistrationv1.Fail, Hold: 200 * time.Millisecond}
	res, err := RolloutWithLBCDown(t.Context(), env, "lbc", d, "v1", "v2", true, o)
	if err != nil {
		t.Fatal(err)
	}
	if lbc.WebhookFailurePolicy() != admissionregistrationv1.Ignore {
		t.Errorf("failurePolicy %s after the scenario, want the previous Ignore", lbc.WebhookFailurePolicy())
	}
	if res.Report == nil || res.Report.Requests == 0 || res.Report.Failures != 0 {
		t.Fatalf("report %+v: want requests on both paths, none failed", res.Report)
	}
	if res.Fault == nil || res.Fault.CreateRefused == "" || res.Fault.PodsCreated != 0 {
		t.Errorf("fault %+v: want the outage recorded", res.Fault)
	}
	if res.MeasuredSeconds < env.Settle.Seconds() || res.Propagation != "fixed" {
		t.Errorf("result %+v: want the measurement to last past the settle window, the propagation named", res)
	}
}
