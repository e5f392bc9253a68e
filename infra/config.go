package infra

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zdt-eks/zdt/components/zerodowntime"
)

// Project is the Pulumi project name (Pulumi.yaml `name`); every setting is
// read from this config namespace, e.g. `zdt:replicas`.
const Project = "zdt"

// Platforms the program deploys to (config `zdt:platform`).
const (
	// PlatformEKS builds the whole stack on AWS: VPC, EKS, the AWS Load
	// Balancer Controller, ECR and the image.
	PlatformEKS = "eks"
	// PlatformLocal deploys the namespace and the app into an existing
	// cluster (the local lab) whose controller and image are already there.
	PlatformLocal = "local"
	// PlatformExisting deploys the namespace (or only its label) and the
	// app into a cluster a team already runs with its own AWS Load Balancer
	// Controller; the image comes from a registry.
	PlatformExisting = "existing"
)

// Config value types, as Pulumi.yaml spells them.
const (
	typeString  = "string"
	typeInteger = "integer"
	typeBoolean = "boolean"
	typeArray   = "array"
)

// Setting declares one config key: the single source of truth that
// Pulumi.yaml's `config:` section must mirror (a test checks it does).
type Setting struct {
	// Key without the project prefix, e.g. "replicas".
	Key string
	// Type is string, integer, boolean or array (of strings).
	Type string
	// Default is used when the stack sets no value; nil means "no default"
	// (required where the platform needs it).
	Default any
	// Description is shown by `pulumi config` and in the README table.
	Description string
}

// FullKey is the namespaced key, e.g. "zdt:replicas".
func (s Setting) FullKey() string { return Project + ":" + s.Key }

