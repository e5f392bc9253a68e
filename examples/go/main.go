// Command go is a ZeroDowntimeApp from Go through the generated zdt SDK, as
// a team whose Go program does not import this repository would use it
// (`pulumi package add`, see the README). A Go team that can import
// github.com/zdt-eks/zdt/components/zerodowntime gets the same component
// without the plugin. `make sdk-check` builds this against the SDK.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
	"github.com/zdt-eks/zdt/sdk/go/zdt/components"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		app, err := components.NewZeroDowntimeApp(ctx, "orders", &components.ZeroDowntimeAppArgs{
			Namespace: pulumi.String(cfg.Require("namespace")), // labelled elbv2.k8s.aws/pod-readiness-gate-inject=enabled
			Image:     pulumi.String(cfg.Require("image")),     // by digest
			Replicas:  pulumi.IntRef(3),
			Timing: components.TimingArgs{
				BootSeconds:       pulumi.Int(20),
				MaxRequestSeconds: pulumi.Int(10),
			},
			Ingress: components.IngressArgs{
				Host:   pulumi.String("orders.example.com"),
				Scheme: pulumi.String("internet-facing"),
				Tls:    components.TlsArgs{CertificateArns: pulumi.StringArray{pulumi.String(cfg.Require("certificateArn"))}},
			},
		})
		if err != nil {
			return err
		}
		ctx.Export("url", app.Url)
		return nil
	})
}
