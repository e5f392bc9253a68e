package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Names of the pod mutating webhook, as in the LBC's Helm chart where one exists.
const (
	// NamespaceGateLabel enables readiness gate injection in a namespace
	// when set to "enabled".
	NamespaceGateLabel = "elbv2.k8s.aws/pod-readiness-gate-inject"
	// WebhookPath is where the webhook server serves pod mutations.
	WebhookPath = "/mutate-v1-pod"
	// PodWebhookName is the webhook's name inside the configuration.
	PodWebhookName = "mpod.elbv2.k8s.aws"
	// DefaultWebhookConfigurationName names the MutatingWebhookConfiguration.
	DefaultWebhookConfigurationName = "albemu-webhook"
	webhookTimeoutSeconds           = 10
)

// GateSource tells the webhook which readiness gates a pod being created in
// namespace with podLabels needs: one per existing ip target group whose
// Service selects the pod.
type GateSource interface {
	GatesFor(namespace string, podLabels map[string]string) ([]corev1.PodConditionType, error)
}

// Webhook is the pod mutating admission webhook that injects readiness gates.
type Webhook struct {
	gates GateSource
	log   *slog.Logger
}

// NewWebhook builds the webhook handler.
func NewWebhook(gates GateSource, log *slog.Logger) *Webhook {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Webhook{gates: gates, log: log}
}

// ServeHTTP decodes an admission.k8s.io/v1 AdmissionReview and answers it.
func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST an AdmissionReview", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
		http.Error(w, fmt.Sprintf("not an AdmissionReview: %v", err), http.StatusBadRequest)
		return
	}
	out, err := json.Marshal(h.Review(&review))
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}

// Review answers one AdmissionReview: it allows every request and, for a pod
// CREATE, adds the missing readiness gates as a JSONPatch.
func (h *Webhook) Review(in *admissionv1.AdmissionReview) *admissionv1.AdmissionReview {
	req := in.Request
	resp := &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true}
	out := &admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Response: resp,
	}
	if req.Operation != admissionv1.Create || req.Kind.Kind != "Pod" || req.Kind.Group != "" {
		return out
	}
	var pod corev1.Pod
	if err := json.Unmarshal(req.Object.Raw, &pod); err != nil {
		resp.Allowed = false
		resp.Result = &metav1.Status{Code: http.StatusBadRequest, Message: "decode pod: " + err.Error()}
		return out
	}
	// The pod's namespace may be empty in the object; the request has it
	// (kubernetes/kubernetes#88282).
	gates, err := h.gates.GatesFor(req.Namespace, pod.Labels)
	if err != nil {
		resp.Allowed = false
		resp.Result = &metav1.Status{Code: http.StatusInternalServerError, Message: "unable to determine targetHealth readinessGates: " + err.Error()}
		return out
	}
	patch := ReadinessGatePatch(&pod, gates)
	if len(patch) == 0 {
		return out
	}
	raw, err := json.Marshal(patch)
	if err != nil {
		resp.Allowed = false
		resp.Result = &metav1.Status{Code: http.StatusInternalServerError, Message: "encode patch: " + err.Error()}
		return out
	}
	pt := admissionv1.PatchTypeJSONPatch
	resp.Patch, resp.PatchType = raw, &pt
	h.log.Info("readiness gates injected", "namespace", req.Namespace, "pod", podDisplayName(&pod), "gates", gates)
	return out
}

func podDisplayName(p *corev1.Pod) string {
	if p.Name != "" {
		return p.Name
	}
	return p.GenerateName + "*"
}

// PatchOp is one RFC 6902 JSON Patch operation.
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// ReadinessGatePatch returns the JSON Patch adding every gate pod lacks;
// empty when it has them all.
func ReadinessGatePatch(pod *corev1.Pod, gates []corev1.PodConditionType) []PatchOp {
	have := map[corev1.PodConditionType]bool{}
	for _, g := range pod.Spec.ReadinessGates {
		have[g.ConditionType] = true
	}
	var missing []corev1.PodReadinessGate
	for _, g := range gates {
		if !have[g] {
			have[g] = true
			missing = append(missing, corev1.PodReadinessGate{ConditionType: g})
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if len(pod.Spec.ReadinessGates) == 0 {
		return []PatchOp{{Op: "add", Path: "/spec/readinessGates", Value: missing}}
	}
	ops := make([]PatchOp, 0, len(missing))
	for _, g := range missing {
		ops = append(ops, PatchOp{Op: "add", Path: "/spec/readinessGates/-", Value: g})
	}
	return ops
}

// WebhookConfiguration builds the MutatingWebhookConfiguration that sends pod
// CREATEs in labelled namespaces to url, trusting caPEM.
func WebhookConfiguration(name, url string, caPEM []byte, policy admissionregistrationv1.FailurePolicyType) *admissionregistrationv1.MutatingWebhookConfiguration {
	sideEffects := admissionregistrationv1.SideEffectClassNone
	scope := admissionregistrationv1.NamespacedScope
	matchPolicy := admissionregistrationv1.Equivalent
	reinvocation := admissionregistrationv1.NeverReinvocationPolicy
	timeout := int32(webhookTimeoutSeconds)
	return &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app.kubernetes.io/managed-by": "albemu"}},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:         PodWebhookName,
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caPEM},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule: admissionregistrationv1.Rule{
					APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}, Scope: &scope,
				},
			}},
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{NamespaceGateLabel: "enabled"}},
			FailurePolicy:           &policy,
			MatchPolicy:             &matchPolicy,
			SideEffects:             &sideEffects,
			TimeoutSeconds:          &timeout,
			AdmissionReviewVersions: []string{"v1"},
			ReinvocationPolicy:      &reinvocation,
		}},
	}
}

// EnsureWebhookConfiguration creates cfg, or replaces the webhooks of the
// existing configuration of that name.
func EnsureWebhookConfiguration(ctx context.Context, client kubernetes.Interface, cfg *admissionregistrationv1.MutatingWebhookConfiguration) error {
	api := client.AdmissionregistrationV1().MutatingWebhookConfigurations()
	existing, err := api.Get(ctx, cfg.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		if _, err := api.Create(ctx, cfg, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create MutatingWebhookConfiguration %s: %w", cfg.Name, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("get MutatingWebhookConfiguration %s: %w", cfg.Name, err)
	}
	updated := existing.DeepCopy()
	updated.Webhooks = cfg.Webhooks
	if updated.Labels == nil {
		updated.Labels = map[string]string{}
	}
	for k, v := range cfg.Labels {
		updated.Labels[k] = v
	}
	if _, err := api.Update(ctx, updated, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update MutatingWebhookConfiguration %s: %w", cfg.Name, err)
	}
	return nil
}

// DeleteWebhookConfiguration removes the configuration; absent is fine.
func DeleteWebhookConfiguration(ctx context.Context, client kubernetes.Interface, name string) error {
	err := client.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete MutatingWebhookConfiguration %s: %w", name, err)
	}
	return nil
}
