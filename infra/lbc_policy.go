package infra

import "encoding/json"

// iamPolicyVersion is the IAM policy language version.
const iamPolicyVersion = "2012-10-17"

// policyDocument is an IAM policy or trust policy.
type policyDocument struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

// statement is one IAM policy statement. Action is always a list and
// Resource a string when single, as upstream writes them.
type statement struct {
	Effect    string         `json:"Effect"`
	Principal map[string]any `json:"Principal,omitempty"`
	Action    []string       `json:"Action"`
	Resource  list           `json:"Resource,omitempty"`
	Condition conditions     `json:"Condition,omitempty"`
}

// conditions maps an operator (StringEquals, Null, ...) to condition keys
// and their value (a string or a list of strings).
type conditions map[string]map[string]any

// list is a string list that marshals a single element as a plain string,
// the way IAM documents are usually written.
type list []string

// MarshalJSON implements json.Marshaler.
func (l list) MarshalJSON() ([]byte, error) {
	if len(l) == 1 {
		return json.Marshal(l[0])
	}
	return json.Marshal([]string(l))
}

// Condition keys on the tag the controller puts on everything it creates;
// they confine its write access to its own load balancers, target groups
// and security groups.
const (
	requestTagCluster  = "aws:RequestTag/elbv2.k8s.aws/cluster"
	resourceTagCluster = "aws:ResourceTag/elbv2.k8s.aws/cluster"
)

// ARN patterns of ELBv2 resources and EC2 security groups.
const (
	arnSecurityGroup   = "arn:aws:ec2:*:*:security-group/*"
	arnTargetGroup     = "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*"
	arnNLB             = "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*"
	arnALB             = "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*"
	arnNLBListener     = "arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*"
	arnALBListener     = "arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*"
	arnNLBListenerRule = "arn:aws:elasticloadbalancing:*:*:listener-rule/net/*/*/*"
	arnALBListenerRule = "arn:aws:elasticloadbalancing:*:*:listener-rule/app/*/*/*"
)

// lbcPolicy is the IAM policy of the AWS Load Balancer Controller: the 16
// statements of upstream docs/install/iam_policy.json (unchanged from
// v2.13.0 to v3.5.0), written as Go data so that a review sees each grant
// and its condition. Keep it in step with the controller version in lbc.go.
func lbcPolicy() policyDocument {
	all := list{"*"}
	return policyDocument{
		Version: iamPolicyVersion,
		Statement: []statement{
			// 1. The ELB service-linked role, created on first use.
			{Effect: "Allow", Action: []string{"iam:CreateServiceLinkedRole"}, Resource: all,
				Condition: conditions{"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}},
			// 2. Read-only discovery of the network and of load balancers.
			{Effect: "Allow", Resource: all, Action: []string{
				"ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
				"ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections",
				"ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
				"ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:GetCoipPoolUsage",
				"ec2:DescribeCoipPools", "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools",
				"ec2:DescribeRouteTables",
				"elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
				"elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerCertificates",
				"elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeRules",
				"elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes",
				"elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTags",
				"elasticloadbalancing:DescribeTrustStores", "elasticloadbalancing:DescribeListenerAttributes",
				"elasticloadbalancing:DescribeCapacityReservation",
			}},
			// 3. Certificates, Cognito, WAF and Shield integrations.
			{Effect: "Allow", Resource: all, Action: []string{
				"cognito-idp:DescribeUserPoolClient", "acm:ListCertificates", "acm:DescribeCertificate",
				"iam:ListServerCertificates", "iam:GetServerCertificate",
				"waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL",
				"waf-regional:DisassociateWebACL",
				"wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL",
				"shield:GetSubscriptionState", "shield:DescribeProtection", "shield:CreateProtection",
				"shield:DeleteProtection",
			}},
			// 4. Security group rules (node/pod security groups it opens to the ALB).
			{Effect: "Allow", Resource: all, Action: []string{"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"}},
			// 5. Create security groups for load balancers.
			{Effect: "Allow", Resource: all, Action: []string{"ec2:CreateSecurityGroup"}},
			// 6. Tag a security group at creation, only with the cluster tag.
			{Effect: "Allow", Resource: list{arnSecurityGroup}, Action: []string{"ec2:CreateTags"},
				Condition: conditions{
					"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"},
					"Null":         {requestTagCluster: "false"},
				}},
			// 7. Retag only its own security groups, never removing the cluster tag.
			{Effect: "Allow", Resource: list{arnSecurityGroup}, Action: []string{"ec2:CreateTags", "ec2:DeleteTags"},
				Condition: conditions{"Null": {requestTagCluster: "true", resourceTagCluster: "false"}}},
			// 8. Change or delete only its own security groups.
			{Effect: "Allow", Resource: all,
				Action:    []string{"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"},
				Condition: conditions{"Null": {resourceTagCluster: "false"}}},
			// 9. Create load balancers and target groups only with the cluster tag.
			{Effect: "Allow", Resource: all,
				Action:    []string{"elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"},
				Condition: conditions{"Null": {requestTagCluster: "false"}}},
			// 10. Listeners and rules.
			{Effect: "Allow", Resource: all, Action: []string{
				"elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
				"elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule",
			}},
			// 11. Retag only its own load balancers and target groups.
			{Effect: "Allow", Resource: list{arnTargetGroup, arnNLB, arnALB},
				Action:    []string{"elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"},
				Condition: conditions{"Null": {requestTagCluster: "true", resourceTagCluster: "false"}}},
			// 12. Tag listeners and rules.
			{Effect: "Allow", Resource: list{arnNLBListener, arnALBListener, arnNLBListenerRule, arnALBListenerRule},
				Action: []string{"elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"}},
			// 13. Modify or delete only its own load balancers and target groups.
			{Effect: "Allow", Resource: all, Action: []string{
				"elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
				"elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
				"elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
				"elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
				"elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:ModifyCapacityReservation",
				"elasticloadbalancing:ModifyIpPools",
			}, Condition: conditions{"Null": {resourceTagCluster: "false"}}},
			// 14. Tag load balancers and target groups at creation.
			{Effect: "Allow", Resource: list{arnTargetGroup, arnNLB, arnALB}, Action: []string{"elasticloadbalancing:AddTags"},
				Condition: conditions{
					"StringEquals": {"elasticloadbalancing:CreateAction": []string{"CreateTargetGroup", "CreateLoadBalancer"}},
					"Null":         {requestTagCluster: "false"},
				}},
			// 15. Register and deregister targets (the pods, with target-type ip).
			{Effect: "Allow", Resource: list{arnTargetGroup},
				Action: []string{"elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"}},
			// 16. Listener, rule, certificate and WAF changes.
			{Effect: "Allow", Resource: all, Action: []string{
				"elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyListener",
				"elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates",
				"elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities",
			}},
		},
	}
}

// LBCPolicyJSON is the controller's IAM policy document as JSON.
func LBCPolicyJSON() string { return mustJSON(lbcPolicy()) }