// Settings is every config key the program reads, in README order.
var Settings = []Setting{
	{"platform", typeString, PlatformEKS, "Where to deploy: eks (VPC, EKS, LBC, ECR, image build), existing (a cluster you already run with an LBC, from kubeconfigPath) or local (the lab's cluster)."},
	{"clusterName", typeString, "", "EKS cluster name; empty means zdt-<stack>. Also used in the subnet discovery tag kubernetes.io/cluster/<name>."},
	{"kubernetesVersion", typeString, "1.34", "EKS Kubernetes version (1.34+ has the native preStop sleep GA)."},
	{"vpcCidr", typeString, "10.0.0.0/16", "CIDR of the new VPC (/16 to /20); private subnets get 1/8 of it each, public subnets 1/256 but at least a /27 (an ALB needs 8 free addresses per subnet)."},
	{"availabilityZones", typeArray, []any{}, "Availability zones of the new VPC (2 to 4), one public and one private subnet each; required unless vpcId is set."},
	{"natGatewayPerAz", typeBoolean, false, "One NAT gateway per availability zone (survives an AZ outage) instead of a single shared one."},
	{"vpcId", typeString, "", "Use this existing VPC instead of creating one (then set publicSubnetIds and privateSubnetIds)."},
	{"publicSubnetIds", typeArray, []any{}, "Existing public subnets (tagged kubernetes.io/role/elb=1), with vpcId."},
	{"privateSubnetIds", typeArray, []any{}, "Existing private subnets (tagged kubernetes.io/role/internal-elb=1) for the nodes, with vpcId."},
	{"adminPrincipalArns", typeArray, []any{}, "IAM role or user ARNs given cluster admin (EKS access entry, AmazonEKSClusterAdminPolicy), e.g. the deploy workflow's role; not the identity that creates the cluster (it is admin already)."},
	{"readOnlyPrincipalArns", typeArray, []any{}, "IAM role or user ARNs given read access to every resource including Secrets, where Helm keeps releases (EKS access entry, AmazonEKSAdminViewPolicy), e.g. the preview workflow's role."},
	{"nodeInstanceTypes", typeArray, []any{"t3.medium"}, "EC2 instance types of the managed node group."},
	{"nodeMinSize", typeInteger, 2, "Minimum node count."},
	{"nodeDesiredSize", typeInteger, 2, "Desired node count."},
	{"nodeMaxSize", typeInteger, 4, "Maximum node count (room for the rollout surge)."},
	{"namespace", typeString, "zdt-demo", "Namespace of the app, labelled for LBC pod readiness gate injection."},
	{"appName", typeString, "demo-app", "Name of the app's Deployment, Service, Ingress and PodDisruptionBudget."},
	{"appVersion", typeString, "v1", "Version of the demo app: image tag, build argument VERSION and pod label."},
	{"replicas", typeInteger, 3, "Pod count of the app; with zdt:maxReplicas, the autoscaler's minimum."},
	{"maxReplicas", typeInteger, 0, "0: a fixed pod count. Above 0: a HorizontalPodAutoscaler scales the app from zdt:replicas to this on CPU use (70 % of the request; the cluster needs metrics-server); `pulumi up` then leaves the count to it."},
	{"imagePlatform", typeString, "linux/amd64", "Platform the image is built for; must match the node instance types (linux/arm64 for Graviton)."},
	{"ecrKeepImages", typeInteger, 10, "The ECR lifecycle policy keeps this many most recent images."},
	{"localImage", typeString, "docker.io/zdt/demo-app:v1", "local platform: image reference already present on the nodes (imagePullPolicy Never)."},
	{"image", typeString, "", "existing platform: the app image by registry reference (repo:tag or repo@sha256:...), pulled by the nodes (imagePullPolicy IfNotPresent)."},
	{"kubeconfigPath", typeString, "", "local and existing platforms: path of the cluster's kubeconfig (relative to the project root); its contents configure the provider."},
	{"kubeContext", typeString, "", "local and existing platforms: the kubeconfig context to use; empty means the kubeconfig's current context."},
	{"namespaceExists", typeBoolean, false, "local and existing platforms: the namespace already exists; only the readiness-gate label is applied to it (and removed on destroy), the namespace is never created or deleted."},
	{"ingressClass", typeString, "alb", "IngressClass of the app's Ingress: the one your AWS Load Balancer Controller serves (on eks also the chart's ingressClass)."},
	{"ingressScheme", typeString, "internet-facing", "ALB scheme: internet-facing or internal."},
	{"host", typeString, "", "Host name the Ingress rule matches (and the app URL uses); empty matches any host."},
	{"certificateArn", typeString, "", "ACM certificate ARN; when set the ALB listens on HTTPS and redirects HTTP."},
	{"bootSeconds", typeInteger, 15, "Worst-case app boot time in seconds (the demo app waits 10 s before listening)."},
	{"maxRequestSeconds", typeInteger, 10, "Longest request in seconds (the demo app's --max-delay)."},
	{"healthCheckIntervalSeconds", typeInteger, 5, "ALB health-check interval in seconds (5..300)."},
	{"deregistrationPropagationSeconds", typeInteger, zerodowntime.DefaultDeregistrationPropagationSeconds, "Allowance in seconds for the LBC and ALB to stop routing to a deregistered pod; sets the preStop sleep."},
	{"renderDir", typeString, "", "Render mode (make render): when set, the Kubernetes objects are written as YAML into this directory instead of applied; no cloud resources, no cluster, placeholders for what AWS would produce."},
}

