// Command zdt-lab runs the local lab: a real Kubernetes on this machine, an
// emulated AWS Load Balancer Controller and ALB, and the rollout scenarios,
// then prints the table of failed requests per scenario and path.
//
// Usage (as root; `make lab` builds what it needs first):
//
//	zdt-lab [--scenarios 1-no-probes,ZeroDowntimeApp] [--json report.json] [--keep]
//	zdt-lab --sweep 2s,5s,10s,30s,60s [--sweep-configs 4-readiness-gate,ZeroDowntimeApp] [--repeat 3] [--chart sweep.svg] [--table sweep.txt]
//	zdt-lab --closed-loop 500ms [--propagation 8s] --scenarios 1-no-probes,2-probes,3-prestop,4-readiness-gate
//	zdt-lab --lbc v2 --scenarios ZeroDowntimeApp
//
// The load is the lab's request mix (short GETs, long GETs of the app's
// longest request, POSTs) at --rate per path; --closed-loop replaces it by
// the field report's curl loop (one GET at a time, this long apart) to
// compare the report's rows at its own sampling. --lbc v2 emulates the LBC
// before v3.4.0, which re-checks pending readiness gates only on its requeue
// and on EndpointSlice or Service changes, not on pod updates.
//
// --sweep rolls each configuration (default all: the field report's steps 3
// and 4, ZeroDowntimeApp, ZeroDowntimeApp with a larger allowance) --repeat
// times per fixed emulated ALB propagation, prints the aggregated table
// (failures per path and class, a 95 % bound on the rate where none failed)
// and charts failed requests against each configuration's predicted
// boundary.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/zdt-eks/zdt/lab"
	"github.com/zdt-eks/zdt/lab/cluster"
	"github.com/zdt-eks/zdt/lab/emulator"
	"github.com/zdt-eks/zdt/lab/scenario"
)

func main() {
	os.Exit(run())
}

