package infra

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zdt-eks/zdt/components/zerodowntime"
)

// stacks are the stack files under stacks/.
var stacks = []string{"dev", "prod", "local", "existing"}

// providerKeys are the non-project config keys a stack file may set.
var providerKeys = map[string]bool{"aws:region": true}

// TestPulumiYAMLMatchesSettings keeps Pulumi.yaml's typed config section and
// the program's Settings table identical: same keys, types, defaults and
// descriptions.
func TestPulumiYAMLMatchesSettings(t *testing.T) {
	proj := loadProject(t)
	if proj.Name.String() != Project || proj.Runtime.Name() != "go" || proj.Main != "infra/main" || proj.StackConfigDir != "stacks" {
		t.Errorf("project name/runtime/main/stackConfigDir = %s/%s/%s/%s", proj.Name, proj.Runtime.Name(), proj.Main, proj.StackConfigDir)
	}
	declared := map[string]bool{}
	for _, s := range Settings {
		declared[s.FullKey()] = true
		decl, ok := proj.Config[s.FullKey()]
		if !ok {
			t.Errorf("Pulumi.yaml does not declare %s", s.FullKey())
			continue
		}
		if decl.Type == nil || *decl.Type != s.Type {
			t.Errorf("%s: Pulumi.yaml type %v, program reads %s", s.FullKey(), decl.Type, s.Type)
		}
		if s.Type == typeArray && (decl.Items == nil || decl.Items.Type != typeString) {
			t.Errorf("%s: Pulumi.yaml must declare items: {type: string}", s.FullKey())
		}
		if decl.Description != s.Description {
			t.Errorf("%s: description differs:\n Pulumi.yaml: %s\n program:     %s", s.FullKey(), decl.Description, s.Description)
		}
		if !reflect.DeepEqual(normalize(decl.Default), normalize(s.Default)) {
			t.Errorf("%s: Pulumi.yaml default %#v, program default %#v", s.FullKey(), decl.Default, s.Default)
		}
		if decl.Secret {
			t.Errorf("%s: declared secret in Pulumi.yaml, but the program reads it as plain config", s.FullKey())
		}
	}
	for key := range proj.Config {
		if !declared[key] {
			t.Errorf("Pulumi.yaml declares %s, which the program does not read", key)
		}
	}
}

// normalize maps YAML and Go literals to comparable values.
func normalize(v any) any {
	switch x := v.(type) {
	case float64:
		return int(x)
	case []any:
		out := []any{}
		return append(out, x...)
	}
	return v
}

// TestStackFilesSatisfyProjectConfig checks every stack file against the
// typed config in Pulumi.yaml, as `pulumi up` would: each key declared,
// each value of its declared type, no plain-text secrets.
func TestStackFilesSatisfyProjectConfig(t *testing.T) {
	proj := loadProject(t)
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			for key, value := range stackFile(t, stack) {
				if !strings.HasPrefix(key, Project+":") {
					if !providerKeys[key] {
						t.Errorf("%s: provider key not expected in stack files", key)
					}
					continue
				}
				decl, ok := proj.Config[key]
				if !ok {
					t.Errorf("%s is not declared in Pulumi.yaml", key)
					continue
				}
				if !workspace.ValidateConfigValue(*decl.Type, decl.Items, value) {
					t.Errorf("%s = %#v is not of the declared type %s", key, value, *decl.Type)
				}
				lower := strings.ToLower(key)
				if strings.Contains(lower, "password") || strings.Contains(lower, "token") || strings.Contains(lower, "secret") {
					t.Errorf("%s looks like a secret in plain text; use `pulumi config set --secret`", key)
				}
			}
			// And the program accepts the whole stack, except prod's
			// documentation values outside render mode.
			cfg := stackConfig(t, stack, nil)
			if stack == "local" || stack == "existing" {
				cfg["zdt:kubeconfigPath"] = writeKubeconfig(t)
			}
			_, err := loadConfig(stack, "", lookup(cfg))
			switch {
			case stack == "prod" && (err == nil || !strings.Contains(err.Error(), "zdt:host") || !strings.Contains(err.Error(), "zdt:certificateArn")):
				t.Errorf("stack prod: %v, want its placeholder host and certificate refused", err)
			case stack != "prod" && err != nil:
				t.Errorf("stack %s: %v", stack, err)
			}
			cfg["zdt:renderDir"] = t.TempDir()
			if _, err := loadConfig(stack, "", lookup(cfg)); err != nil {
				t.Errorf("stack %s in render mode: %v", stack, err)
			}
		})
	}
}