// Config is the program's typed settings, read once from Pulumi config and
// validated by LoadConfig.
type Config struct {
	Stack    string
	Platform string
	// Region is aws:region (eks platform).
	Region string

	ClusterName       string
	KubernetesVersion string

	VpcCidr           string
	AvailabilityZones []string
	NatGatewayPerAz   bool
	VpcID             string
	PublicSubnetIDs   []string
	PrivateSubnetIDs  []string

	AdminPrincipalArns    []string
	ReadOnlyPrincipalArns []string

	NodeInstanceTypes []string
	NodeMinSize       int
	NodeDesiredSize   int
	NodeMaxSize       int

	Namespace  string
	AppName    string
	AppVersion string
	Replicas   int
	// MaxReplicas > 0 adds a HorizontalPodAutoscaler from Replicas to it.
	MaxReplicas   int
	ImagePlatform string
	ECRKeepImages int

	LocalImage string
	// Image is the existing platform's image by registry reference.
	Image string
	// Kubeconfig is the contents of the file at kubeconfigPath (local and
	// existing platforms).
	Kubeconfig      string
	KubeconfigPath  string
	KubeContext     string
	NamespaceExists bool

	IngressClass   string
	IngressScheme  string
	Host           string
	CertificateArn string

	BootSeconds                      int
	MaxRequestSeconds                int
	HealthCheckIntervalSeconds       int
	DeregistrationPropagationSeconds int

	// RenderDir, when set, puts the program in render mode (Rendering).
	RenderDir string
}

// Rendering reports whether the program renders its Kubernetes objects into
// RenderDir (config zdt:renderDir, set by `make render`) instead of
// deploying: no cloud resources, no cluster, no kubeconfig.
func (c Config) Rendering() bool { return c.RenderDir != "" }

// UsesExistingVPC reports whether the network comes from config (vpcId).
func (c Config) UsesExistingVPC() bool { return c.VpcID != "" }

// UsesKubeconfig reports whether the platform deploys into a cluster named
// by zdt:kubeconfigPath (local and existing) rather than one it creates.
func (c Config) UsesKubeconfig() bool {
	return c.Platform == PlatformLocal || c.Platform == PlatformExisting
}

// configError names the key at fault and the fix.
func configError(key, fix, problem string, args ...any) error {
	return fmt.Errorf("config %s:%s: %s; fix: %s", Project, key, fmt.Sprintf(problem, args...), fix)
}

// reader reads raw config strings and converts them by declared type,
// collecting every problem instead of stopping at the first.
type reader struct {
	get  func(key string) (string, bool)
	errs []error
}

func (r *reader) raw(key string) (Setting, string, bool) {
	s, ok := settingByKey(key)
	if !ok {
		panic("infra: undeclared setting " + key) // programming error, caught by tests
	}
	v, set := r.get(s.FullKey())
	return s, v, set
}

func (r *reader) str(key string) string {
	s, v, set := r.raw(key)
	if !set {
		d, _ := s.Default.(string)
		return d
	}
	return v
}

func (r *reader) integer(key string) int {
	s, v, set := r.raw(key)
	if !set {
		d, _ := s.Default.(int)
		return d
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		r.errs = append(r.errs, configError(key, fmt.Sprintf("pulumi config set %s <integer>", s.FullKey()), "%q is not an integer", v))
	}
	return n
}

func (r *reader) boolean(key string) bool {
	s, v, set := r.raw(key)
	if !set {
		d, _ := s.Default.(bool)
		return d
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		r.errs = append(r.errs, configError(key, fmt.Sprintf("pulumi config set %s true|false", s.FullKey()), "%q is not a boolean", v))
	}
	return b
}

func (r *reader) list(key string) []string {
	s, v, set := r.raw(key)
	if !set {
		var out []string
		for _, d := range s.Default.([]any) {
			out = append(out, d.(string))
		}
		return out
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		r.errs = append(r.errs, configError(key,
			fmt.Sprintf("set a list of strings, e.g. `pulumi config set --path '%s[0]' value` or a YAML list in the stack file", s.FullKey()),
			"%q is not a list of strings", v))
	}
	return out
}

func settingByKey(key string) (Setting, bool) {
	for _, s := range Settings {
		if s.Key == key {
			return s, true
		}
	}
	return Setting{}, false
}

// LoadConfig reads every setting once from the stack's config and validates
// it; the error lists each key at fault with its fix.
func LoadConfig(ctx *pulumi.Context) (Config, error) {
	return loadConfig(ctx.Stack(), ctx.RootDirectory(), ctx.GetConfig)
}

