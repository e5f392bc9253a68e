// Command zdt-lab runs the local lab: a real Kubernetes on this machine, an
// emulated AWS Load Balancer Controller and ALB, and the rollout scenarios,
// then prints the table of failed requests per scenario and path.
//
// Usage (as root; `make lab` builds what it needs first):
//
//	zdt-lab [--scenarios 1-no-probes,ZeroDowntimeApp] [--json report.json] [--keep]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/zdt-eks/zdt/lab"
	"github.com/zdt-eks/zdt/lab/cluster"
	"github.com/zdt-eks/zdt/lab/scenario"
)

func main() {
	os.Exit(run())
}

func run() int {
	var (
		opts      lab.Options
		scenarios string
		jsonPath  string
	)
	flag.StringVar(&opts.WorkDir, "work", "", "work directory holding all lab state (default <repo>/work/lab)")
	flag.StringVar(&scenarios, "scenarios", "", "comma-separated scenarios to run (default all: "+strings.Join(lab.AllScenarios, ",")+")")
	flag.StringVar(&jsonPath, "json", "", "also write the full report as JSON to this file")
	flag.IntVar(&opts.Rate, "rate", 20, "verifier rate per path, requests per second (open loop)")
	flag.IntVar(&opts.SustainedRate, "sustained-rate", 100, "verifier rate per path in the sustained scenario")
	flag.BoolVar(&opts.KeepCluster, "keep", false, "leave the cluster running afterwards (make lab-down stops it)")
	flag.Parse()
	if scenarios != "" {
		opts.Scenarios = strings.Split(scenarios, ",")
	}
	repo, err := cluster.FindRepoDir(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "zdt-lab:", err)
		return 2
	}
	opts.RepoDir = repo

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	results, runErr := lab.Run(ctx, opts)

	fmt.Println()
	fmt.Println("Failed requests during each rollout (external = through the emulated ALB, internal = the ClusterIP):")
	if err := scenario.WriteTable(os.Stdout, results); err != nil {
		fmt.Fprintln(os.Stderr, "zdt-lab: table:", err)
	}
	if jsonPath != "" {
		if err := writeJSON(jsonPath, results); err != nil {
			fmt.Fprintln(os.Stderr, "zdt-lab:", err)
			return 1
		}
		fmt.Println("JSON report:", jsonPath)
	}
	if runErr != nil {
		fmt.Fprintln(os.Stderr, "zdt-lab:", runErr)
		return 1
	}
	return 0
}

func writeJSON(path string, results []scenario.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("json report: %w", err)
	}
	defer f.Close()
	if err := scenario.WriteJSON(f, results); err != nil {
		return fmt.Errorf("json report: %w", err)
	}
	return f.Close()
}
