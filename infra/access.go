package infra

import (
	"regexp"
	"strings"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// accessScopeCluster scopes an access policy to the whole cluster.
const accessScopeCluster = "cluster"

// accessEntries are the EKS access entries of the config's principals
// (zdt:adminPrincipalArns, zdt:readOnlyPrincipalArns), for pulumi-eks's
// accessEntries. With authenticationMode API only access entries grant
// access; pulumi-eks v2.8.1 also sets bootstrapClusterCreatorAdminPermissions,
// so the identity that creates the cluster is admin without an entry (and
// must not be listed: EKS allows one entry per principal).
//
// Each entry is keyed by its principal, not by its position, so reordering
// or moving a principal between the lists never replaces an entry (a
// replacement would create the new entry while the old one still exists,
// which EKS refuses).
func accessEntries(cfg Config) map[string]eks.AccessEntryArgs {
	entries := map[string]eks.AccessEntryArgs{}
	for _, l := range []struct {
		arns      []string
		policyKey string
		policyArn string
	}{
		{cfg.AdminPrincipalArns, "cluster-admin", accessPolicyClusterAdmin},
		{cfg.ReadOnlyPrincipalArns, "admin-view", accessPolicyAdminView},
	} {
		for _, arn := range l.arns {
			entries[accessEntryKey(arn)] = eks.AccessEntryArgs{
				PrincipalArn: pulumi.String(arn),
				AccessPolicies: map[string]eks.AccessPolicyAssociationInput{
					l.policyKey: eks.AccessPolicyAssociationArgs{
						PolicyArn:   pulumi.String(l.policyArn),
						AccessScope: awseks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String(accessScopeCluster)},
					},
				},
			}
		}
	}
	return entries
}

var nonKeyChars = regexp.MustCompile(`[^A-Za-z0-9-]+`)

// accessEntryKey names a principal's entry after its account and name,
// e.g. 210987654321-role-ci-deploy.
func accessEntryKey(arn string) string {
	return nonKeyChars.ReplaceAllString(strings.TrimPrefix(arn, "arn:aws:iam::"), "-")
}