// loadConfig is LoadConfig over a plain lookup function, for tests.
func loadConfig(stack, root string, get func(string) (string, bool)) (Config, error) {
	r := &reader{get: get}
	c := Config{
		Stack:                            stack,
		Platform:                         r.str("platform"),
		ClusterName:                      r.str("clusterName"),
		KubernetesVersion:                r.str("kubernetesVersion"),
		VpcCidr:                          r.str("vpcCidr"),
		AvailabilityZones:                r.list("availabilityZones"),
		NatGatewayPerAz:                  r.boolean("natGatewayPerAz"),
		VpcID:                            r.str("vpcId"),
		PublicSubnetIDs:                  r.list("publicSubnetIds"),
		PrivateSubnetIDs:                 r.list("privateSubnetIds"),
		AdminPrincipalArns:               r.list("adminPrincipalArns"),
		ReadOnlyPrincipalArns:            r.list("readOnlyPrincipalArns"),
		NodeInstanceTypes:                r.list("nodeInstanceTypes"),
		NodeMinSize:                      r.integer("nodeMinSize"),
		NodeDesiredSize:                  r.integer("nodeDesiredSize"),
		NodeMaxSize:                      r.integer("nodeMaxSize"),
		Namespace:                        r.str("namespace"),
		AppName:                          r.str("appName"),
		AppVersion:                       r.str("appVersion"),
		Replicas:                         r.integer("replicas"),
		MaxReplicas:                      r.integer("maxReplicas"),
		ImagePlatform:                    r.str("imagePlatform"),
		ECRKeepImages:                    r.integer("ecrKeepImages"),
		LocalImage:                       r.str("localImage"),
		Image:                            r.str("image"),
		KubeconfigPath:                   r.str("kubeconfigPath"),
		KubeContext:                      r.str("kubeContext"),
		NamespaceExists:                  r.boolean("namespaceExists"),
		IngressClass:                     r.str("ingressClass"),
		IngressScheme:                    r.str("ingressScheme"),
		Host:                             r.str("host"),
		CertificateArn:                   r.str("certificateArn"),
		BootSeconds:                      r.integer("bootSeconds"),
		MaxRequestSeconds:                r.integer("maxRequestSeconds"),
		HealthCheckIntervalSeconds:       r.integer("healthCheckIntervalSeconds"),
		DeregistrationPropagationSeconds: r.integer("deregistrationPropagationSeconds"),
		RenderDir:                        r.str("renderDir"),
	}
	c.Region, _ = get("aws:region")
	if c.ClusterName == "" {
		c.ClusterName = "zdt-" + stack
	}
	if c.Rendering() && !filepath.IsAbs(c.RenderDir) && root != "" {
		c.RenderDir = filepath.Join(root, c.RenderDir) // like kubeconfigPath: relative to the project
	}
	errs := r.errs
	if len(errs) == 0 {
		errs = c.validate()
	}
	// A rendering needs no cluster: the kubeconfig (a file on the machine
	// that deploys) is neither read nor required to exist.
	if len(errs) == 0 && c.UsesKubeconfig() && !c.Rendering() {
		if err := c.readKubeconfig(root); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("invalid configuration of stack %q:\n%w", stack, err)
	}
	return c, nil
}

// readKubeconfig loads the local or existing platform's kubeconfig contents. A relative
// path is resolved against the project root (the directory of Pulumi.yaml).
func (c *Config) readKubeconfig(root string) error {
	path := c.KubeconfigPath
	if !filepath.IsAbs(path) && root != "" {
		path = filepath.Join(root, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return configError("kubeconfigPath", "point it at the cluster's kubeconfig: pulumi config set zdt:kubeconfigPath <path>",
			"cannot read the kubeconfig: %v", err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return configError("kubeconfigPath", "point it at a non-empty kubeconfig", "%s is empty", path)
	}
	c.Kubeconfig = string(b)
	return nil
}
