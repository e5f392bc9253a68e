package infra

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// Stack output names.
const (
	OutputClusterName      = "clusterName"
	OutputKubeconfig       = "kubeconfig"
	OutputNamespace        = "namespace"
	OutputAlbHostname      = "albHostname"
	OutputAppURL           = "appUrl"
	OutputECRRepositoryURL = "ecrRepositoryUrl"
	OutputImage            = "image"
	OutputTiming           = "timing"
)

// outputs are the stack outputs; zero fields (what the platform does not
// create) are not exported.
type outputs struct {
	ClusterName      pulumi.StringOutput
	Kubeconfig       pulumi.StringOutput // secret
	Namespace        pulumi.StringOutput
	AlbHostname      pulumi.StringOutput
	AppURL           pulumi.StringOutput
	ECRRepositoryURL pulumi.StringOutput
	Image            pulumi.StringOutput
	Timing           string
}

func exportOutputs(ctx *pulumi.Context, o outputs) {
	for _, e := range []struct {
		name string
		v    pulumi.StringOutput
	}{
		{OutputClusterName, o.ClusterName},
		{OutputKubeconfig, o.Kubeconfig},
		{OutputNamespace, o.Namespace},
		{OutputAlbHostname, o.AlbHostname},
		{OutputAppURL, o.AppURL},
		{OutputECRRepositoryURL, o.ECRRepositoryURL},
		{OutputImage, o.Image},
	} {
		if e.v.OutputState != nil {
			ctx.Export(e.name, e.v)
		}
	}
	ctx.Export(OutputTiming, pulumi.String(o.Timing))
}
