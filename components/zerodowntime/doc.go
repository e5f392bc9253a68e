// Package zerodowntime provides ZeroDowntimeApp, a Pulumi component that deploys
// an HTTP application on Kubernetes behind an AWS Application Load Balancer
// (through the AWS Load Balancer Controller) so that rolling updates drop no
// requests.
//
// Three mechanisms cause 5xx during a rolling update behind an ALB; the
// component closes each by construction:
//
//  1. Traffic reaching a pod that is still booting: distinct startup,
//     readiness and liveness probes, and an ALB health check on the readiness
//     path.
//  2. SIGTERM racing endpoint removal: a native preStop sleep long enough for
//     the endpoint change to reach kube-proxy and the ALB, then a grace period
//     that covers the app's drain of in-flight requests.
//  3. ALB target groups lagging behind Kubernetes: target-type ip and LBC pod
//     readiness gates, so a new pod counts as Ready only once the ALB reports
//     it healthy, with the Service and Ingress created before the pods.
//
// Every number involved comes from one timing model (see Derive in timing.go)
// computed from inputs a team knows: worst-case boot time, longest request,
// and how fast the ALB should notice health changes.
//
// The claim is measured, not assumed: the repository's lab (lab/, `make
// lab`, asserted by TestLabEndToEnd in `make test`) rolls this component
// under open-loop load on a real Kubernetes behind an emulated ALB and counts
// every failed request; the README shows the measured table. The ALB itself
// is emulated there, so the AWS-side timings are settings with cited sources.
//
// # Requirements on the cluster
//
// The namespace passed in Args.Namespace must carry the label
// `elbv2.k8s.aws/pod-readiness-gate-inject: enabled`, and the AWS Load
// Balancer Controller must be running before the component's objects are
// created (pass the controller's Helm release in Args.DependsOn). Without the
// label the LBC injects no readiness gate and mechanism 3 stays open; without
// a running controller its admission webhooks reject the Service and Ingress.
package zerodowntime
