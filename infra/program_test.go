package infra

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/zdt-eks/zdt/components/zerodowntime"
	"github.com/zdt-eks/zdt/internal/pulumitest"
)

// unsecret unwraps a secret input; ok reports whether v was secret.
func unsecret(v any) (plain any, ok bool) {
	if s, isSecret := v.(*resource.Secret); isSecret {
		return s.Element.Mappable(), true
	}
	return v, false
}

func TestProgramEKSStacks(t *testing.T) {
	tests := []struct {
		stack         string
		cluster       string
		azs           []string
		natGateways   int
		instanceTypes []any
		scaling       map[string]any
		replicas      float64
		url           string
		tls           bool
		overrides     map[string]string
	}{
		{
			stack: "dev", cluster: "zdt-dev", azs: []string{"eu-west-1a", "eu-west-1b"}, natGateways: 1,
			instanceTypes: []any{"t3.medium"},
			scaling:       map[string]any{"minSize": 2.0, "desiredSize": 2.0, "maxSize": 3.0},
			replicas:      2, url: "http://" + mockHostname + "/",
		},
		{
			stack: "prod", cluster: "zdt-prod", azs: []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}, natGateways: 3,
			instanceTypes: []any{"m6i.large"},
			scaling:       map[string]any{"minSize": 3.0, "desiredSize": 3.0, "maxSize": 6.0},
			replicas:      3, url: "https://" + testHost + "/", tls: true,
			// The stack file's documentation values are refused outside
			// render mode (TestPlaceholdersRefused): a team sets its own.
			overrides: map[string]string{"zdt:host": testHost, "zdt:certificateArn": testCertArn},
		},
	}
	for _, tc := range tests {
		t.Run(tc.stack, func(t *testing.T) {
			overrides := map[string]string{
				"zdt:adminPrincipalArns":    `["` + testDeployRole + `"]`,
				"zdt:readOnlyPrincipalArns": `["` + testPreviewRole + `"]`,
			}
			for k, v := range tc.overrides {
				overrides[k] = v
			}
			rec, out := mustRunStack(t, tc.stack, overrides)

			t.Run("network", func(t *testing.T) {
				rec.MustFind(t, typeVpc, "vpc")
				rec.MustFind(t, typeIGW, "igw")
				if got := len(rec.OfType(typeNatGateway)); got != tc.natGateways {
					t.Errorf("NAT gateways = %d, want %d", got, tc.natGateways)
				}
				if got, want := len(rec.OfType(typeRouteTable)), 1+len(tc.azs); got != want {
					t.Errorf("route tables = %d, want %d (one public, one private per AZ)", got, want)
				}
				clusterTag := "kubernetes.io/cluster/" + tc.cluster
				for _, az := range tc.azs {
					for _, sub := range []struct{ name, roleTag string }{
						{"public-" + az, "kubernetes.io/role/elb"},
						{"private-" + az, "kubernetes.io/role/internal-elb"},
					} {
						s := rec.MustFind(t, typeSubnet, sub.name)
						tags := s.MustGet(t, "tags").(map[string]any)
						if tags[sub.roleTag] != "1" || tags[clusterTag] != "shared" {
							t.Errorf("subnet %s tags = %v, want %s=1 and %s=shared", sub.name, tags, sub.roleTag, clusterTag)
						}
						if s.MustGet(t, "availabilityZone") != az {
							t.Errorf("subnet %s in %v, want %s", sub.name, s.MustGet(t, "availabilityZone"), az)
						}
					}
				}
			})

			t.Run("cluster", func(t *testing.T) {
				c := rec.MustFind(t, typeEKSCluster, tc.cluster)
				for path, want := range map[string]any{
					"name": tc.cluster, "version": "1.34", "createOidcProvider": true,
					"skipDefaultNodeGroup": true, "authenticationMode": "API", "vpcId": "vpc-id",
					"useDefaultVpcCni": true, // no pulumi-eks CNI manifest (kubectl apply of v1.16)
				} {
					if got := c.MustGet(t, path); got != want {
						t.Errorf("cluster %s = %v, want %v", path, got, want)
					}
				}
				var private []any
				for _, az := range tc.azs {
					private = append(private, "private-"+az+"-id")
				}
				ng := rec.MustFind(t, typeNodeGroup, tc.cluster+"-nodes")
				if got := ng.MustGet(t, "subnetIds"); !reflect.DeepEqual(got, private) {
					t.Errorf("node group subnets = %v, want the private subnets %v", got, private)
				}
				if got := ng.MustGet(t, "instanceTypes"); !reflect.DeepEqual(got, tc.instanceTypes) {
					t.Errorf("node group instance types = %v, want %v", got, tc.instanceTypes)
				}
				if got := ng.MustGet(t, "scalingConfig"); !reflect.DeepEqual(got, tc.scaling) {
					t.Errorf("node group scaling = %v, want %v", got, tc.scaling)
				}
				if !ng.DependsOn(typeNatGateway, "nat-"+tc.azs[0]) {
					t.Errorf("node group does not wait for the NAT gateway: nodes could not pull images")
				}
				if !ng.DependsOn(typeAddon, "vpc-cni") {
					t.Errorf("node group does not wait for the VPC CNI add-on")
				}
				cni := rec.MustFind(t, typeAddon, "vpc-cni")
				for path, want := range map[string]any{
					"clusterName": tc.cluster, "addonName": "vpc-cni", "addonVersion": mockCNIVersion,
					"resolveConflictsOnCreate": "OVERWRITE", "resolveConflictsOnUpdate": "OVERWRITE",
				} {
					if got := cni.MustGet(t, path); got != want {
						t.Errorf("vpc-cni add-on %s = %v, want %v", path, got, want)
					}
				}
				if !cni.DependsOn(typeEKSCluster, tc.cluster) {
					t.Errorf("vpc-cni add-on does not wait for the cluster")
				}
				assertAccessEntries(t, c)
				p := rec.MustFind(t, typeK8sProvider, "k8s")
				if got := p.MustGet(t, "kubeconfig"); got != mockKubeconfig {
					t.Errorf("kubernetes provider kubeconfig = %v, want the cluster's kubeconfigJson", got)
				}
				if n := len(rec.OfType(typeK8sProvider)); n != 1 {
					t.Errorf("%d kubernetes providers, want exactly one", n)
				}
			})

			t.Run("lbc", func(t *testing.T) {
				role := rec.MustFind(t, typeRole, "lbc")
				var trust policyDocument
				if err := json.Unmarshal([]byte(role.MustGet(t, "assumeRolePolicy").(string)), &trust); err != nil {
					t.Fatalf("trust policy: %v", err)
				}
				if len(trust.Statement) != 1 {
					t.Fatalf("trust policy has %d statements, want 1", len(trust.Statement))
				}
				st := trust.Statement[0]
				if st.Principal["Federated"] != mockOIDCArn || !reflect.DeepEqual(st.Action, []string{"sts:AssumeRoleWithWebIdentity"}) {
					t.Errorf("trust principal/action = %v %v", st.Principal, st.Action)
				}
				wantCond := conditions{"StringEquals": {
					mockOIDCIssuer + ":sub": "system:serviceaccount:kube-system:aws-load-balancer-controller",
					mockOIDCIssuer + ":aud": "sts.amazonaws.com",
				}}
				if !reflect.DeepEqual(st.Condition, wantCond) {
					t.Errorf("trust condition = %v, want exactly %v", st.Condition, wantCond)
				}
				pol := rec.MustFind(t, typePolicy, "lbc")
				if got := pol.MustGet(t, "policy"); got != LBCPolicyJSON() {
					t.Errorf("controller policy is not LBCPolicyJSON()")
				}
				att := rec.MustFind(t, typeAttachment, "lbc")
				if !att.DependsOn(typeRole, "lbc") || !att.DependsOn(typePolicy, "lbc") {
					t.Errorf("policy attachment deps = %v", att.Dependencies)
				}

				rel := rec.MustFind(t, typeRelease, LBCReleaseName)
				for _, c := range []struct {
					path []any
					want any
				}{
					{[]any{"name"}, "aws-load-balancer-controller"},
					{[]any{"namespace"}, "kube-system"},
					{[]any{"chart"}, "aws-load-balancer-controller"},
					{[]any{"version"}, "3.5.0"},
					{[]any{"repositoryOpts", "repo"}, "https://aws.github.io/eks-charts"},
					{[]any{"atomic"}, true},
					{[]any{"skipAwait"}, false},
					{[]any{"waitForJobs"}, true},
					{[]any{"values", "clusterName"}, tc.cluster},
					{[]any{"values", "region"}, "eu-west-1"},
					{[]any{"values", "vpcId"}, "vpc-id"},
					{[]any{"values", "replicaCount"}, 2.0},
					{[]any{"values", "keepTLSSecret"}, true},
					{[]any{"values", "serviceAccount", "create"}, true},
					{[]any{"values", "serviceAccount", "name"}, "aws-load-balancer-controller"},
					{[]any{"values", "serviceAccount", "annotations", "eks.amazonaws.com/role-arn"}, "arn:aws:iam::" + mockAccount + ":role/lbc"},
					{[]any{"values", "podMutatorWebhookConfig", "failurePolicy"}, "Fail"},
					{[]any{"values", "ingressClass"}, "alb"},
					{[]any{"values", "podDisruptionBudget", "maxUnavailable"}, 1.0},
					{[]any{"values", "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", 0, "topologyKey"}, "kubernetes.io/hostname"},
					{[]any{"values", "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", 0, "labelSelector", "matchLabels", "app.kubernetes.io/name"}, "aws-load-balancer-controller"},
					{[]any{"values", "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", 0, "labelSelector", "matchLabels", "app.kubernetes.io/instance"}, "aws-load-balancer-controller"},
					{[]any{"values", "updateStrategy", "rollingUpdate", "maxSurge"}, 0.0},
					{[]any{"values", "updateStrategy", "rollingUpdate", "maxUnavailable"}, 1.0},
					{[]any{"skipCrds"}, true},
				} {
					if got := rel.MustGet(t, c.path...); got != c.want {
						t.Errorf("release %v = %v, want %v", c.path, got, c.want)
					}
				}
				if !rel.UsesProvider(typeK8sProvider, "k8s") {
					t.Errorf("release provider = %q, want the cluster's provider", rel.Provider)
				}
				if !rel.DependsOn(typeNodeGroup, tc.cluster+"-nodes") || !rel.DependsOn(typeAttachment, "lbc") {
					t.Errorf("release must wait for nodes and IAM permissions; deps = %v", rel.Dependencies)
				}
				crds := rec.MustFind(t, typeConfigGroup, "lbc-crds")
				wantFiles := []any{
					"https://raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/v3.5.0/helm/aws-load-balancer-controller/crds/crds.yaml",
					"https://raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/v3.5.0/helm/aws-load-balancer-controller/crds/gateway-crds.yaml",
				}
				if got := crds.MustGet(t, "files"); !reflect.DeepEqual(got, wantFiles) {
					t.Errorf("CRD files = %v, want the chart version's crds/ %v", got, wantFiles)
				}
				if !crds.UsesProvider(typeK8sProvider, "k8s") {
					t.Errorf("CRDs provider = %q", crds.Provider)
				}
				// Created before the controller, deleted after it.
				if !rel.DependsOn(typeConfigGroup, "lbc-crds") {
					t.Errorf("release does not depend on the CRDs; deps = %v", rel.Dependencies)
				}
			})

			t.Run("namespace and app", func(t *testing.T) {
				assertNamespaceAndApp(t, rec, true)
				dep := rec.MustFind(t, typeDeployment, "demo-app")
				if got := dep.MustGet(t, "spec", "replicas"); got != tc.replicas {
					t.Errorf("replicas = %v, want %v", got, tc.replicas)
				}
				c := dep.MustGet(t, "spec", "template", "spec", "containers", 0).(map[string]any)
				if c["image"] != mockRepoDigest {
					t.Errorf("image = %v, want the pushed image by digest %s", c["image"], mockRepoDigest)
				}
				if c["imagePullPolicy"] != "IfNotPresent" {
					t.Errorf("imagePullPolicy = %v", c["imagePullPolicy"])
				}
				ing := rec.MustFind(t, typeIngress, "demo-app")
				ann := ing.MustGet(t, "metadata", "annotations").(map[string]any)
				if ann["alb.ingress.kubernetes.io/scheme"] != "internet-facing" || ann["alb.ingress.kubernetes.io/target-type"] != "ip" {
					t.Errorf("ingress annotations = %v", ann)
				}
				if _, hasCert := ann["alb.ingress.kubernetes.io/certificate-arn"]; hasCert != tc.tls {
					t.Errorf("certificate-arn annotation present = %v, want %v", hasCert, tc.tls)
				}
			})

			t.Run("image", func(t *testing.T) {
				repo := rec.MustFind(t, typeRepository, "app")
				if repo.MustGet(t, "imageScanningConfiguration", "scanOnPush") != true {
					t.Errorf("ECR scan on push is off")
				}
				lc := rec.MustFind(t, typeLifecycle, "app")
				var policy struct {
					Rules []struct {
						Selection struct {
							CountType   string  `json:"countType"`
							CountNumber float64 `json:"countNumber"`
						} `json:"selection"`
					} `json:"rules"`
				}
				if err := json.Unmarshal([]byte(lc.MustGet(t, "policy").(string)), &policy); err != nil {
					t.Fatalf("lifecycle policy: %v", err)
				}
				if len(policy.Rules) != 1 || policy.Rules[0].Selection.CountNumber != 10 || policy.Rules[0].Selection.CountType != "imageCountMoreThan" {
					t.Errorf("lifecycle policy = %+v, want one rule keeping 10 images", policy)
				}
				img := rec.MustFind(t, typeDockerImage, "app")
				for _, c := range []struct {
					path []any
					want any
				}{
					{[]any{"imageName"}, mockRepoURL + ":v1"},
					{[]any{"build", "context"}, "."},
					{[]any{"build", "dockerfile"}, "app/Dockerfile"},
					{[]any{"build", "platform"}, "linux/amd64"},
					{[]any{"build", "args", "VERSION"}, "v1"},
					{[]any{"registry", "server"}, mockRepoURL},
					{[]any{"registry", "username"}, "AWS"},
				} {
					if got := img.MustGet(t, c.path...); got != c.want {
						t.Errorf("image %v = %v, want %v", c.path, got, c.want)
					}
				}
				if pw, secret := unsecret(img.MustGet(t, "registry", "password")); !secret || pw != "mock-ecr-password" {
					t.Errorf("registry password = %v (secret %v), want the ECR token's password as a secret", pw, secret)
				}
			})

			t.Run("outputs", func(t *testing.T) {
				want := map[string]string{
					OutputClusterName:      tc.cluster,
					OutputKubeconfig:       mockKubeconfig,
					OutputNamespace:        "zdt-demo",
					OutputAlbHostname:      mockHostname,
					OutputAppURL:           tc.url,
					OutputECRRepositoryURL: mockRepoURL,
					OutputImage:            mockRepoDigest,
				}
				for k, v := range want {
					if out.values[k] != v {
						t.Errorf("output %s = %q, want %q", k, out.values[k], v)
					}
				}
				if !out.kubeconfigSecret {
					t.Errorf("kubeconfig output is not secret")
				}
				if want := fmt.Sprintf("preStop=%ds", zerodowntime.DefaultDeregistrationPropagationSeconds); !strings.Contains(out.values[OutputTiming], want) {
					t.Errorf("timing = %q, want %s from deregistrationPropagationSeconds", out.values[OutputTiming], want)
				}
			})
		})
	}
}

