package infra

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"sigs.k8s.io/yaml"

	"github.com/zdt-eks/zdt/internal/pulumitest"
)

// Resource types the tests look up.
const (
	typeVpc           = "aws:ec2/vpc:Vpc"
	typeSubnet        = "aws:ec2/subnet:Subnet"
	typeNatGateway    = "aws:ec2/natGateway:NatGateway"
	typeRouteTable    = "aws:ec2/routeTable:RouteTable"
	typeIGW           = "aws:ec2/internetGateway:InternetGateway"
	typeRole          = "aws:iam/role:Role"
	typePolicy        = "aws:iam/policy:Policy"
	typeAttachment    = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	typeOIDC          = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
	typeRepository    = "aws:ecr/repository:Repository"
	typeLifecycle     = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
	typeEKSCluster    = "eks:index:Cluster"
	typeNodeGroup     = "eks:index:ManagedNodeGroup"
	typeK8sProvider   = "pulumi:providers:kubernetes"
	typeRelease       = "kubernetes:helm.sh/v3:Release"
	typeNamespace     = "kubernetes:core/v1:Namespace"
	typeDeployment    = "kubernetes:apps/v1:Deployment"
	typeService       = "kubernetes:core/v1:Service"
	typeIngress       = "kubernetes:networking.k8s.io/v1:Ingress"
	typePDB           = "kubernetes:policy/v1:PodDisruptionBudget"
	typeDockerImage   = "docker:index/image:Image"
	typeZeroDowntime  = "zdt:components:ZeroDowntimeApp"
	typeAddon         = "aws:eks/addon:Addon"
	typeConfigGroup   = "kubernetes:yaml/v2:ConfigGroup"
	typeNsPatch       = "kubernetes:core/v1:NamespacePatch"
	tokenECRAuthToken = "aws:ecr/getAuthorizationToken:getAuthorizationToken"
	tokenAddonVersion = "aws:eks/getAddonVersion:getAddonVersion"
)

// Values the mocks play back, as AWS and the controller would.
const (
	mockAccount     = "111122223333"
	mockOIDCIssuer  = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
	mockOIDCArn     = "arn:aws:iam::" + mockAccount + ":oidc-provider/" + mockOIDCIssuer
	mockRepoURL     = mockAccount + ".dkr.ecr.eu-west-1.amazonaws.com/app-1234567"
	mockDigest      = "sha256:4f0c2ad5c2e2b4b3e5b1b0f6a8d3c1e9f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2"
	mockRepoDigest  = mockRepoURL + "@" + mockDigest
	mockHostname    = "k8s-zdtdemo-demoapp-0123456789-1234567890.eu-west-1.elb.amazonaws.com"
	mockKubeconfig  = `{"apiVersion":"v1","kind":"Config","clusters":[]}`
	mockCNIVersion  = "v1.20.4-eksbuild.1"
	oidcStandInName = "eks-oidc-provider"
)

// repoRoot is where Pulumi.yaml and stacks/ live, relative to this package.
const repoRoot = ".."

// loadProject loads Pulumi.yaml with the Pulumi SDK's own loader, which
// validates it against the project JSON schema and checks that each typed
// default matches its type.
func loadProject(t *testing.T) *workspace.Project {
	t.Helper()
	proj, err := workspace.LoadProject(filepath.Join(repoRoot, "Pulumi.yaml"))
	if err != nil {
		t.Fatalf("loading Pulumi.yaml: %v", err)
	}
	return proj
}

