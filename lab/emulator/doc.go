// Package emulator emulates, on one machine, what the AWS Load Balancer
// Controller (LBC) and an Application Load Balancer (ALB) do for Ingresses of
// class alb with ip targets: target groups per backend Service, target
// registration from EndpointSlices, ALB health checks, deregistration with
// connection draining, pod readiness gates (a real mutating admission webhook
// plus pods/status patches), the Ingress status hostname and an HTTP data
// plane that routes like a listener and only sends new requests to targets
// the emulated ALB would use.
//
// The target-group state machine (TargetGroup) is pure: it is driven by an
// injectable clock and an injectable health-check function, so its timing can
// be tested without a network and without sleeping.
//
// See README.md in this directory for every emulated behaviour, its source and
// what is not emulated.
package emulator
