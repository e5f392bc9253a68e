// Command pulumi-resource-zdt is the ZeroDowntimeApp component package's
// provider plugin: the Pulumi engine starts it for any program that uses the
// zdt package (TypeScript, Python, YAML, .NET, Go SDKs).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/zdt-eks/zdt/provider"
)

func main() {
	if err := provider.Run(context.Background()); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-zdt: %v\n", err)
		os.Exit(1)
	}
}
