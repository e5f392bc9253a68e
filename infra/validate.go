package infra

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

var (
	clusterNameRe  = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]*$`)
	k8sVersionRe   = regexp.MustCompile(`^1\.[0-9]+$`)
	azRe           = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$`)
	vpcIDRe        = regexp.MustCompile(`^vpc-[0-9a-f]+$`)
	subnetIDRe     = regexp.MustCompile(`^subnet-[0-9a-f]+$`)
	principalArnRe = regexp.MustCompile(`^arn:aws:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$`)
)

// validate checks the settings for the selected platform. The app's
// settings are checked by the component's own validator (validateApp), so
// config validation and the component never disagree.
func (c Config) validate() []error {
	var errs []error
	switch c.Platform {
	case PlatformEKS:
		errs = append(errs, c.validateEKS()...)
	case PlatformLocal, PlatformExisting:
		errs = append(errs, c.validateKubeconfigPlatform()...)
	default:
		errs = append(errs, configError("platform", "use eks, existing or local", "%q is not a platform", c.Platform))
	}
	zeroErrs, zeroKeys := c.validateNoZeroDefaults()
	errs = append(errs, zeroErrs...)
	if !c.Rendering() {
		// A rendering creates nothing: the prod stack's documentation
		// values may be rendered, never deployed.
		errs = append(errs, c.validatePlaceholders()...)
	}
	return append(errs, c.validateApp(zeroKeys)...)
}

// validateNoZeroDefaults refuses values below 1 for the keys where the
// component reads 0 as "use its default", which would silently ignore the
// stack's setting; it returns the keys it reported, which validateApp
// then leaves out.
func (c Config) validateNoZeroDefaults() ([]error, map[string]bool) {
	var errs []error
	reported := map[string]bool{}
	if c.Replicas < 1 {
		errs = append(errs, configError("replicas", "use 2 or more (3 survives a node loss during a rollout)", "%d is not a pod count", c.Replicas))
		reported["replicas"] = true
	}
	for _, k := range []struct {
		key string
		v   int
	}{
		{"bootSeconds", c.BootSeconds},
		{"maxRequestSeconds", c.MaxRequestSeconds},
		{"healthCheckIntervalSeconds", c.HealthCheckIntervalSeconds},
		{"deregistrationPropagationSeconds", c.DeregistrationPropagationSeconds},
	} {
		if k.v < 1 {
			errs = append(errs, configError(k.key, "use a positive number of seconds", "%d is not a positive duration", k.v))
			reported[k.key] = true
		}
	}
	return errs, reported
}

// validateKubeconfigPlatform checks the local and existing platforms: a
// cluster from a kubeconfig, and an image that is already built.
func (c Config) validateKubeconfigPlatform() []error {
	var errs []error
	if c.KubeconfigPath == "" {
		errs = append(errs, configError("kubeconfigPath", "pulumi config set zdt:kubeconfigPath <path of the cluster's kubeconfig>",
			"is required on the %s platform", c.Platform))
	}
	switch {
	case c.Platform == PlatformLocal && c.LocalImage == "":
		errs = append(errs, configError("localImage", "pulumi config set zdt:localImage docker.io/zdt/demo-app:v1", "is required on the local platform"))
	case c.Platform == PlatformExisting && c.Image == "":
		errs = append(errs, configError("image", "push the app image to a registry the nodes can pull from, then pulumi config set zdt:image <registry>/<repository>@sha256:<digest>",
			"is required on the existing platform"))
	}
	return errs
}

