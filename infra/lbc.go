package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	yamlv2 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/yaml/v2"
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

// lbcCRDFiles are the chart's crds/ files (Helm installs them only on the
// first install and never upgrades them). They are applied from the
// controller's source repository at the tag of the chart version: for the
// 3.x charts the chart version and the controller version (appVersion) are
// the same, and the chart directory there is what the chart repository
// publishes.
var lbcCRDFiles = []string{"crds.yaml", "gateway-crds.yaml"}

// lbcCRDURLs are the URLs of the chart version's CRD files.
func lbcCRDURLs() []string {
	var urls []string
	for _, f := range lbcCRDFiles {
		urls = append(urls, "https://raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/v"+
			LBCChartVersion+"/helm/"+LBCChart+"/crds/"+f)
	}
	return urls
}

// lbcReplicas is the controller's replica count.
const lbcReplicas = 2

// hostnameTopologyKey spreads pods over nodes.
const hostnameTopologyKey = "kubernetes.io/hostname"

// irsaAnnotation binds a ServiceAccount to an IAM role (IRSA).
const irsaAnnotation = "eks.amazonaws.com/role-arn"

// LBC is the installed controller; its Release is what the namespace and
// the app depend on.
type LBC struct {
	Role    *iam.Role
	CRDs    *yamlv2.ConfigGroup
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

	// The CRDs as their own resource, from the chart's version: a chart
	// bump updates them (server-side apply). The release waits for them,
	// so on destroy they go last, after the controller has removed the
	// ALBs and its TargetGroupBindings' finalizers.
	crds, err := yamlv2.NewConfigGroup(ctx, "lbc-crds", &yamlv2.ConfigGroupArgs{
		Files: pulumi.ToStringArray(lbcCRDURLs()),
	}, pulumi.Provider(cl.Provider))
	if err != nil {
		return nil, wrap("CRDs", err)
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
		// The CRDs are lbc-crds above, kept at the chart's version.
		SkipCrds: pulumi.Bool(true),
		// helm --wait (SkipAwait false): the release is created only when
		// the controller Deployment is ready, i.e. its webhooks serve.
		SkipAwait:     pulumi.Bool(false),
		WaitForJobs:   pulumi.Bool(true),
		Atomic:        pulumi.Bool(true), // a failed install/upgrade rolls back instead of leaving half a controller
		CleanupOnFail: pulumi.Bool(true),
		Timeout:       pulumi.Int(lbcReleaseTimeoutSeconds),
	}, pulumi.Provider(cl.Provider),
		// Pods need nodes to run on, the role's permissions to reconcile,
		// and the CRDs to watch.
		pulumi.DependsOn([]pulumi.Resource{cl.NodeGroup, attachment, crds}))
	if err != nil {
		return nil, wrap("helm release", err)
	}
	return &LBC{Role: role, CRDs: crds, Release: release}, nil
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
//
// Fail makes the controller's availability matter: with both replicas
// gone, no pod is created in a labelled namespace (and, through the
// service mutator webhook, also Fail, no Service in the cluster). Hence a
// PodDisruptionBudget (maxUnavailable 1: a drain takes one replica at a
// time) and a required one-replica-per-node anti-affinity (the chart's
// default is only preferred: both replicas could share the node being
// drained). The rolling update replaces one replica at a time without a
// surge pod, which the anti-affinity could not place on a two-node cluster.
func lbcValues(cfg Config, vpcID, roleArn pulumi.StringInput) pulumi.Map {
	return pulumi.Map{
		"clusterName":  pulumi.String(cfg.ClusterName),
		"region":       pulumi.String(cfg.Region), // IMDS may be unreachable from pods (hop limit)
		"vpcId":        vpcID,
		"ingressClass": pulumi.String(cfg.IngressClass), // the class the app's Ingress names
		"replicaCount": pulumi.Int(lbcReplicas),         // two webhook endpoints: one pod can move while the other serves
		"podDisruptionBudget": pulumi.Map{
			"maxUnavailable": pulumi.Int(1),
		},
		"affinity": pulumi.Map{
			"podAntiAffinity": pulumi.Map{
				"requiredDuringSchedulingIgnoredDuringExecution": pulumi.Array{pulumi.Map{
					"labelSelector": pulumi.Map{"matchLabels": pulumi.StringMap{
						"app.kubernetes.io/name":     pulumi.String(LBCChart), // the chart's selector labels
						"app.kubernetes.io/instance": pulumi.String(LBCReleaseName),
					}},
					"topologyKey": pulumi.String(hostnameTopologyKey),
				}},
			},
		},
		"updateStrategy": pulumi.Map{
			"type": pulumi.String("RollingUpdate"),
			"rollingUpdate": pulumi.Map{
				"maxSurge":       pulumi.Int(0),
				"maxUnavailable": pulumi.Int(1),
			},
		},
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
