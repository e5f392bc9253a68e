package scenario

// Fault is what a fault scenario observed beside the load: the evictions a
// drain made, or what happened while the emulated LBC was down. The e2e
// test asserts on it, so that a fault that was never exercised cannot pass
// as survived.
type Fault struct {
	// Evicted counts the pods evicted through the Eviction API;
	// EvictionsRefused the eviction requests the PodDisruptionBudget refused
	// (429 Too Many Requests), each retried as kubectl drain does.
	Evicted          int `json:"evicted,omitempty"`
	EvictionsRefused int `json:"evictionsRefused,omitempty"`

	// WebhookFailurePolicy is the pod webhook's failurePolicy while the LBC
	// was down; LBCDownSeconds how long it was down.
	WebhookFailurePolicy string  `json:"webhookFailurePolicy,omitempty"`
	LBCDownSeconds       float64 `json:"lbcDownSeconds,omitempty"`
	// PodsCreated counts the app's pods created while the LBC was down;
	// PodsWithoutGate those among them with no readiness gate.
	PodsCreated     int `json:"podsCreated"`
	PodsWithoutGate int `json:"podsWithoutGate"`
	// CreateRefused is the new ReplicaSet's ReplicaFailure condition
	// message (reason FailedCreate) at the end of the outage: why the
	// apiserver refused its pods; empty when it refused none.
	CreateRefused string `json:"createRefused,omitempty"`
}