// validateEKS checks the settings only the eks platform reads.
func (c Config) validateEKS() []error {
	var errs []error
	add := func(err error) { errs = append(errs, err) }

	if c.Region == "" {
		add(fmt.Errorf("config aws:region: is required on the eks platform; fix: pulumi config set aws:region eu-west-1"))
	}
	if len(c.ClusterName) > 100 || !clusterNameRe.MatchString(c.ClusterName) {
		add(configError("clusterName", "use letters, digits, '-' and '_', starting with a letter or digit, at most 100", "%q is not a valid EKS cluster name", c.ClusterName))
	}
	if !k8sVersionRe.MatchString(c.KubernetesVersion) {
		add(configError("kubernetesVersion", "use a minor version such as 1.34", "%q is not a Kubernetes minor version", c.KubernetesVersion))
	}
	if c.NamespaceExists {
		add(configError("namespaceExists", "unset it (pulumi config rm zdt:namespaceExists): the eks platform creates the cluster, so the namespace cannot exist yet",
			"is only for the existing and local platforms"))
	}
	if c.UsesExistingVPC() {
		errs = append(errs, c.validateExistingVPC()...)
	} else {
		errs = append(errs, c.validateNewVPC()...)
	}
	errs = append(errs, c.validatePrincipals()...)
	if len(c.NodeInstanceTypes) == 0 {
		add(configError("nodeInstanceTypes", "list at least one instance type, e.g. [t3.medium]", "is empty"))
	}
	if c.NodeMinSize < 1 || c.NodeMinSize > c.NodeDesiredSize || c.NodeDesiredSize > c.NodeMaxSize {
		add(configError("nodeDesiredSize", "make 1 <= zdt:nodeMinSize <= zdt:nodeDesiredSize <= zdt:nodeMaxSize",
			"min %d, desired %d, max %d are not ordered", c.NodeMinSize, c.NodeDesiredSize, c.NodeMaxSize))
	}
	if c.NodeMinSize < lbcReplicas {
		add(configError("nodeMinSize", fmt.Sprintf("use at least %d", lbcReplicas),
			"%d node(s) cannot hold the controller's %d replicas, which must run on different nodes (its webhook fails closed)", c.NodeMinSize, lbcReplicas))
	}
	if c.ECRKeepImages < 1 {
		add(configError("ecrKeepImages", "keep at least 1 image (the running one)", "is %d", c.ECRKeepImages))
	}
	if c.ImagePlatform != "linux/amd64" && c.ImagePlatform != "linux/arm64" {
		add(configError("imagePlatform", "use linux/amd64 or linux/arm64, matching nodeInstanceTypes", "%q is not a supported platform", c.ImagePlatform))
	}
	if c.AppVersion == "" {
		add(configError("appVersion", "set a version such as v1 (the image tag)", "is empty"))
	}
	return errs
}

// validateExistingVPC checks vpcId and the subnets that come with it.
func (c Config) validateExistingVPC() []error {
	var errs []error
	if !vpcIDRe.MatchString(c.VpcID) {
		errs = append(errs, configError("vpcId", "use an ID like vpc-0123abcd, or unset it to create a VPC", "%q is not a VPC ID", c.VpcID))
	}
	for _, l := range []struct {
		key string
		ids []string
	}{{"publicSubnetIds", c.PublicSubnetIDs}, {"privateSubnetIds", c.PrivateSubnetIDs}} {
		if len(l.ids) < 2 {
			errs = append(errs, configError(l.key, "list at least two subnets in different availability zones (the ALB needs two)", "has %d subnet(s) while vpcId is set", len(l.ids)))
		}
		for _, id := range l.ids {
			if !subnetIDRe.MatchString(id) {
				errs = append(errs, configError(l.key, "use IDs like subnet-0123abcd", "%q is not a subnet ID", id))
			}
		}
	}
	return errs
}

// validateNewVPC checks the zones and the CIDR of the VPC the program
// creates, including that every subnet of its layout can hold an ALB.
func (c Config) validateNewVPC() []error {
	var errs []error
	if n := len(c.AvailabilityZones); n < 2 || n > maxAvailabilityZones {
		errs = append(errs, configError("availabilityZones", "list 2 to 4 zones of aws:region, e.g. [eu-west-1a, eu-west-1b] (the ALB needs two), or set vpcId", "has %d zone(s)", n))
	}
	seen := map[string]bool{}
	for _, az := range c.AvailabilityZones {
		if !azRe.MatchString(az) || seen[az] {
			errs = append(errs, configError("availabilityZones", "list distinct zone names such as eu-west-1a", "%q is not a distinct availability zone name", az))
		}
		seen[az] = true
	}
	p, err := netip.ParsePrefix(c.VpcCidr)
	if err != nil || !p.Addr().Is4() || p.Bits() < minVPCBits || p.Bits() > maxVPCBits || p.Masked() != p {
		return append(errs, configError("vpcCidr", "use an IPv4 network from /16 to /20 such as 10.0.0.0/16", "%q is not a usable VPC CIDR", c.VpcCidr))
	}
	if err := checkSubnetLayout(p, maxAvailabilityZones); err != nil {
		errs = append(errs, configError("vpcCidr", "use a larger VPC (a shorter prefix such as /16)", "%v", err))
	}
	return errs
}

