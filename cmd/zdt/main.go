// Command zdt is the repository's command line: `zdt check` finds the
// zero-downtime failure windows in Kubernetes manifests.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the command line and returns the exit status: 0 fine, 1
// findings at or above --fail-on, 2 bad usage or input.
func run(args []string) int {
	root := &cobra.Command{
		Use:           "zdt",
		Short:         "Zero-downtime deployments on Amazon EKS",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	status := 0
	root.AddCommand(newCheckCommand(&status))
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "zdt:", err)
		return 2
	}
	return status
}
