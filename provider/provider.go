// Package provider serves the ZeroDowntimeApp component
// (components/zerodowntime) as a Pulumi component package, so that programs
// in TypeScript, Python, YAML, .NET and Go get the same validated objects.
// It is a thin layer: the schema comes from the wire types in args.go, the
// descriptions from the component's doc comments (docs.go), and Construct
// calls zerodowntime.NewZeroDowntimeApp; there is no second implementation.
// cmd/pulumi-resource-zdt runs it as the plugin `pulumi-resource-zdt`.
package provider

import (
	"context"
	"fmt"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zdt-eks/zdt/components/zerodowntime"
)

// Name is the package name: the first part of zerodowntime.TypeToken, the
// plugin's name (pulumi-resource-zdt) and the SDKs' package name.
var Name = tokenPart(0)

// module is the schema module of the component and its types ("components").
var module = tokens.ModuleName(tokenPart(1))

// Version is the package version the plugin reports and the SDKs carry;
// the build sets it (-ldflags -X, see the Makefile's PROVIDER_VERSION).
var Version = "0.1.0"

// tokenPart returns part i of zerodowntime.TypeToken (package:module:type),
// so the served token is the Go component's by construction.
func tokenPart(i int) string {
	parts := strings.Split(zerodowntime.TypeToken, ":")
	if len(parts) != 3 {
		panic(fmt.Sprintf("zerodowntime.TypeToken %q is not package:module:type", zerodowntime.TypeToken))
	}
	return parts[i]
}

// App is the component as infer sees it: its token, and Construct.
type App struct{}

// Annotate gives the component the Go component's type token.
func (App) Annotate(a infer.Annotator) {
	a.SetToken(module, tokens.TypeName(tokenPart(2)))
}

// Construct validates and registers the app with
// zerodowntime.NewZeroDowntimeApp. Invalid arguments fail here, in preview
// too, with the component's own error text. The resource option dependsOn
// becomes Args.DependsOn, so every child waits for those resources (the
// LBC's webhooks), as in a Go program.
func (App) Construct(ctx *pulumi.Context, name, typ string, args Args, opts pulumi.ResourceOption) (*zerodowntime.ZeroDowntimeApp, error) {
	a, err := toArgs(args)
	if err != nil {
		return nil, fmt.Errorf("ZeroDowntimeApp %q: %w", name, err)
	}
	ro, err := pulumi.NewResourceOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("ZeroDowntimeApp %q: resource options: %w", name, err)
	}
	a.DependsOn = ro.DependsOn
	return zerodowntime.NewZeroDowntimeApp(ctx, name, &a, opts)
}

// New returns the provider: the component, the package metadata, and the
// schema's descriptions from the component's doc comments.
func New() (p.Provider, error) {
	prov, err := infer.NewProviderBuilder().
		WithComponents(infer.Component(App{})).
		WithDisplayName("ZeroDowntimeApp").
		WithDescription("Zero-downtime rolling updates on Kubernetes behind an AWS ALB: one component whose probes, preStop, grace period, ALB health checks and readiness gates come from one timing model.").
		WithKeywords("kubernetes", "eks", "alb", "zero-downtime", "category/cloud", "kind/component").
		WithRepository("https://github.com/zdt-eks/zdt").
		WithLicense("Apache-2.0").
		WithLanguageMap(languageMap()).
		Build()
	if err != nil {
		return p.Provider{}, fmt.Errorf("building the %s provider: %w", Name, err)
	}
	return describeSchema(prov), nil
}

// languageMap is infer's default language settings plus the SDKs'
// package names (the defaults would publish under @pulumi/ and
// pulumi_zdt).
func languageMap() map[string]any {
	return map[string]any{
		"nodejs": map[string]any{"packageName": "@zdt-eks/zdt", "respectSchemaVersion": true},
		"python": map[string]any{"packageName": "zdt_eks", "respectSchemaVersion": true, "pyproject": map[string]any{"enabled": true}},
		"go": map[string]any{
			"importBasePath":                 "github.com/zdt-eks/zdt/sdk/go/zdt",
			"generateResourceContainerTypes": true,
			"respectSchemaVersion":           true,
		},
		"csharp": map[string]any{"rootNamespace": "ZdtEks", "respectSchemaVersion": true},
	}
}

// Run serves the provider on the engine's gRPC protocol (the plugin's main).
func Run(ctx context.Context) error {
	prov, err := New()
	if err != nil {
		return err
	}
	return prov.Run(ctx, Name, Version)
}