// TestStacksDifferOnlyInEnvironment keeps dev and prod identical apart from
// what environments genuinely differ in.
func TestStacksDifferOnlyInEnvironment(t *testing.T) {
	allowed := map[string]bool{
		"zdt:availabilityZones": true, "zdt:natGatewayPerAz": true, "zdt:nodeInstanceTypes": true,
		"zdt:nodeMinSize": true, "zdt:nodeDesiredSize": true, "zdt:nodeMaxSize": true,
		"zdt:replicas": true, "zdt:host": true, "zdt:certificateArn": true,
	}
	dev, prod := stackConfig(t, "dev", nil), stackConfig(t, "prod", nil)
	for key := range mergeKeys(dev, prod) {
		if dev[key] != prod[key] && !allowed[key] {
			t.Errorf("%s differs between dev (%q) and prod (%q)", key, dev[key], prod[key])
		}
	}
}

func mergeKeys(maps ...map[string]string) map[string]bool {
	keys := map[string]bool{}
	for _, m := range maps {
		for k := range m {
			keys[k] = true
		}
	}
	return keys
}

func lookup(cfg map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := cfg[k]; return v, ok }
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := loadConfig("dev", "", lookup(map[string]string{
		"aws:region": "eu-west-1", "zdt:availabilityZones": `["eu-west-1a","eu-west-1b"]`,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Platform != PlatformEKS || c.ClusterName != "zdt-dev" || c.KubernetesVersion != "1.34" || c.Replicas != 3 ||
		!reflect.DeepEqual(c.NodeInstanceTypes, []string{"t3.medium"}) || c.NatGatewayPerAz || c.Namespace != "zdt-demo" {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestLoadConfigErrorsNameTheKey(t *testing.T) {
	eks := map[string]string{"aws:region": "eu-west-1", "zdt:availabilityZones": `["eu-west-1a","eu-west-1b"]`}
	missing := filepath.Join(t.TempDir(), "absent")
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		set  map[string]string
		want []string
	}{
		{"unknown platform", map[string]string{"zdt:platform": "gke"}, []string{"zdt:platform", "use eks, existing or local"}},
		{"replicas not integer", map[string]string{"zdt:replicas": "3.5"}, []string{"zdt:replicas", "not an integer", "pulumi config set zdt:replicas"}},
		{"replicas zero", map[string]string{"zdt:replicas": "0"}, []string{"zdt:replicas", "not a pod count"}},
		{"boolean", map[string]string{"zdt:natGatewayPerAz": "maybe"}, []string{"zdt:natGatewayPerAz", "not a boolean"}},
		{"list", map[string]string{"zdt:nodeInstanceTypes": "t3.medium"}, []string{"zdt:nodeInstanceTypes", "not a list of strings"}},
		{"region missing", map[string]string{"aws:region": ""}, []string{"aws:region", "pulumi config set aws:region"}},
		{"one zone", map[string]string{"zdt:availabilityZones": `["eu-west-1a"]`}, []string{"zdt:availabilityZones", "has 1 zone"}},
		{"duplicate zone", map[string]string{"zdt:availabilityZones": `["eu-west-1a","eu-west-1a"]`}, []string{"zdt:availabilityZones", "distinct"}},
		{"bad cidr", map[string]string{"zdt:vpcCidr": "10.0.0.0/8"}, []string{"zdt:vpcCidr", "/16 to /20"}},
		{"existing vpc without subnets", map[string]string{"zdt:vpcId": "vpc-0abc"}, []string{"zdt:publicSubnetIds", "zdt:privateSubnetIds"}},
		{"bad vpc id", map[string]string{"zdt:vpcId": "my-vpc", "zdt:publicSubnetIds": `["subnet-1","subnet-2"]`, "zdt:privateSubnetIds": `["subnet-3","subnet-4"]`}, []string{"zdt:vpcId", "not a VPC ID"}},
		{"node sizes", map[string]string{"zdt:nodeMinSize": "3", "zdt:nodeDesiredSize": "2"}, []string{"zdt:nodeDesiredSize", "not ordered"}},
		{"no instance types", map[string]string{"zdt:nodeInstanceTypes": "[]"}, []string{"zdt:nodeInstanceTypes", "is empty"}},
		{"kubernetes version", map[string]string{"zdt:kubernetesVersion": "latest"}, []string{"zdt:kubernetesVersion", "1.34"}},
		{"scheme", map[string]string{"zdt:ingressScheme": "public"}, []string{"config zdt:ingressScheme:", "not an ALB scheme"}},
		{"ingress class", map[string]string{"zdt:ingressClass": "ALB"}, []string{"config zdt:ingressClass:", "not an IngressClass name"}},
		{"host", map[string]string{"zdt:host": "https://app.corp.internal"}, []string{"config zdt:host:", "not a host name"}},
		{"certificate", map[string]string{"zdt:certificateArn": "cert-1"}, []string{"config zdt:certificateArn:", "not a certificate ARN"}},
		{"one replica", map[string]string{"zdt:replicas": "1"}, []string{"config zdt:replicas:", "only pod", "change zdt:replicas"}},
		{"replicas negative", map[string]string{"zdt:replicas": "-2"}, []string{"config zdt:replicas:", "not a pod count"}},
		{"timing model", map[string]string{"zdt:healthCheckIntervalSeconds": "400"}, []string{"config zdt:healthCheckIntervalSeconds:", "outside the ALB's range"}},
		{"app name", map[string]string{"zdt:appName": "Demo"}, []string{"config zdt:appName:", "DNS-1035"}},
		{"placeholder host", map[string]string{"zdt:host": "app.example.com"}, []string{"config zdt:host:", "placeholder", "pulumi config set zdt:host"}},
		{"placeholder certificate", map[string]string{"zdt:certificateArn": "arn:aws:acm:eu-west-1:111122223333:certificate/abc"}, []string{"config zdt:certificateArn:", "placeholder"}},
		{"admin not an ARN", map[string]string{"zdt:adminPrincipalArns": `["deploy"]`}, []string{"config zdt:adminPrincipalArns:", "not an IAM role or user ARN"}},
		{"admin session", map[string]string{"zdt:adminPrincipalArns": `["arn:aws:sts::210987654321:assumed-role/deploy/gh-1"]`}, []string{"zdt:adminPrincipalArns", "assumed-role session"}},
		{"principal twice", map[string]string{
			"zdt:adminPrincipalArns":    `["arn:aws:iam::210987654321:role/ops"]`,
			"zdt:readOnlyPrincipalArns": `["arn:aws:iam::210987654321:role/ops"]`,
		}, []string{"config zdt:readOnlyPrincipalArns:", "also in zdt:adminPrincipalArns"}},
		{"placeholder principal", map[string]string{"zdt:readOnlyPrincipalArns": `["arn:aws:iam::123456789012:role/preview"]`}, []string{"zdt:readOnlyPrincipalArns", "placeholder"}},
		{"one node", map[string]string{"zdt:nodeMinSize": "1", "zdt:nodeDesiredSize": "1"}, []string{"config zdt:nodeMinSize:", "different nodes"}},
		{"namespace exists on eks", map[string]string{"zdt:namespaceExists": "true"}, []string{"config zdt:namespaceExists:", "existing and local"}},
		{"existing needs image", map[string]string{"zdt:platform": "existing", "zdt:kubeconfigPath": empty}, []string{"config zdt:image:", "required on the existing platform"}},
		{"existing needs kubeconfig", map[string]string{"zdt:platform": "existing", "zdt:image": "r/app:v1"}, []string{"config zdt:kubeconfigPath:", "required on the existing platform"}},
		{"timing", map[string]string{"zdt:bootSeconds": "0"}, []string{"zdt:bootSeconds", "positive"}},
		{"namespace", map[string]string{"zdt:namespace": "Demo_NS"}, []string{"zdt:namespace", "not a valid namespace"}},
		{"platform for image", map[string]string{"zdt:imagePlatform": "windows/amd64"}, []string{"zdt:imagePlatform"}},
		{"local needs kubeconfig", map[string]string{"zdt:platform": "local"}, []string{"zdt:kubeconfigPath", "required on the local platform"}},
		{"local kubeconfig missing", map[string]string{"zdt:platform": "local", "zdt:kubeconfigPath": missing}, []string{"zdt:kubeconfigPath", "cannot read"}},
		{"local kubeconfig empty", map[string]string{"zdt:platform": "local", "zdt:kubeconfigPath": empty}, []string{"zdt:kubeconfigPath", "is empty"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := map[string]string{}
			for k, v := range eks {
				cfg[k] = v
			}
			for k, v := range tc.set {
				if v == "" {
					delete(cfg, k)
				} else {
					cfg[k] = v
				}
			}
			_, err := loadConfig("dev", "", lookup(cfg))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestLoadConfigLocalResolvesRelativeKubeconfig(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "work"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "work", "kubeconfig"), []byte("kind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig("local", root, lookup(map[string]string{"zdt:platform": "local", "zdt:kubeconfigPath": "work/kubeconfig"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Kubeconfig != "kind: Config\n" {
		t.Errorf("kubeconfig = %q", c.Kubeconfig)
	}
}

// TestNamespaceRulesAgree: config validation accepts exactly the namespace
// names the component accepts (it delegates to the component).
func TestNamespaceRulesAgree(t *testing.T) {
	base := map[string]string{"aws:region": "eu-west-1", "zdt:availabilityZones": `["eu-west-1a","eu-west-1b"]`}
	for _, ns := range []string{"zdt-demo", "1team", "team-1", "Team", "-a", "a-", "a.b", strings.Repeat("a", 63), strings.Repeat("a", 64)} {
		cfg := map[string]string{"zdt:namespace": ns}
		for k, v := range base {
			cfg[k] = v
		}
		_, err := loadConfig("dev", "", lookup(cfg))
		configRefuses := err != nil && strings.Contains(err.Error(), "config zdt:namespace:")
		_, _, compErr := zerodowntime.Validate("app", zerodowntime.Args{
			Namespace: pulumi.String(ns), Image: pulumi.String("img:v1"),
		})
		componentRefuses := compErr != nil && strings.Contains(compErr.Error(), "Namespace:")
		if configRefuses != componentRefuses {
			t.Errorf("namespace %q: config refuses %v, component refuses %v (%v / %v)", ns, configRefuses, componentRefuses, err, compErr)
		}
	}
}

// TestConfigErrorsNameNoComponentField: a problem found by the component is
// reported under config keys, never the component's field names.
func TestConfigErrorsNameNoComponentField(t *testing.T) {
	_, err := loadConfig("dev", "", lookup(map[string]string{
		"aws:region": "eu-west-1", "zdt:availabilityZones": `["eu-west-1a","eu-west-1b"]`,
		"zdt:replicas": "1", "zdt:namespace": "Bad_NS", "zdt:maxRequestSeconds": "90",
	}))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, field := range []string{"Replicas:", "Namespace:", "Timing.MaxRequestSeconds", "Ingress.IdleTimeoutSeconds:"} {
		if strings.Contains(err.Error(), field) {
			t.Errorf("error names the component field %q:\n%v", field, err)
		}
	}
	for _, key := range []string{"zdt:replicas", "zdt:namespace", "zdt:maxRequestSeconds"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s:\n%v", key, err)
		}
	}
}
