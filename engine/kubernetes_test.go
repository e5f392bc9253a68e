package engine

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// providerTools returns the cached tools, skipping the test unless the CLI
// and the pinned kubernetes plugin are installed.
func providerTools(t *testing.T) Tools {
	t.Helper()
	tools := cliTools(t)
	v, err := PinnedKubernetesVersion(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := tools.CheckPlugin("kubernetes", v); err != nil {
		t.Skipf("SKIP (needs the kubernetes plugin): %v", err)
	}
	return tools
}

// kubeProgram stands in for infra.Program's local platform: a kubernetes
// provider (from config kubeconfigPath, or rendering into config renderDir),
// a namespace and a Deployment with config replicas. Awaiting is skipped, so
// an apiserver is enough: no node has to run the pods.
func kubeProgram(ctx *pulumi.Context) error {
	args := &kubernetes.ProviderArgs{}
	if dir, ok := ctx.GetConfig(ctx.Project() + ":" + RenderDirKey); ok && dir != "" {
		args.RenderYamlToDirectory = pulumi.StringPtr(dir)
	} else {
		path, err := requireConfig(ctx, "kubeconfigPath")
		if err != nil {
			return err
		}
		kubeconfig, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		args.Kubeconfig = pulumi.StringPtr(string(kubeconfig))
	}
	replicasText, err := requireConfig(ctx, "replicas")
	if err != nil {
		return err
	}
	replicas, err := strconv.Atoi(replicasText)
	if err != nil {
		return err
	}
	k8s, err := kubernetes.NewProvider(ctx, "k8s", args)
	if err != nil {
		return err
	}
	opts := pulumi.Provider(k8s)
	const name = "zdt-engine-test"
	labels := pulumi.StringMap{"app": pulumi.String(name)}
	ns, err := corev1.NewNamespace(ctx, name, &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(name)},
	}, opts)
	if err != nil {
		return err
	}
	_, err = appsv1.NewDeployment(ctx, name, &appsv1.DeploymentArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:        pulumi.String(name),
			Namespace:   ns.Metadata.Name(),
			Annotations: pulumi.StringMap{"pulumi.com/skipAwait": pulumi.String("true")},
		},
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(replicas),
			Selector: &metav1.LabelSelectorArgs{MatchLabels: labels},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: labels},
				Spec: &corev1.PodSpecArgs{
					Containers: corev1.ContainerArray{&corev1.ContainerArgs{
						Name:  pulumi.String("app"),
						Image: pulumi.String("registry.invalid/zdt-engine-test:v1"),
					}},
				},
			},
		},
	}, opts)
	return err
}

// TestKubernetesLifecycle runs against a real kube-apiserver given by
// ZDT_TEST_KUBECONFIG: up, a second preview with no changes, a replicas
// change that previews and applies as exactly one update, destroy.
func TestKubernetesLifecycle(t *testing.T) {
	kubeconfig := os.Getenv("ZDT_TEST_KUBECONFIG")
	if kubeconfig == "" {
		t.Skip("SKIP (needs a cluster): set ZDT_TEST_KUBECONFIG to the path of a kubeconfig of a real kube-apiserver (the lab's)")
	}
	tools := providerTools(t)
	kubeconfig, err := filepath.Abs(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	opts := testOptions(t, tools, kubeProgram)
	opts.Config = map[string]string{"kubeconfigPath": kubeconfig}
	run := func(a Action, replicas int) Result {
		t.Helper()
		opts.Action = a
		opts.Config["replicas"] = strconv.Itoa(replicas)
		start := time.Now()
		res, err := Run(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s (replicas %d): %v in %v", a, replicas, res, time.Since(start).Round(time.Millisecond))
		return res
	}
	// Whatever happens, leave the cluster clean.
	t.Cleanup(func() {
		opts.Action = Destroy
		if _, err := Run(context.Background(), opts); err != nil {
			t.Errorf("cleanup destroy: %v", err)
		}
	})

	if up := run(Up, 2); up.Changes["create"] != 4 { // stack, provider, namespace, deployment
		t.Errorf("up = %v, want 4 creates", up)
	}
	if pre := run(Preview, 2); pre.HasChanges() {
		t.Errorf("second preview = %v, want no changes\n%s", pre, pre.Stdout)
	}
	pre := run(Preview, 3)
	if pre.Changes["update"] != 1 || len(pre.Changes) != 2 { // 1 update + "same"
		t.Errorf("preview of replicas 2 -> 3 = %v, want exactly one update\n%s", pre, pre.Stdout)
	}
	if up := run(Up, 3); up.Changes["update"] != 1 || len(up.Changes) != 2 {
		t.Errorf("up of replicas 2 -> 3 = %v, want exactly one update", up)
	}
	if pre := run(Preview, 3); pre.HasChanges() {
		t.Errorf("preview after the update = %v, want no changes\n%s", pre, pre.Stdout)
	}
	if des := run(Destroy, 3); des.Changes["delete"] != 4 {
		t.Errorf("destroy = %v, want 4 deletes", des)
	}
}

// TestRenderIsByteStable renders the stand-in program twice (no cluster)
// and requires identical files: what `make render` diffs in a PR rely on.
func TestRenderIsByteStable(t *testing.T) {
	tools := providerTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	opts := testOptions(t, tools, kubeProgram)
	opts.Config = map[string]string{"replicas": "3"}
	var trees []map[string][]byte
	for i := range 2 {
		dir := filepath.Join(t.TempDir(), "manifests")
		start := time.Now()
		if _, err := Render(ctx, opts, dir); err != nil {
			t.Fatal(err)
		}
		files, err := RenderedFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("render %d: %v in %v", i+1, files, time.Since(start).Round(time.Millisecond))
		tree := map[string][]byte{}
		for _, f := range files {
			if tree[f], err = os.ReadFile(filepath.Join(dir, f)); err != nil {
				t.Fatal(err)
			}
		}
		trees = append(trees, tree)
	}
	want := []string{
		"1-manifest/apps_v1-deployment-zdt-engine-test-zdt-engine-test.yaml",
		"1-manifest/v1-namespace-default-zdt-engine-test.yaml",
	}
	for _, f := range want {
		if _, ok := trees[0][f]; !ok {
			t.Errorf("no %s in the rendering: %v", f, trees[0])
		}
	}
	if len(trees[0]) != len(trees[1]) {
		t.Fatalf("renders differ in files: %d vs %d", len(trees[0]), len(trees[1]))
	}
	for f, b := range trees[0] {
		if !bytes.Equal(b, trees[1][f]) {
			t.Errorf("%s differs between two renders:\n%s\n---\n%s", f, b, trees[1][f])
		}
	}
	if dep := trees[0][want[0]]; !bytes.Contains(dep, []byte("replicas: 3")) {
		t.Errorf("the rendered Deployment lacks replicas: 3:\n%s", dep)
	}
	// The throwaway state is gone.
	if _, err := os.Stat(filepath.Join(opts.WorkDir, "render", opts.Stack)); !os.IsNotExist(err) {
		t.Errorf("render state left behind: %v", err)
	}
}