func run() int {
	var (
		opts        lab.Options
		scenarios   string
		jsonPath    string
		sweep       string
		configs     string
		repeats     int
		chartPath   string
		tablePath   string
		propagation time.Duration
		lbcMode     string
		checks      string
	)
	flag.StringVar(&opts.WorkDir, "work", "", "work directory holding all lab state (default <repo>/work/lab)")
	flag.StringVar(&scenarios, "scenarios", "", "comma-separated scenarios to run (default all: "+strings.Join(lab.AllScenarios, ",")+")")
	flag.StringVar(&jsonPath, "json", "", "also write the full report as JSON to this file")
	flag.IntVar(&opts.Rate, "rate", 20, "verifier rate per path, requests per second (open loop)")
	flag.IntVar(&opts.SustainedRate, "sustained-rate", 100, "verifier rate per path in the sustained scenario")
	flag.DurationVar(&opts.ClosedLoop, "closed-loop", 0, "instead of the lab's open-loop mix, the field report's load: one GET at a time per path, the next this long after the previous one ended (the report's curl loop: 500ms)")
	flag.DurationVar(&propagation, "propagation", 0, "run every scenario at this fixed emulated ALB propagation on every node instead of the evidence-based distribution (e.g. 8s, under the field report's 10 s preStop)")
	flag.StringVar(&lbcMode, "lbc", "v3.5", "emulated LBC behaviour: v3.5 (reconciles on pod updates, since v3.4.0) or v2 (requeue and EndpointSlice/Service events only)")
	flag.StringVar(&checks, "alb-health-checks", "per-node/any", "emulated ALB health checks: per-node/any (each node checks on its own; the gate turns True on the first node's pass), per-node/all (on every node's) or shared (one view for every node)")
	flag.BoolVar(&opts.KeepCluster, "keep", false, "leave the cluster running afterwards (make lab-down stops it)")
	flag.StringVar(&sweep, "sweep", "", "instead of the scenarios, roll each sweep configuration at each of these fixed propagations (e.g. 2s,5s,10s,30s,60s)")
	flag.StringVar(&configs, "sweep-configs", "", "with --sweep: comma-separated configurations (default: "+strings.Join(lab.DefaultSweepConfigs, ",")+"; also: "+strings.Join(lab.SweepConfigs[len(lab.DefaultSweepConfigs):], ",")+")")
	flag.IntVar(&repeats, "repeat", 1, "with --sweep: rollouts per configuration and propagation")
	flag.StringVar(&chartPath, "chart", "", "with --sweep: write the chart here, SVG or, for a .png name, PNG (default <work>/sweep.svg)")
	flag.StringVar(&tablePath, "table", "", "with --sweep: also write the aggregated table (text) here")
	flag.Parse()
	if opts.ClosedLoop < 0 {
		fmt.Fprintf(os.Stderr, "zdt-lab: --closed-loop %s: must be positive (the field report's: 500ms)\n", opts.ClosedLoop)
		return 2
	}
	if propagation < 0 {
		fmt.Fprintf(os.Stderr, "zdt-lab: --propagation %s: must be positive\n", propagation)
		return 2
	}
	if lbcMode != "v3.5" && lbcMode != "v2" {
		fmt.Fprintf(os.Stderr, "zdt-lab: --lbc %q: must be v3.5 or v2\n", lbcMode)
		return 2
	}
	perNode, aggregation, ok := parseHealthChecks(checks)
	if !ok {
		fmt.Fprintf(os.Stderr, "zdt-lab: --alb-health-checks %q: must be per-node/any, per-node/all or shared\n", checks)
		return 2
	}
	s := lab.LabEmulatorSettings()
	if propagation > 0 {
		s.DeregistrationPropagation = emulator.FixedPropagation(propagation)
	}
	s.ReconcileOnPodEvents = lbcMode == "v3.5"
	s.PerNodeHealthChecks, s.HealthAggregation = perNode, aggregation
	opts.Emulator = &s
	if scenarios != "" {
		opts.Scenarios = strings.Split(scenarios, ",")
	}
	if sweep != "" {
		var cs []string
		if configs != "" {
			cs = strings.Split(configs, ",")
		}
		names, err := lab.ParseSweep(sweep, cs, repeats)
		if err != nil {
			fmt.Fprintln(os.Stderr, "zdt-lab:", err)
			return 2
		}
		opts.Scenarios = names
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
		if err := writeFile(jsonPath, "json report", func(w io.Writer) error { return scenario.WriteJSON(w, results) }); err != nil {
			fmt.Fprintln(os.Stderr, "zdt-lab:", err)
			return 1
		}
		fmt.Println("JSON report:", jsonPath)
	}
	if runErr != nil {
		fmt.Fprintln(os.Stderr, "zdt-lab:", runErr)
	}
	if sweep != "" {
		if err := reportSweep(results, tablePath); err != nil {
			fmt.Fprintln(os.Stderr, "zdt-lab:", err)
			return 1
		}
		if chartPath == "" {
			chartPath = filepath.Join(repo, "work", "lab", "sweep.svg")
			if opts.WorkDir != "" {
				chartPath = filepath.Join(opts.WorkDir, "sweep.svg")
			}
		}
		if err := writeFile(chartPath, chartPath, func(w io.Writer) error { return lab.WriteSweepChart(w, results, chartFormat(chartPath)) }); err != nil {
			fmt.Fprintln(os.Stderr, "zdt-lab:", err)
			return 1
		}
		fmt.Println("Sweep chart:", chartPath)
	}
	if runErr != nil {
		return 1
	}
	return 0
}

// writeFile creates path and writes it with write, naming what in errors.
func writeFile(path, what string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer f.Close()
	if err := write(f); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return f.Close()
}

// reportSweep prints the sweep's aggregated table, and writes it to path
// when set.
func reportSweep(results []scenario.Result, path string) error {
	rows := lab.AggregateSweep(results)
	fmt.Println()
	fmt.Println("Sweep, per configuration and fixed propagation (failed/requests summed over the repeats):")
	if err := lab.WriteSweepTable(os.Stdout, rows); err != nil {
		return fmt.Errorf("sweep table: %w", err)
	}
	if path == "" {
		return nil
	}
	return writeFile(path, "sweep table", func(w io.Writer) error { return lab.WriteSweepTable(w, rows) })
}

// chartFormat is the chart's format from its file name: png for .png, else svg.
func chartFormat(path string) string {
	if strings.EqualFold(filepath.Ext(path), ".png") {
		return "png"
	}
	return "svg"
}

// parseHealthChecks reads --alb-health-checks.
func parseHealthChecks(v string) (perNode bool, how emulator.HealthAggregation, ok bool) {
	switch v {
	case "per-node/any":
		return true, emulator.AggregateAny, true
	case "per-node/all":
		return true, emulator.AggregateAll, true
	case "shared":
		return false, emulator.AggregateAny, true
	}
	return false, "", false
}
