// Command main is the entry point the Pulumi CLI runs (Pulumi.yaml `main`).
// All of the program is infra.Program.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zdt-eks/zdt/infra"
)

func main() {
	pulumi.Run(infra.Program)
}
