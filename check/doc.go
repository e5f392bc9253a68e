// Package check finds the zero-downtime failure windows in Kubernetes
// manifests and predicts what each costs during a rollout.
//
// Objects are grouped into apps (a Deployment, the Services whose selector
// matches its pod template, the Ingresses and TargetGroupBindings routing to
// those Services, its Namespace, PodDisruptionBudgets and
// HorizontalPodAutoscalers). Each check is a small named function in the
// registry (registry.go); each finding names the failure mechanism, the object
// and field, why, the fix, and the failures it predicts per path.
//
// Every number comes from the ZeroDowntimeApp timing model
// (components/zerodowntime/timing.go); the inputs the manifests cannot tell
// (boot time, longest request, the ALB's propagation allowance) come from
// Options or from zdt.dev/... annotations on the Deployment.
package check
