package engine

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Tools are the Pulumi CLI and the PULUMI_HOME (with the installed plugins)
// the driver runs.
type Tools struct {
	PulumiBin  string
	PulumiHome string
}

// Modules whose pinned versions name the tools. The CLI is pinned by its
// build module; the kubernetes plugin's version is the kubernetes SDK
// version the programs use, pinned by the repository's go.mod.
const (
	cliModule           = "github.com/pulumi/pulumi/pkg/v3"
	kubernetesSDKModule = "github.com/pulumi/pulumi-kubernetes/sdk/v4"
)

// CachedTools returns where `make engine-tools` puts the tools for the
// repository at repoRoot: <cache>/pulumi/<version>/bin/pulumi and
// <cache>/pulumi/home, with <cache> = $ZDT_CACHE or <repoRoot>/.cache (the
// Makefile's CACHE). $ZDT_PULUMI_BIN and $ZDT_PULUMI_HOME override each.
// It does not check that they exist; see Check.
func CachedTools(repoRoot string) (Tools, error) {
	cache := os.Getenv("ZDT_CACHE")
	if cache == "" {
		cache = filepath.Join(repoRoot, ".cache")
	}
	t := Tools{
		PulumiBin:  os.Getenv("ZDT_PULUMI_BIN"),
		PulumiHome: os.Getenv("ZDT_PULUMI_HOME"),
	}
	if t.PulumiBin == "" {
		v, err := PinnedCLIVersion(repoRoot)
		if err != nil {
			return t, err
		}
		t.PulumiBin = filepath.Join(cache, "pulumi", v, "bin", "pulumi")
	}
	if t.PulumiHome == "" {
		t.PulumiHome = filepath.Join(cache, "pulumi", "home")
	}
	return t, nil
}

// Where `make yaml-host` and `make provider` put the binaries a Pulumi YAML
// program using the zdt component package runs with.
const (
	yamlModule      = "github.com/pulumi/pulumi-yaml"
	providerBinary  = "pulumi-resource-zdt"
	yamlHostBinary  = "pulumi-language-yaml"
	providerBinDir  = "bin"
	yamlHostModFile = "tools/pulumi-yaml/go.mod"
)

// PackagePlugins returns the plugins a Pulumi YAML program using the zdt
// package (examples/yaml) needs, for Options.Plugins: the YAML language host
// at <cache>/pulumi-yaml/<version>/ (version from tools/pulumi-yaml/go.mod;
// <cache> as in CachedTools) and the provider plugin in <repoRoot>/bin. It
// fails naming the make target when one is not built.
func PackagePlugins(repoRoot string) ([]Plugin, error) {
	cache := os.Getenv("ZDT_CACHE")
	if cache == "" {
		cache = filepath.Join(repoRoot, ".cache")
	}
	v, err := requiredVersion(filepath.Join(repoRoot, filepath.FromSlash(yamlHostModFile)), yamlModule)
	if err != nil {
		return nil, err
	}
	plugins := []Plugin{
		{Kind: "languages", Name: "yaml", Dir: filepath.Join(cache, "pulumi-yaml", v)},
		{Kind: "providers", Name: "zdt", Dir: filepath.Join(repoRoot, providerBinDir)},
	}
	for i, file := range []string{yamlHostBinary, providerBinary} {
		if _, err := os.Stat(filepath.Join(plugins[i].Dir, file)); err != nil {
			return nil, fmt.Errorf("no %s in %s (run `make yaml-host provider`)", file, plugins[i].Dir)
		}
	}
	return plugins, nil
}

// PinnedCLIVersion is the Pulumi CLI version tools/pulumi/go.mod pins.
func PinnedCLIVersion(repoRoot string) (string, error) {
	return requiredVersion(filepath.Join(repoRoot, "tools", "pulumi", "go.mod"), cliModule)
}

// PinnedKubernetesVersion is the kubernetes plugin version the programs
// need: the kubernetes SDK version in the repository's go.mod.
func PinnedKubernetesVersion(repoRoot string) (string, error) {
	return requiredVersion(filepath.Join(repoRoot, "go.mod"), kubernetesSDKModule)
}

// CheckCLI reports why the CLI cannot be used, or nil.
func (t Tools) CheckCLI() error {
	if fi, err := os.Stat(t.PulumiBin); err != nil || fi.IsDir() {
		return fmt.Errorf("no Pulumi CLI at %s (run `make pulumi-cli`)", t.PulumiBin)
	}
	return nil
}

// CheckPlugin reports why the resource plugin name at version (e.g.
// "kubernetes", "v4.32.0") is not installed in PulumiHome, or nil.
func (t Tools) CheckPlugin(name, version string) error {
	dir := filepath.Join(t.PulumiHome, "plugins", "resource-"+name+"-v"+strings.TrimPrefix(version, "v"))
	if _, err := os.Stat(filepath.Join(dir, "pulumi-resource-"+name)); err != nil {
		return fmt.Errorf("no %s plugin %s in %s (run `make pulumi-provider`)", name, version, t.PulumiHome)
	}
	return nil
}

// requiredVersion reads module's version from a go.mod require line (a
// one-line require or a line of a require block).
func requiredVersion(gomod, module string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 0 && fields[0] == "require" {
			fields = fields[1:]
		}
		if len(fields) >= 2 && fields[0] == module {
			return fields[1], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", errors.New(gomod + " does not require " + module)
}
