// Command labctl manages the lab's local Kubernetes cluster (lab/cluster):
//
//	labctl up [flags]          bring the cluster up (idempotent, resumable)
//	labctl down [--work-dir] [--purge]  stop it and remove what it left on the machine
//	labctl status [--work-dir] show its processes, apiserver and node state
//	labctl kubeconfig          print the admin kubeconfig's path
//
// Run it as root from the repository (make lab-up / make lab-down). The
// default work directory is <repo>/work/lab.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/zdt-eks/zdt/lab/cluster"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: labctl <command> [flags]

commands:
  up          bring the lab cluster up (idempotent, resumable)
  down        stop the cluster and remove what it left on the machine
  status      show the cluster's processes, apiserver and node state
  kubeconfig  print the path of the admin kubeconfig

Run "labctl <command> -h" for the flags of a command.
`

// run is main without os.Exit: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "up":
		err = up(ctx, rest, stdout, stderr)
	case "down":
		err = down(ctx, rest, stdout, stderr)
	case "status":
		err = status(ctx, rest, stdout, stderr)
	case "kubeconfig":
		err = kubeconfig(rest, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "labctl: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case err != nil:
		fmt.Fprintln(stderr, "labctl:", err)
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

// parse parses fs and rejects positional arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "labctl %s: unexpected arguments %q\n", fs.Name(), fs.Args())
		return errUsage
	}
	return nil
}

// workDir returns the flag's value or the default work directory.
func workDir(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	return cluster.DefaultWorkDir()
}

func up(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c cluster.Config
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.WorkDir, "work-dir", "", "work directory holding all state (default <repo>/work/lab)")
	fs.StringVar(&c.BinDir, "bin-dir", "", "directory of the Kubernetes binaries (default <repo>/.cache/kubernetes/<pinned version>/bin)")
	fs.StringVar(&c.NodeName, "node-name", "", "node name (default zdt-lab)")
	fs.StringVar(&c.NodeIP, "node-ip", "", "node IP (default the address of the default route)")
	fs.StringVar(&c.PodCIDR, "pod-cidr", "", "pod CIDR of the node (default 10.244.1.0/24)")
	fs.StringVar(&c.ServiceCIDR, "service-cidr", "", "service CIDR (default 10.96.0.0/16)")
	fs.StringVar(&c.APIServerAddress, "apiserver-address", "", "apiserver bind address (default 127.0.0.1)")
	fs.IntVar(&c.APIServerPort, "apiserver-port", 0, "apiserver port (default 6443)")
	fs.BoolVar(&c.SkipPackages, "skip-packages", false, "do not check or install Debian packages")
	fs.DurationVar(&c.StartTimeout, "timeout", 0, "bound on each readiness wait (default 2m)")
	if err := parse(fs, args); err != nil {
		return err
	}
	c.Progress = stdout
	cl, err := cluster.Up(ctx, c)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nexport KUBECONFIG=%s\n", cl.Kubeconfig())
	return nil
}

func down(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("down", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("work-dir", "", "work directory of the cluster (default <repo>/work/lab)")
	purge := fs.Bool("purge", false, "also delete the work directory (certificates, etcd data, images, logs)")
	if err := parse(fs, args); err != nil {
		return err
	}
	wd, err := workDir(*dir)
	if err != nil {
		return err
	}
	if err := cluster.DownTo(ctx, wd, stdout); err != nil {
		return err
	}
	if *purge {
		if err := cluster.Purge(wd); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed %s\n", wd)
	}
	return nil
}

func status(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	wd, err := workDirArg("status", args, stderr)
	if err != nil {
		return err
	}
	rep, err := cluster.Status(ctx, wd)
	if err != nil {
		return err
	}
	rep.Print(stdout)
	if !rep.Running() {
		return errors.New("cluster is not running")
	}
	return nil
}

func kubeconfig(args []string, stdout, stderr io.Writer) error {
	wd, err := workDirArg("kubeconfig", args, stderr)
	if err != nil {
		return err
	}
	cl, err := cluster.Open(wd)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, cl.Kubeconfig())
	return nil
}

// workDirArg parses the --work-dir flag of a subcommand that takes only it.
func workDirArg(name string, args []string, stderr io.Writer) (string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("work-dir", "", "work directory of the cluster (default <repo>/work/lab)")
	if err := parse(fs, args); err != nil {
		return "", err
	}
	return workDir(*dir)
}