// Access policies of EKS access entries (docs: access-policy-permissions).
const (
	// accessPolicyClusterAdmin is cluster-admin: what the Pulumi program
	// itself needs (Helm release, namespace, app) and what people who
	// operate the cluster need.
	accessPolicyClusterAdmin = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	// accessPolicyAdminView lists and reads every resource, Secrets
	// included: Helm keeps its releases in Secrets, so a read-only
	// `pulumi preview`/`refresh` of the controller's release needs them.
	// (AmazonEKSViewPolicy excludes Secrets.)
	accessPolicyAdminView = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"
)

// validatePrincipals checks the access-entry principals: IAM role or user
// ARNs (not an assumed-role session), each listed once across both lists
// (EKS allows one access entry per principal).
func (c Config) validatePrincipals() []error {
	var errs []error
	seen := map[string]string{}
	for _, l := range []struct {
		key  string
		arns []string
	}{{"adminPrincipalArns", c.AdminPrincipalArns}, {"readOnlyPrincipalArns", c.ReadOnlyPrincipalArns}} {
		for _, arn := range l.arns {
			switch {
			case strings.Contains(arn, ":assumed-role/"):
				errs = append(errs, configError(l.key, "use the role's ARN, arn:aws:iam::<account>:role/<name>, not a session's", "%q is an assumed-role session", arn))
			case !principalArnRe.MatchString(arn):
				errs = append(errs, configError(l.key, "use IAM role or user ARNs such as arn:aws:iam::210987654321:role/deploy", "%q is not an IAM role or user ARN", arn))
			case seen[arn] != "":
				errs = append(errs, configError(l.key, "list each principal once, in one of zdt:adminPrincipalArns and zdt:readOnlyPrincipalArns", "%q is also in zdt:%s (EKS has one access entry per principal)", arn, seen[arn]))
			}
			if seen[arn] == "" {
				seen[arn] = l.key
			}
		}
	}
	return errs
}

// Documentation values (RFC 2606 / RFC 6761 reserved names, the account
// IDs AWS's documentation uses) that would deploy but never work: an
// Ingress for a host nobody resolves, a certificate the LBC cannot find
// (the Ingress then never gets an ALB and `up` waits out its timeout).
var (
	placeholderDomains  = []string{"example.com", "example.net", "example.org", "example", "invalid", "test", "localhost"}
	placeholderAccounts = []string{"111122223333", "123456789012", "444455556666", "000000000000"}
)

// validatePlaceholders refuses documentation values in the settings AWS
// acts on.
func (c Config) validatePlaceholders() []error {
	var errs []error
	if isPlaceholderHost(c.Host) {
		errs = append(errs, configError("host", "pulumi config set zdt:host <a name in your DNS zone> --stack "+c.Stack+" (or zdt:host \"\" to match any host)",
			"%q is a documentation placeholder (reserved domain)", c.Host))
	}
	if c.CertificateArn != "" && isPlaceholderArn(c.CertificateArn) {
		errs = append(errs, configError("certificateArn", "pulumi config set zdt:certificateArn <the ARN of your ACM certificate for zdt:host, in aws:region> --stack "+c.Stack,
			"%q is a documentation placeholder", c.CertificateArn))
	}
	for _, l := range []struct {
		key  string
		arns []string
	}{{"adminPrincipalArns", c.AdminPrincipalArns}, {"readOnlyPrincipalArns", c.ReadOnlyPrincipalArns}} {
		for _, arn := range l.arns {
			if isPlaceholderArn(arn) {
				errs = append(errs, configError(l.key, "list your account's roles", "%q is a documentation placeholder", arn))
			}
		}
	}
	return errs
}

// isPlaceholderHost reports whether host is in a reserved documentation
// or test domain.
func isPlaceholderHost(host string) bool {
	host = strings.TrimPrefix(strings.ToLower(host), "*.")
	return host != "" && slices.ContainsFunc(placeholderDomains, func(d string) bool {
		return host == d || strings.HasSuffix(host, "."+d)
	})
}

// isPlaceholderArn reports whether an ARN names a documentation account or
// an all-zero resource ID.
func isPlaceholderArn(arn string) bool {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return false
	}
	id := parts[5][strings.LastIndex(parts[5], "/")+1:]
	return slices.Contains(placeholderAccounts, parts[4]) || strings.Trim(id, "0-") == ""
}
