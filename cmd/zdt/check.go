package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/zdt-eks/zdt/check"
)

// checkFlags are zdt check's flags.
type checkFlags struct {
	output      string
	failOn      string
	opts        check.Options
	kubeconfig  string
	kubeContext string
	cluster     bool
}

func newCheckCommand(status *int) *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check [paths...|-]",
		Short: "Find the zero-downtime failure windows in Kubernetes manifests",
		Long: `zdt check reads manifests (files, directories recursively, "-" for stdin;
multi-document YAML and List kinds) and, with --cluster, the objects of a live
cluster. It groups them into apps (Deployment, Services, Ingress or
TargetGroupBinding backends, Namespace, PDB, HPA) and reports each open
failure window: the mechanism, the object and field, why, the fix, and the
failed requests it predicts per path. Numbers come from the ZeroDowntimeApp
timing model; what manifests cannot tell comes from the flags below or from
the Deployment annotations ` + check.AnnotationBootSeconds + `, ` + check.AnnotationMaxRequestSeconds + `
and ` + check.AnnotationPropagationSeconds + `.

Exit status: 0, or 1 when a finding reaches --fail-on, 2 on bad input.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := runCheck(cmd.Context(), f, args, cmd.InOrStdin(), cmd.OutOrStdout())
			*status = code
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text, json or sarif")
	fl.StringVar(&f.failOn, "fail-on", "warning", "exit 1 when a finding has this severity or higher: error, warning, info or none")
	fl.IntVar(&f.opts.BootSeconds, "boot-seconds", 0, "worst-case boot time of the apps (default: the timing model's)")
	fl.IntVar(&f.opts.MaxRequestSeconds, "max-request-seconds", 0, "longest request (default: the timing model's)")
	fl.IntVar(&f.opts.DeregistrationPropagationSeconds, "propagation-seconds", 0, "allowance for the LBC and the ALB to stop routing to a deregistered target (default: the timing model's)")
	fl.StringVarP(&f.opts.DefaultNamespace, "namespace", "n", "", `namespace of objects that name none, and the namespace read with --cluster (default "default"; all namespaces with --cluster)`)
	fl.BoolVar(&f.cluster, "cluster", false, "also read the objects of a live cluster (implied by --kubeconfig or --context)")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file for --cluster (default: $KUBECONFIG or ~/.kube/config)")
	fl.StringVar(&f.kubeContext, "context", "", "kubeconfig context for --cluster")
	return cmd
}

func runCheck(ctx context.Context, f checkFlags, args []string, stdin io.Reader, stdout io.Writer) (int, error) {
	failOn, err := check.ParseSeverity(f.failOn)
	if err != nil {
		return 2, fmt.Errorf("--fail-on: %w", err)
	}
	if f.output != "text" && f.output != "json" && f.output != "sarif" {
		return 2, fmt.Errorf("--output %q: use text, json or sarif", f.output)
	}
	f.cluster = f.cluster || f.kubeconfig != "" || f.kubeContext != ""
	if len(args) == 0 && !f.cluster {
		return 2, errors.New("no input: give files, directories or - for stdin, or --cluster")
	}
	objs, err := check.LoadPaths(args, stdin)
	if err != nil {
		return 2, err
	}
	if f.cluster {
		live, err := clusterObjects(ctx, f)
		if err != nil {
			return 2, err
		}
		objs = append(objs, live...)
	}
	rep := check.Run(objs, f.opts)
	if err := write(rep, f.output, stdout); err != nil {
		return 2, err
	}
	if failOn > 0 && rep.Max() >= failOn {
		return 1, nil
	}
	return 0, nil
}

func write(rep check.Report, format string, w io.Writer) error {
	switch format {
	case "json":
		return rep.WriteJSON(w)
	case "sarif":
		return rep.WriteSARIF(w)
	}
	color := false
	if file, ok := w.(*os.File); ok && os.Getenv("NO_COLOR") == "" {
		color = term.IsTerminal(int(file.Fd()))
	}
	return rep.WriteText(w, check.TextOptions{Color: color})
}

func clusterObjects(ctx context.Context, f checkFlags) ([]check.Object, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = f.kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: f.kubeContext}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	objs, err := check.FromCluster(ctx, cs, f.opts.DefaultNamespace)
	if err != nil {
		return nil, fmt.Errorf("reading the cluster: %w", err)
	}
	return objs, nil
}