// stackFile reads stacks/Pulumi.<stack>.yaml's config map as YAML values.
func stackFile(t *testing.T, stack string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "stacks", "Pulumi."+stack+".yaml"))
	if err != nil {
		t.Fatalf("reading stack %s: %v", stack, err)
	}
	var doc struct {
		Config map[string]any `json:"config"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("parsing stack %s: %v", stack, err)
	}
	return doc.Config
}

// configString renders a YAML config value the way the Pulumi engine hands
// it to a program: strings as is, numbers and booleans as text, lists and
// objects as JSON.
func configString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case float64:
		if x == math.Trunc(x) {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// stackConfig is what the engine would pass for stack: Pulumi.yaml's
// defaults overlaid with the stack file, then the overrides.
func stackConfig(t *testing.T, stack string, overrides map[string]string) map[string]string {
	t.Helper()
	cfg := map[string]string{}
	for key, decl := range loadProject(t).Config {
		if decl.Default != nil {
			cfg[key] = configString(decl.Default)
		}
	}
	for key, v := range stackFile(t, stack) {
		cfg[key] = configString(v)
	}
	for key, v := range overrides {
		if v == "" {
			delete(cfg, key)
			continue
		}
		cfg[key] = v
	}
	return cfg
}

// withConfig sets the run's config like the engine's PULUMI_CONFIG does.
func withConfig(cfg map[string]string) pulumi.RunOption {
	return func(info *pulumi.RunInfo) { info.Config = cfg }
}

// mockOutputs plays the providers: IDs and ARNs AWS assigns, the remote
// pulumi-eks Cluster component's outputs, the docker image digest and the
// Ingress status the controller writes.
func mockOutputs(stack string) pulumitest.OutputsFunc {
	oidcURN := resource.NewURN(tokens.QName(stack), tokens.PackageName(Project), "", tokens.Type(typeOIDC), oidcStandInName)
	return func(typ, name string, inputs resource.PropertyMap) resource.PropertyMap {
		switch typ {
		case typeEKSCluster:
			return resource.NewPropertyMapFromMap(map[string]any{
				"kubeconfigJson": mockKubeconfig,
				"kubeconfig":     mockKubeconfig,
				"core": map[string]any{
					// A resource reference, as the real component returns;
					// the test registers the stand-in it points at.
					"oidcProvider": resource.MakeCustomResourceReference(oidcURN, resource.ID(oidcStandInName+"-id"), ""),
				},
			})
		case typeOIDC:
			return resource.NewPropertyMapFromMap(map[string]any{"arn": mockOIDCArn})
		case typeRole, typePolicy:
			return resource.NewPropertyMapFromMap(map[string]any{
				"arn":  fmt.Sprintf("arn:aws:iam::%s:%s/%s", mockAccount, map[string]string{typeRole: "role", typePolicy: "policy"}[typ], name),
				"name": name,
			})
		case typeRepository:
			return resource.NewPropertyMapFromMap(map[string]any{
				"repositoryUrl": mockRepoURL, "registryId": mockAccount, "name": "app-1234567",
			})
		case typeDockerImage:
			return resource.NewPropertyMapFromMap(map[string]any{"repoDigest": mockRepoDigest})
		case typeIngress:
			return resource.NewPropertyMapFromMap(map[string]any{
				"status": map[string]any{"loadBalancer": map[string]any{"ingress": []any{map[string]any{"hostname": mockHostname}}}},
			})
		}
		return nil
	}
}

// mockCalls answers the program's invokes.
func mockCalls(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	if args.Token == tokenAddonVersion {
		if args.Args["addonName"].StringValue() != "vpc-cni" {
			return nil, fmt.Errorf("unexpected add-on %v", args.Args["addonName"])
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"addonName": "vpc-cni", "kubernetesVersion": args.Args["kubernetesVersion"].StringValue(),
			"version": mockCNIVersion, "id": "vpc-cni",
		}), nil
	}
	if args.Token == tokenECRAuthToken {
		return resource.NewPropertyMapFromMap(map[string]any{
			"userName": "AWS", "password": "mock-ecr-password",
			"proxyEndpoint":      "https://" + mockAccount + ".dkr.ecr.eu-west-1.amazonaws.com",
			"authorizationToken": "bW9jaw==", "expiresAt": "2030-01-01T00:00:00Z", "id": "eu-west-1",
		}), nil
	}
	return nil, fmt.Errorf("unexpected invoke %s", args.Token)
}

// resolved holds the stack's outputs once known.
type resolved struct {
	values           map[string]string
	kubeconfigSecret bool
}

// runStack runs the whole program under mocks with the stack's config and
// waits for its outputs. For the eks platform it first registers a stand-in
// for the OIDC provider the pulumi-eks component creates inside itself
// (under mocks a remote component has no children), so the component's
// resource reference to it resolves.
func runStack(t *testing.T, stack string, overrides map[string]string) (*pulumitest.Recorder, resolved, error) {
	t.Helper()
	cfg := stackConfig(t, stack, overrides)
	rec := pulumitest.NewRecorder(mockOutputs(stack))
	rec.OnCall(mockCalls)
	var res resolved
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		if cfg[Project+":platform"] == PlatformEKS {
			if _, err := iam.NewOpenIdConnectProvider(ctx, oidcStandInName, &iam.OpenIdConnectProviderArgs{
				Url:           pulumi.String("https://" + mockOIDCIssuer),
				ClientIdLists: pulumi.StringArray{pulumi.String("sts.amazonaws.com")},
			}); err != nil {
				return err
			}
		}
		out, err := deploy(ctx)
		if err != nil {
			return err
		}
		named := map[string]pulumi.StringOutput{
			OutputClusterName: out.ClusterName, OutputKubeconfig: out.Kubeconfig, OutputNamespace: out.Namespace,
			OutputAlbHostname: out.AlbHostname, OutputAppURL: out.AppURL, OutputECRRepositoryURL: out.ECRRepositoryURL,
			OutputImage: out.Image,
		}
		res.values = map[string]string{OutputTiming: out.Timing}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for name, o := range named {
			if o.OutputState == nil {
				continue
			}
			wg.Add(1)
			o.ApplyT(func(v string) string {
				mu.Lock()
				res.values[name] = v
				mu.Unlock()
				wg.Done()
				return v
			})
		}
		if out.Kubeconfig.OutputState != nil {
			res.kubeconfigSecret = pulumi.IsSecret(out.Kubeconfig)
		}
		wg.Wait()
		return nil
	}, pulumi.WithMocks(Project, stack, rec), withConfig(cfg))
	return rec, res, err
}

// mustRunStack is runStack failing the test on error.
func mustRunStack(t *testing.T, stack string, overrides map[string]string) (*pulumitest.Recorder, resolved) {
	t.Helper()
	rec, res, err := runStack(t, stack, overrides)
	if err != nil {
		t.Fatalf("running stack %s: %v", stack, err)
	}
	return rec, res
}

// writeKubeconfig writes a kubeconfig for the local platform and returns
// its path.
func writeKubeconfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
