package infra

import (
	"encoding/json"
	"fmt"
	"strings"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// nodePolicyArns are the AWS managed policies an EKS worker node needs:
// join the cluster, run the VPC CNI, pull from ECR.
var nodePolicyArns = []string{
	"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
	"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
	"arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
}

// Cluster is the EKS cluster, its nodes and the one Kubernetes provider
// every Kubernetes resource of the program uses.
type Cluster struct {
	Name      string
	EKS       *eks.Cluster
	VPCCNI    *awseks.Addon
	NodeGroup *eks.ManagedNodeGroup
	// Provider talks to the cluster through the kubeconfig pulumi-eks
	// generates (it runs `aws eks get-token`).
	Provider *kubernetes.Provider
	// Kubeconfig is the cluster's kubeconfig as JSON, marked secret.
	Kubeconfig pulumi.StringOutput
	// OIDCProviderArn and OIDCIssuer (host and path, no https://) are what
	// an IRSA trust policy refers to.
	OIDCProviderArn pulumi.StringOutput
	OIDCIssuer      pulumi.StringOutput
}

// newCluster creates the EKS control plane with an IAM OIDC provider (for
// IRSA), the config's access entries and no default node group, the VPC CNI
// as an EKS add-on, then a managed node group in the private subnets, and
// the Kubernetes provider from the cluster's kubeconfig.
func newCluster(ctx *pulumi.Context, cfg Config, net *Network) (*Cluster, error) {
	wrap := func(what string, err error) error { return fmt.Errorf("cluster: %s: %w", what, err) }

	nodeRole, err := iam.NewRole(ctx, "node-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(mustJSON(policyDocument{
			Version: iamPolicyVersion,
			Statement: []statement{{
				Effect:    "Allow",
				Principal: map[string]any{"Service": "ec2.amazonaws.com"},
				Action:    []string{"sts:AssumeRole"},
			}},
		})),
		Description: pulumi.String("EKS managed node group of " + cfg.ClusterName),
	})
	if err != nil {
		return nil, wrap("node role", err)
	}
	nodeDeps := append([]pulumi.Resource{}, net.Ready...)
	for i, arn := range nodePolicyArns {
		att, err := iam.NewRolePolicyAttachment(ctx, fmt.Sprintf("node-role-%d", i), &iam.RolePolicyAttachmentArgs{
			Role: nodeRole.Name, PolicyArn: pulumi.String(arn),
		})
		if err != nil {
			return nil, wrap("node role policy", err)
		}
		nodeDeps = append(nodeDeps, att)
	}

	skipDefaultNodeGroup := true
	useDefaultVpcCni := true              // no pulumi-eks CNI manifest: the EKS add-on below
	authMode := eks.AuthenticationModeApi // access entries; no aws-auth ConfigMap to manage
	cluster, err := eks.NewCluster(ctx, cfg.ClusterName, &eks.ClusterArgs{
		Name:                  pulumi.String(cfg.ClusterName),
		Version:               pulumi.String(cfg.KubernetesVersion),
		VpcId:                 net.VpcID,
		PublicSubnetIds:       net.PublicSubnetIDs,
		PrivateSubnetIds:      net.PrivateSubnetIDs,
		CreateOidcProvider:    pulumi.Bool(true),
		SkipDefaultNodeGroup:  &skipDefaultNodeGroup,
		UseDefaultVpcCni:      &useDefaultVpcCni,
		AuthenticationMode:    &authMode,
		AccessEntries:         accessEntries(cfg),
		EndpointPrivateAccess: pulumi.Bool(true),
		EndpointPublicAccess:  pulumi.Bool(true),
	})
	if err != nil {
		return nil, wrap("eks", err)
	}
	cni, err := newVPCCNIAddon(ctx, cfg, cluster)
	if err != nil {
		return nil, err
	}
	nodeDeps = append(nodeDeps, cni)

	nodeGroup, err := eks.NewManagedNodeGroup(ctx, cfg.ClusterName+"-nodes", &eks.ManagedNodeGroupArgs{
		Cluster:       cluster,
		NodeRole:      nodeRole,
		SubnetIds:     net.PrivateSubnetIDs,
		InstanceTypes: pulumi.ToStringArray(cfg.NodeInstanceTypes),
		ScalingConfig: &awseks.NodeGroupScalingConfigArgs{
			MinSize:     pulumi.Int(cfg.NodeMinSize),
			DesiredSize: pulumi.Int(cfg.NodeDesiredSize),
			MaxSize:     pulumi.Int(cfg.NodeMaxSize),
		},
	}, pulumi.DependsOn(nodeDeps))
	if err != nil {
		return nil, wrap("managed node group", err)
	}

	// One provider, built at the top level from the cluster's output: a
	// provider created inside an ApplyT would be invisible to preview.
	provider, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{
		Kubeconfig: cluster.KubeconfigJson,
	})
	if err != nil {
		return nil, wrap("kubernetes provider", err)
	}

	oidc := cluster.Core.OidcProvider()
	return &Cluster{
		Name:            cfg.ClusterName,
		EKS:             cluster,
		VPCCNI:          cni,
		NodeGroup:       nodeGroup,
		Provider:        provider,
		Kubeconfig:      pulumi.ToSecret(cluster.KubeconfigJson).(pulumi.StringOutput),
		OIDCProviderArn: oidc.Arn(),
		OIDCIssuer:      oidc.Url().ApplyT(oidcIssuer).(pulumi.StringOutput),
	}, nil
}

// oidcIssuer strips the scheme from an OIDC provider URL: IAM condition
// keys are "<host>/<path>:sub", never "https://...".
func oidcIssuer(url string) string {
	return strings.TrimPrefix(strings.TrimPrefix(url, "https://"), "http://")
}

// mustJSON marshals data built from Go literals; failure is a programming
// error.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("infra: marshalling %T: %v", v, err))
	}
	return string(b)
}