// Principals and TLS settings of the tests (not documentation values, which
// the program refuses).
const (
	testAccount     = "210987654321"
	testDeployRole  = "arn:aws:iam::" + testAccount + ":role/zdt-deploy"
	testPreviewRole = "arn:aws:iam::" + testAccount + ":role/ci/zdt-preview"
	testHost        = "app.zdt.corp.internal"
	testCertArn     = "arn:aws:acm:eu-west-1:" + testAccount + ":certificate/5f0c5a7e-1b2c-4d3e-8f9a-0b1c2d3e4f5a"
)

// assertAccessEntries checks the cluster's access entries: the deploy role
// cluster-admin, the preview role admin-view (Secrets included), both
// cluster-wide, keyed by principal.
func assertAccessEntries(t *testing.T, c pulumitest.Resource) {
	t.Helper()
	entries, _ := c.MustGet(t, "accessEntries").(map[string]any)
	want := map[string]struct{ principal, policyKey, policy string }{
		"210987654321-role-zdt-deploy":     {testDeployRole, "cluster-admin", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"},
		"210987654321-role-ci-zdt-preview": {testPreviewRole, "admin-view", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"},
	}
	if len(entries) != len(want) {
		t.Errorf("access entries = %v, want %d", entries, len(want))
	}
	for key, w := range want {
		if got := c.MustGet(t, "accessEntries", key, "principalArn"); got != w.principal {
			t.Errorf("access entry %s principal = %v, want %s", key, got, w.principal)
		}
		policies, _ := c.MustGet(t, "accessEntries", key, "accessPolicies").(map[string]any)
		if len(policies) != 1 {
			t.Errorf("access entry %s policies = %v, want exactly %s", key, policies, w.policyKey)
		}
		if got := c.MustGet(t, "accessEntries", key, "accessPolicies", w.policyKey, "policyArn"); got != w.policy {
			t.Errorf("access entry %s policy = %v, want %s", key, got, w.policy)
		}
		if got := c.MustGet(t, "accessEntries", key, "accessPolicies", w.policyKey, "accessScope", "type"); got != "cluster" {
			t.Errorf("access entry %s scope = %v, want cluster", key, got)
		}
	}
}

// assertNamespaceAndApp checks the labelled namespace and the app's
// objects, their provider and their dependency edges. withLBC says whether
// the program installed the controller (eks) or found it (local).
func assertNamespaceAndApp(t *testing.T, rec *pulumitest.Recorder, withLBC bool) {
	t.Helper()
	ns := rec.MustFind(t, typeNamespace, "zdt-demo")
	if got := ns.MustGet(t, "metadata", "labels", zerodowntime.ReadinessGateInjectLabel); got != zerodowntime.ReadinessGateInjectValue {
		t.Errorf("namespace label %s = %v, want %s", zerodowntime.ReadinessGateInjectLabel, got, zerodowntime.ReadinessGateInjectValue)
	}
	if ns.DependsOn(typeRelease, LBCReleaseName) != withLBC {
		t.Errorf("namespace depends on the controller release = %v, want %v", !withLBC, withLBC)
	}
	if !ns.UsesProvider(typeK8sProvider, "k8s") {
		t.Errorf("namespace provider = %q", ns.Provider)
	}

	rec.MustFind(t, typeZeroDowntime, "demo-app")
	for _, typ := range []string{typeService, typeIngress, typeDeployment, typePDB} {
		res := rec.MustFind(t, typ, "demo-app")
		if !res.ChildOf(typeZeroDowntime, "demo-app") {
			t.Errorf("%s parent = %q, want the ZeroDowntimeApp", typ, res.Parent)
		}
		if !res.DependsOn(typeNamespace, "zdt-demo") {
			t.Errorf("%s does not depend on the namespace", typ)
		}
		if res.DependsOn(typeRelease, LBCReleaseName) != withLBC {
			t.Errorf("%s depends on the controller release = %v, want %v", typ, !withLBC, withLBC)
		}
		if got := res.MustGet(t, "metadata", "namespace"); got != "zdt-demo" {
			t.Errorf("%s namespace = %v", typ, got)
		}
		if !res.UsesProvider(typeK8sProvider, "k8s") {
			t.Errorf("%s provider = %q, want the program's kubernetes provider", typ, res.Provider)
		}
	}
	ing := rec.MustFind(t, typeIngress, "demo-app")
	if !ing.DependsOn(typeService, "demo-app") {
		t.Errorf("ingress does not wait for the service")
	}
	dep := rec.MustFind(t, typeDeployment, "demo-app")
	if !dep.DependsOn(typeService, "demo-app") || !dep.DependsOn(typeIngress, "demo-app") {
		t.Errorf("deployment must come after service and ingress (readiness gates are injected at pod creation)")
	}
	env := map[string]any{}
	for _, e := range dep.MustGet(t, "spec", "template", "spec", "containers", 0, "env").([]any) {
		m := e.(map[string]any)
		env[m["name"].(string)] = m["value"]
	}
	if env["DRAIN"] != "2s" || env["SHUTDOWN_TIMEOUT"] != "12s" || env["IDLE_TIMEOUT"] != "65s" || env["MAX_DELAY"] != "10s" {
		t.Errorf("app env DRAIN=%v SHUTDOWN_TIMEOUT=%v IDLE_TIMEOUT=%v MAX_DELAY=%v, want 2s, 12s (maxRequestSeconds + 2), 65s (ALB idle 60 + 5) and 10s (maxRequestSeconds)",
			env["DRAIN"], env["SHUTDOWN_TIMEOUT"], env["IDLE_TIMEOUT"], env["MAX_DELAY"])
	}
	grace := dep.MustGet(t, "spec", "template", "spec", "terminationGracePeriodSeconds")
	if grace != float64(30+2+12+5) {
		t.Errorf("grace period %v, want preStop 30 + app drain 2 + shutdown 12 + margin 5", grace)
	}
}

func TestProgramLocalStack(t *testing.T) {
	kubeconfig := writeKubeconfig(t)
	rec, out := mustRunStack(t, "local", map[string]string{"zdt:kubeconfigPath": kubeconfig})

	for _, typ := range rec.Types() {
		if strings.HasPrefix(typ, "aws:") || strings.HasPrefix(typ, "eks:") || strings.HasPrefix(typ, "docker:") || typ == typeRelease {
			t.Errorf("local platform registered %s; the lab provides the controller and image", typ)
		}
	}
	p := rec.MustFind(t, typeK8sProvider, "k8s")
	if kc, secret := unsecret(p.MustGet(t, "kubeconfig")); !secret || kc != "apiVersion: v1\nkind: Config\n" {
		t.Errorf("provider kubeconfig = %v (secret %v), want the file's contents as a secret", kc, secret)
	}
	assertNamespaceAndApp(t, rec, false)
	dep := rec.MustFind(t, typeDeployment, "demo-app")
	c := dep.MustGet(t, "spec", "template", "spec", "containers", 0).(map[string]any)
	if c["image"] != "docker.io/zdt/demo-app:v1" || c["imagePullPolicy"] != "Never" {
		t.Errorf("local image = %v pull %v, want docker.io/zdt/demo-app:v1 with Never", c["image"], c["imagePullPolicy"])
	}
	for _, absent := range []string{OutputClusterName, OutputKubeconfig, OutputECRRepositoryURL} {
		if _, ok := out.values[absent]; ok {
			t.Errorf("local stack exports %s", absent)
		}
	}
	if out.values[OutputAppURL] != "http://"+mockHostname+"/" || out.values[OutputNamespace] != "zdt-demo" {
		t.Errorf("local outputs = %v", out.values)
	}
}

// TestProgramExistingPlatform deploys into a team's cluster: kubeconfig and
// context from config, no controller or anything of AWS, only the label on
// the namespace that exists (never a Namespace object), the image from a
// registry with IfNotPresent, the IngressClass from config.
func TestProgramExistingPlatform(t *testing.T) {
	kubeconfig := writeKubeconfig(t)
	rec, out := mustRunStack(t, "existing", map[string]string{
		"zdt:kubeconfigPath": kubeconfig,
		"zdt:kubeContext":    "team-prod",
		"zdt:image":          "registry.corp.internal/zdt/demo-app@" + mockDigest,
		"zdt:ingressClass":   "alb-internal",
	})
	for _, typ := range rec.Types() {
		if strings.HasPrefix(typ, "aws:") || strings.HasPrefix(typ, "eks:") || strings.HasPrefix(typ, "docker:") ||
			typ == typeRelease || typ == typeConfigGroup {
			t.Errorf("existing platform registered %s; the team's cluster has its controller and registry", typ)
		}
	}
	p := rec.MustFind(t, typeK8sProvider, "k8s")
	if kc, secret := unsecret(p.MustGet(t, "kubeconfig")); !secret || kc != "apiVersion: v1\nkind: Config\n" {
		t.Errorf("provider kubeconfig = %v (secret %v), want the file's contents as a secret", kc, secret)
	}
	if got := p.MustGet(t, "context"); got != "team-prod" {
		t.Errorf("provider context = %v, want zdt:kubeContext", got)
	}

	if n := len(rec.OfType(typeNamespace)); n != 0 {
		t.Errorf("%d Namespace objects: an existing namespace must never be created, adopted or deleted", n)
	}
	patch := rec.MustFind(t, typeNsPatch, "zdt-demo")
	if got := patch.MustGet(t, "metadata", "name"); got != "zdt-demo" {
		t.Errorf("patched namespace = %v", got)
	}
	labels := patch.MustGet(t, "metadata", "labels").(map[string]any)
	if len(labels) != 1 || labels[zerodowntime.ReadinessGateInjectLabel] != zerodowntime.ReadinessGateInjectValue {
		t.Errorf("namespace patch labels = %v, want only %s=%s", labels, zerodowntime.ReadinessGateInjectLabel, zerodowntime.ReadinessGateInjectValue)
	}
	if !patch.UsesProvider(typeK8sProvider, "k8s") {
		t.Errorf("namespace patch provider = %q", patch.Provider)
	}
	for _, typ := range []string{typeService, typeIngress, typeDeployment, typePDB} {
		res := rec.MustFind(t, typ, "demo-app")
		if !res.DependsOn(typeNsPatch, "zdt-demo") {
			t.Errorf("%s does not wait for the namespace label (pods would start without a readiness gate)", typ)
		}
	}
	dep := rec.MustFind(t, typeDeployment, "demo-app")
	c := dep.MustGet(t, "spec", "template", "spec", "containers", 0).(map[string]any)
	if c["image"] != "registry.corp.internal/zdt/demo-app@"+mockDigest || c["imagePullPolicy"] != "IfNotPresent" {
		t.Errorf("image = %v pull %v, want zdt:image with IfNotPresent", c["image"], c["imagePullPolicy"])
	}
	if got := rec.MustFind(t, typeIngress, "demo-app").MustGet(t, "spec", "ingressClassName"); got != "alb-internal" {
		t.Errorf("ingressClassName = %v, want zdt:ingressClass", got)
	}
	if out.values[OutputNamespace] != "zdt-demo" || out.values[OutputImage] != "registry.corp.internal/zdt/demo-app@"+mockDigest {
		t.Errorf("outputs = %v", out.values)
	}
}

// TestProgramExistingPlatformCreatesNamespace: without namespaceExists the
// namespace is created (and labelled) as on the other platforms.
func TestProgramExistingPlatformCreatesNamespace(t *testing.T) {
	rec, _ := mustRunStack(t, "existing", map[string]string{
		"zdt:kubeconfigPath": writeKubeconfig(t), "zdt:namespaceExists": "false",
	})
	if n := len(rec.OfType(typeNsPatch)); n != 0 {
		t.Errorf("%d namespace patches, want the Namespace created", n)
	}
	assertNamespaceAndApp(t, rec, false)
	if _, ok := rec.MustFind(t, typeK8sProvider, "k8s").Get("context"); ok {
		t.Errorf("provider context set although zdt:kubeContext is empty (the kubeconfig's current context)")
	}
}

func TestProgramExistingVPC(t *testing.T) {
	rec, _ := mustRunStack(t, "dev", map[string]string{
		"zdt:vpcId":            "vpc-0123abcd",
		"zdt:publicSubnetIds":  `["subnet-0a","subnet-0b"]`,
		"zdt:privateSubnetIds": `["subnet-1a","subnet-1b"]`,
	})
	for _, typ := range []string{typeVpc, typeSubnet, typeNatGateway, typeRouteTable, typeIGW} {
		if n := len(rec.OfType(typ)); n != 0 {
			t.Errorf("%d %s registered with an existing VPC", n, typ)
		}
	}
	c := rec.MustFind(t, typeEKSCluster, "zdt-dev")
	if c.MustGet(t, "vpcId") != "vpc-0123abcd" || !reflect.DeepEqual(c.MustGet(t, "privateSubnetIds"), []any{"subnet-1a", "subnet-1b"}) {
		t.Errorf("cluster network = %v %v", c.MustGet(t, "vpcId"), c.MustGet(t, "privateSubnetIds"))
	}
	rel := rec.MustFind(t, typeRelease, LBCReleaseName)
	if rel.MustGet(t, "values", "vpcId") != "vpc-0123abcd" {
		t.Errorf("controller vpcId = %v", rel.MustGet(t, "values", "vpcId"))
	}
}

func TestProgramRejectsInvalidConfig(t *testing.T) {
	tests := []struct {
		name      string
		stack     string
		overrides map[string]string
		want      []string
	}{
		{"bad replicas", "dev", map[string]string{"zdt:replicas": "three"}, []string{"zdt:replicas", "not an integer"}},
		{"no zones", "dev", map[string]string{"zdt:availabilityZones": "[]"}, []string{"zdt:availabilityZones", "fix:"}},
		{"local without kubeconfig", "local", map[string]string{"zdt:kubeconfigPath": ""}, []string{"zdt:kubeconfigPath", "required"}},
		{"prod placeholders", "prod", nil, []string{"zdt:host", "zdt:certificateArn", "placeholder"}},
		{"one replica", "dev", map[string]string{"zdt:replicas": "1"}, []string{"config zdt:replicas:", "PodDisruptionBudget"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, _, err := runStack(t, tc.stack, tc.overrides)
			if err == nil {
				t.Fatalf("program accepted invalid config")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			for _, r := range rec.Resources() {
				if r.Type != typeOIDC { // the test's own stand-in
					t.Errorf("registered %s %s before failing on config", r.Type, r.Name)
				}
			}
		})
	}
}

func TestProgramAutoscaling(t *testing.T) {
	kubeconfig := writeKubeconfig(t)
	rec, _ := mustRunStack(t, "local", map[string]string{"zdt:kubeconfigPath": kubeconfig, "zdt:maxReplicas": "6"})
	hpa := rec.MustFind(t, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "demo-app")
	if hpa.MustGet(t, "spec", "minReplicas") != float64(3) || hpa.MustGet(t, "spec", "maxReplicas") != float64(6) {
		t.Errorf("autoscaler min/max = %v/%v, want zdt:replicas 3 and zdt:maxReplicas 6",
			hpa.MustGet(t, "spec", "minReplicas"), hpa.MustGet(t, "spec", "maxReplicas"))
	}
	if dep := rec.MustFind(t, typeDeployment, "demo-app"); strings.Join(dep.IgnoreChanges, ",") != "spec.replicas" {
		t.Errorf("deployment ignoreChanges %v, want spec.replicas", dep.IgnoreChanges)
	}
}
