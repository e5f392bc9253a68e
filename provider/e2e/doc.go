// Package e2e runs examples/yaml through the real Pulumi engine with the
// plugin pulumi-resource-zdt and the YAML language host, without a cluster
// (the kubernetes provider's render mode), and compares what it declares
// with the Go component's objects for the same inputs. Its tests carry the
// build tag e2e: `make yaml-render-check` builds the tools and runs them.
package e2e
