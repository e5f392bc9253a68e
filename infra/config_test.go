package infra

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// stacks are the stack files under stacks/.
var stacks = []string{"dev", "prod", "local"}

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
			// And the program accepts the whole stack.
			cfg := stackConfig(t, stack, nil)
			if stack == "local" {
				cfg["zdt:kubeconfigPath"] = writeKubeconfig(t)
			}
			if _, err := loadConfig(stack, "", lookup(cfg)); err != nil {
				t.Errorf("stack %s: %v", stack, err)
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
		{"unknown platform", map[string]string{"zdt:platform": "gke"}, []string{"zdt:platform", "use eks or local"}},
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
		{"scheme", map[string]string{"zdt:ingressScheme": "public"}, []string{"zdt:ingressScheme", "internet-facing or internal"}},
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
