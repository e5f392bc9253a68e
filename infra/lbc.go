package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The AWS Load Balancer Controller release. The chart version and the IAM
// policy in lbc_policy.go move together.
const (
	LBCChart          = "aws-load-balancer-controller"
	LBCChartVersion   = "3.5.0"
	LBCChartRepo      = "https://aws.github.io/eks-charts"
	LBCNamespace      = "kube-system"
	LBCReleaseName    = "aws-load-balancer-controller"
	LBCServiceAccount = "aws-load-balancer-controller"
	// lbcReleaseTimeoutSeconds bounds the wait for the controller's pods
	// (and so its webhooks) to be ready.
	lbcReleaseTimeoutSeconds = 600
)

// irsaAnnotation binds a ServiceAccount to an IAM role (IRSA).
const irsaAnnotation = "eks.amazonaws.com/role-arn"

// LBC is the installed controller; its Release is what the namespace and
// the app depend on.
type LBC struct {
	Role    *iam.Role
	Release *helmv3.Release
}

// newLBC creates the controller's IAM policy and IRSA role and installs the
// chart, waiting until the controller's pods are ready so its admission
// webhooks serve before anything that needs them is created.
func newLBC(ctx *pulumi.Context, cfg Config, net *Network, cl *Cluster) (*LBC, error) {
	wrap := func(what string, err error) error { return fmt.Errorf("load balancer controller: %s: %w", what, err) }

	policy, err := iam.NewPolicy(ctx, "lbc", &iam.PolicyArgs{
		Description: pulumi.String("AWS Load Balancer Controller " + LBCChartVersion + " of " + cfg.ClusterName),
		Policy:      pulumi.String(LBCPolicyJSON()),
	})
	if err != nil {
		return nil, wrap("policy", err)
	}
	role, err := iam.NewRole(ctx, "lbc", &iam.RoleArgs{
		Description: pulumi.String("IRSA role of " + LBCNamespace + "/" + LBCServiceAccount + " in " + cfg.ClusterName),
		AssumeRolePolicy: pulumi.All(cl.OIDCProviderArn, cl.OIDCIssuer).ApplyT(func(v []any) string {
			return irsaTrustPolicy(v[0].(string), v[1].(string), LBCNamespace, LBCServiceAccount)
		}).(pulumi.StringOutput),
	})
	if err != nil {
		return nil, wrap("role", err)
	}
	attachment, err := iam.NewRolePolicyAttachment(ctx, "lbc", &iam.RolePolicyAttachmentArgs{
		Role: role.Name, PolicyArn: policy.Arn,
	})
	if err != nil {
		return nil, wrap("policy attachment", err)
	}

	release, err := helmv3.NewRelease(ctx, "aws-load-balancer-controller", &helmv3.ReleaseArgs{
		// A fixed name: an unnamed release gets a random suffix, which
		// changes the chart's fullname and the webhook Service name.
		Name:      pulumi.String(LBCReleaseName),
		Namespace: pulumi.String(LBCNamespace),
		Chart:     pulumi.String(LBCChart),
		Version:   pulumi.String(LBCChartVersion),
		RepositoryOpts: &helmv3.RepositoryOptsArgs{
			Repo: pulumi.String(LBCChartRepo),
		},
		Values: lbcValues(cfg, net.VpcID, role.Arn),
		// helm --wait (SkipAwait false): the release is created only when
		// the controller Deployment is ready, i.e. its webhooks serve.
		SkipAwait:     pulumi.Bool(false),
		WaitForJobs:   pulumi.Bool(true),
		Atomic:        pulumi.Bool(true), // a failed install/upgrade rolls back instead of leaving half a controller
		CleanupOnFail: pulumi.Bool(true),
		Timeout:       pulumi.Int(lbcReleaseTimeoutSeconds),
	}, pulumi.Provider(cl.Provider),
		// Pods need nodes to run on and the role's permissions to reconcile.
		pulumi.DependsOn([]pulumi.Resource{cl.NodeGroup, attachment}))
	if err != nil {
		return nil, wrap("helm release", err)
	}
	return &LBC{Role: role, Release: release}, nil
}

// lbcValues are the chart values (helm/aws-load-balancer-controller/values.yaml
// of v3.5.0).
//
// The pod mutator webhook (mpod.elbv2.k8s.aws) injects the readiness gates.
// Its default failurePolicy Ignore lets a pod created while the controller is
// down start WITHOUT a gate, silently reopening the ALB race. With Fail, such
// a pod is rejected and the ReplicaSet retries until the controller serves.
// The scope of Fail is already narrow in this chart version: its
// namespaceSelector matches only namespaces labelled
// elbv2.k8s.aws/pod-readiness-gate-inject=enabled (webhookNamespaceSelectors
// unset), and its built-in objectSelector excludes the controller's own pods
// (app.kubernetes.io/name NotIn [aws-load-balancer-controller]), so the
// controller can always start. The chart has no podMutatorWebhookConfig
// objectSelector key; the top-level objectSelector would narrow it further
// and is left unset on purpose: every pod in a labelled namespace gets a gate.
func lbcValues(cfg Config, vpcID, roleArn pulumi.StringInput) pulumi.Map {
	return pulumi.Map{
		"clusterName":  pulumi.String(cfg.ClusterName),
		"region":       pulumi.String(cfg.Region), // IMDS may be unreachable from pods (hop limit)
		"vpcId":        vpcID,
		"replicaCount": pulumi.Int(2), // two webhook endpoints: one pod can move while the other serves
		"serviceAccount": pulumi.Map{
			"create": pulumi.Bool(true),
			"name":   pulumi.String(LBCServiceAccount), // fixed: the IRSA trust names it
			"annotations": pulumi.Map{
				irsaAnnotation: roleArn,
			},
		},
		// Reuse the webhook TLS secret on upgrades; otherwise every render
		// generates a new certificate and every preview shows a diff.
		"keepTLSSecret": pulumi.Bool(true),
		"podMutatorWebhookConfig": pulumi.Map{
			"failurePolicy": pulumi.String("Fail"),
		},
	}
}

// irsaTrustPolicy lets exactly one Kubernetes ServiceAccount assume the role
// through the cluster's OIDC provider, and only with tokens for STS.
func irsaTrustPolicy(providerArn, issuer, namespace, serviceAccount string) string {
	return mustJSON(policyDocument{
		Version: iamPolicyVersion,
		Statement: []statement{{
			Effect:    "Allow",
			Principal: map[string]any{"Federated": providerArn},
			Action:    []string{"sts:AssumeRoleWithWebIdentity"},
			Condition: conditions{"StringEquals": {
				issuer + ":sub": "system:serviceaccount:" + namespace + ":" + serviceAccount,
				issuer + ":aud": "sts.amazonaws.com",
			}},
		}},
	})
}
