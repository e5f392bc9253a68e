package infra

import (
	"fmt"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// vpcCNIAddon is the EKS add-on name of the Amazon VPC CNI.
const vpcCNIAddon = "vpc-cni"

// newVPCCNIAddon makes the VPC CNI an EKS-managed add-on, at the add-on's
// default version for the cluster's Kubernetes version (so a
// kubernetesVersion bump upgrades it too). pulumi-eks's own CNI manifest
// (v1.16, applied with kubectl) is off (useDefaultVpcCni); EKS installs
// the CNI when it creates the cluster and the add-on takes it over
// (resolveConflictsOnCreate OVERWRITE). Nodes are created after it.
func newVPCCNIAddon(ctx *pulumi.Context, cfg Config, cluster pulumi.Resource) (*awseks.Addon, error) {
	version := awseks.GetAddonVersionOutput(ctx, awseks.GetAddonVersionOutputArgs{
		AddonName:         pulumi.String(vpcCNIAddon),
		KubernetesVersion: pulumi.String(cfg.KubernetesVersion),
		MostRecent:        pulumi.Bool(false), // the version EKS recommends, not the newest
	})
	addon, err := awseks.NewAddon(ctx, vpcCNIAddon, &awseks.AddonArgs{
		// The fixed name set on the cluster; the dependency orders it.
		ClusterName:              pulumi.String(cfg.ClusterName),
		AddonName:                pulumi.String(vpcCNIAddon),
		AddonVersion:             version.Version(),
		ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
		ResolveConflictsOnUpdate: pulumi.String("OVERWRITE"),
	}, pulumi.DependsOn([]pulumi.Resource{cluster}))
	if err != nil {
		return nil, fmt.Errorf("cluster: vpc-cni add-on: %w", err)
	}
	return addon, nil
}
