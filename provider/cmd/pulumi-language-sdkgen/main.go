// Command pulumi-language-sdkgen is a code-generation-only Pulumi language
// host, so that the pinned CLI's `pulumi package gen-sdk` can generate the
// zdt SDKs here: the official language hosts (pulumi-language-nodejs,
// -python, -go) are separate modules the Go module proxy does not serve.
// It answers GeneratePackage only, with the generators of
// github.com/pulumi/pulumi/pkg/v3 at the CLI's version (the code the
// official hosts of that version call); every other request is
// Unimplemented. Installed under the names pulumi-language-nodejs,
// pulumi-language-python and pulumi-language-go (links to this binary, see
// the Makefile's sdkgen-hosts), it picks the language from the name it
// was started as. It is a build tool: it cannot run programs.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
		os.Exit(1)
	}
}

func run() error {
	lang := strings.TrimPrefix(filepath.Base(os.Args[0]), "pulumi-language-")
	gen, ok := generators[lang]
	if !ok {
		return fmt.Errorf("started as %q: link this binary as pulumi-language-{nodejs,python,go}", os.Args[0])
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, &host{lang: lang, gen: gen})
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("serving: %w", err)
	}
	fmt.Printf("%d\n", handle.Port) // the engine reads the port from stdout
	return <-handle.Done
}

// generate returns the SDK's files for a bound package.
type generate func(pkg *schema.Package, req *pulumirpc.GeneratePackageRequest, loader schema.ReferenceLoader) (map[string][]byte, error)

var generators = map[string]generate{
	"nodejs": func(pkg *schema.Package, req *pulumirpc.GeneratePackageRequest, loader schema.ReferenceLoader) (map[string][]byte, error) {
		return nodejs.GeneratePackage("pulumi-language-nodejs", pkg, req.ExtraFiles, req.LocalDependencies, req.Local, loader)
	},
	"python": func(pkg *schema.Package, req *pulumirpc.GeneratePackageRequest, loader schema.ReferenceLoader) (map[string][]byte, error) {
		return python.GeneratePackage("pulumi-language-python", pkg, req.ExtraFiles, loader)
	},
	"go": func(pkg *schema.Package, req *pulumirpc.GeneratePackageRequest, _ schema.ReferenceLoader) (map[string][]byte, error) {
		files, err := gogen.GeneratePackage("pulumi-language-go", pkg, req.LocalDependencies)
		if err != nil {
			return nil, err
		}
		return files, addGoMod(pkg, files)
	},
}

// addGoMod adds a go.mod to the Go SDK (the official host writes one too),
// so a program can require it (with a replace to its directory): the
// module is the package's importBasePath, requiring the Pulumi Go SDK this
// binary was built with.
func addGoMod(pkg *schema.Package, files map[string][]byte) error {
	info, ok := pkg.Language["go"].(gogen.GoPackageInfo)
	if !ok || info.ImportBasePath == "" {
		return fmt.Errorf("the schema sets no language.go.importBasePath")
	}
	sdk, err := builtWith("github.com/pulumi/pulumi/sdk/v3")
	if err != nil {
		return err
	}
	dir := pkg.Name // the generator writes the package under <name>/
	files[dir+"/go.mod"] = fmt.Appendf(nil, "module %s\n\ngo 1.22\n\nrequire github.com/pulumi/pulumi/sdk/v3 %s\n", info.ImportBasePath, sdk)
	return nil
}

// builtWith returns the version of module in this binary's build.
func builtWith(module string) (string, error) {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == module {
				return dep.Version, nil
			}
		}
	}
	return "", fmt.Errorf("%s is not in the build info", module)
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	lang string
	gen  generate
}

// GetPluginInfo reports the version of the generators: the
// github.com/pulumi/pulumi/pkg/v3 module this binary was built with.
func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	v, err := builtWith("github.com/pulumi/pulumi/pkg/v3")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.PluginInfo{Version: strings.TrimPrefix(v, "v")}, nil
}

// GeneratePackage binds the schema and writes the language's SDK into
// req.Directory.
func (h *host) GeneratePackage(ctx context.Context, req *pulumirpc.GeneratePackageRequest) (*pulumirpc.GeneratePackageResponse, error) {
	client, err := schema.NewLoaderClient(req.LoaderTarget)
	if err != nil {
		return nil, fmt.Errorf("connecting to the schema loader: %w", err)
	}
	defer client.Close()
	loader := schema.NewCachedLoader(client)
	var spec schema.PackageSpec
	if err := json.Unmarshal([]byte(req.Schema), &spec); err != nil {
		return nil, fmt.Errorf("reading the schema: %w", err)
	}
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{})
	if err != nil {
		return nil, fmt.Errorf("binding the schema: %w", err)
	}
	resp := &pulumirpc.GeneratePackageResponse{Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags)}
	if diags.HasErrors() {
		return resp, nil
	}
	files, err := h.gen(pkg, req, loader)
	if err != nil {
		return nil, fmt.Errorf("generating the %s SDK: %w", h.lang, err)
	}
	for name, data := range files {
		out := filepath.Join(req.Directory, name)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(out, data, 0o644); err != nil {
			return nil, err
		}
	}
	return resp, nil
}
