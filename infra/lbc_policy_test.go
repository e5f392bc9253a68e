package infra

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestLBCPolicyDocument(t *testing.T) {
	var doc struct {
		Version   string
		Statement []struct {
			Effect    string
			Action    []string
			Resource  any
			Condition map[string]map[string]any
		}
	}
	raw := LBCPolicyJSON()
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatalf("policy is not valid JSON: %v", err)
	}
	if doc.Version != "2012-10-17" {
		t.Errorf("Version = %q", doc.Version)
	}
	if len(doc.Statement) != 16 {
		t.Fatalf("%d statements, want the 16 of upstream v3.5.0", len(doc.Statement))
	}
	actions, requestTag, resourceTag := 0, 0, 0
	for i, st := range doc.Statement {
		if st.Effect != "Allow" || len(st.Action) == 0 || st.Resource == nil {
			t.Errorf("statement %d incomplete: %+v", i+1, st)
		}
		actions += len(st.Action)
		for _, keys := range st.Condition {
			for k := range keys {
				switch k {
				case requestTagCluster:
					requestTag++
				case resourceTagCluster:
					resourceTag++
				}
			}
		}
	}
	// Fingerprint of upstream docs/install/iam_policy.json (v2.13.0..v3.5.0).
	if actions != 86 || requestTag != 5 || resourceTag != 4 {
		t.Errorf("actions=%d requestTag conditions=%d resourceTag conditions=%d, want 86/5/4", actions, requestTag, resourceTag)
	}
	for _, want := range []string{
		`"Null":{"aws:RequestTag/elbv2.k8s.aws/cluster":"false"}`,
		`"aws:RequestTag/elbv2.k8s.aws/cluster":"true","aws:ResourceTag/elbv2.k8s.aws/cluster":"false"`,
		`"StringEquals":{"iam:AWSServiceName":"elasticloadbalancing.amazonaws.com"}`,
		`"elasticloadbalancing:CreateAction":["CreateTargetGroup","CreateLoadBalancer"]`,
	} {
		if !strings.Contains(raw, want) {
			t.Errorf("policy lacks %s", want)
		}
	}
}

func TestIRSATrustPolicyIsScopedToOneServiceAccount(t *testing.T) {
	got := irsaTrustPolicy("arn:aws:iam::111122223333:oidc-provider/oidc.example/id/X", oidcIssuer("https://oidc.example/id/X"), "kube-system", "aws-load-balancer-controller")
	want := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.example/id/X"},` +
		`"Action":["sts:AssumeRoleWithWebIdentity"],"Condition":{"StringEquals":{"oidc.example/id/X:aud":"sts.amazonaws.com",` +
		`"oidc.example/id/X:sub":"system:serviceaccount:kube-system:aws-load-balancer-controller"}}}]}`
	if got != want {
		t.Errorf("trust policy:\n got %s\nwant %s", got, want)
	}
}
