//go:build tools

// Package deps pins modules that the repository's packages import while they
// are being written, so that `go mod tidy` keeps them. It is never compiled.
package deps

import (
	_ "github.com/google/go-containerregistry/pkg/v1/layout"
	_ "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	_ "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	_ "github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	_ "github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	_ "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	_ "github.com/pulumi/pulumi/sdk/v3/go/auto"
	_ "github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	_ "github.com/tsenart/vegeta/v12/lib"
	_ "k8s.io/client-go/kubernetes"
	_ "sigs.k8s.io/controller-runtime"
	_ "sigs.k8s.io/yaml"
)
