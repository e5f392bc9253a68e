package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Cluster is a running lab cluster.
type Cluster struct {
	// WorkDir is the cluster's work directory.
	WorkDir string
	// KubeconfigPath is the admin kubeconfig (token in system:masters).
	KubeconfigPath string
	// APIServerURL is the apiserver's URL.
	APIServerURL string
	// NodeName and NodeIP identify the single node.
	NodeName string
	NodeIP   string
	// PodCIDR is the node's pod range; ServiceCIDR the ClusterIP range.
	PodCIDR     string
	ServiceCIDR string
	// PauseImage is the sandbox image reference.
	PauseImage string

	cfg Config
}

func newCluster(c Config) *Cluster {
	l := layout{c.WorkDir}
	return &Cluster{
		WorkDir:        c.WorkDir,
		KubeconfigPath: l.kubeconfig("admin"),
		APIServerURL:   c.apiServerURL(),
		NodeName:       c.NodeName,
		NodeIP:         c.NodeIP,
		PodCIDR:        c.PodCIDR,
		ServiceCIDR:    c.ServiceCIDR,
		PauseImage:     c.PauseImage,
		cfg:            c,
	}
}

// Open returns the cluster recorded in workDir's state file (written by
// Up), without checking that it runs; see Status for that.
func Open(workDir string) (*Cluster, error) {
	abs, err := filepath.Abs(workDir)
	if err != nil {
		return nil, err
	}
	st, err := ReadState(layout{abs}.state())
	if err != nil {
		return nil, fmt.Errorf("no lab cluster in %s: %w", abs, err)
	}
	return newCluster(st.Config), nil
}

// Kubeconfig returns the path of the admin kubeconfig.
func (c *Cluster) Kubeconfig() string { return c.KubeconfigPath }

// RESTConfig returns a client configuration for the admin user.
func (c *Cluster) RESTConfig() (*rest.Config, error) {
	rc, err := clientcmd.BuildConfigFromFlags("", c.KubeconfigPath)
	if err != nil {
		return nil, err
	}
	rc.QPS, rc.Burst = 50, 100
	return rc, nil
}

// Clientset returns a typed client for the admin user.
func (c *Cluster) Clientset() (*kubernetes.Clientset, error) {
	rc, err := c.RESTConfig()
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(rc)
}

// ImportImage loads an OCI image-layout tarball (as app/image writes it)
// into the cluster's containerd, under the name in its index.json, for pods
// with imagePullPolicy Never.
func (c *Cluster) ImportImage(ctx context.Context, tarball string) error {
	return importImage(ctx, layout{c.WorkDir}.containerdSocket(), tarball)
}

// HasImage reports whether the cluster's containerd holds ref.
func (c *Cluster) HasImage(ctx context.Context, ref string) (bool, error) {
	return imagePresent(ctx, layout{c.WorkDir}.containerdSocket(), ref)
}

// LogPath returns the log file of a component (e.g. "kubelet").
func (c *Cluster) LogPath(component string) string { return layout{c.WorkDir}.log(component) }

// ComponentStatus is the state of one process.
type ComponentStatus struct {
	Name    string
	PID     int
	Running bool
}

// StatusReport is what Status found.
type StatusReport struct {
	WorkDir    string
	Phase      string
	Components []ComponentStatus
	// APIServerReady is true when /readyz answered 200.
	APIServerReady bool
	// NodeReady is true when the node's Ready condition is True.
	NodeReady bool
	// Err holds the reason the apiserver or node check failed.
	Err error
}

// Running reports whether every recorded process runs and the node is Ready.
func (s StatusReport) Running() bool {
	if len(s.Components) == 0 {
		return false
	}
	for _, c := range s.Components {
		if !c.Running {
			return false
		}
	}
	return s.APIServerReady && s.NodeReady
}

// Status inspects the cluster in workDir without changing anything.
func Status(ctx context.Context, workDir string) (StatusReport, error) {
	abs, err := filepath.Abs(workDir)
	if err != nil {
		return StatusReport{}, err
	}
	rep := StatusReport{WorkDir: abs}
	st, err := ReadState(layout{abs}.state())
	if errors.Is(err, os.ErrNotExist) {
		rep.Phase = "absent"
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	rep.Phase = st.Phase
	for _, p := range st.Processes {
		rep.Components = append(rep.Components, ComponentStatus{Name: p.Name, PID: p.PID, Running: p.alive()})
	}
	if len(st.Processes) == 0 {
		return rep, nil
	}
	cl := newCluster(st.Config)
	cs, err := cl.Clientset()
	if err != nil {
		rep.Err = err
		return rep, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx); err != nil {
		rep.Err = err
		return rep, nil
	}
	rep.APIServerReady = true
	node, err := cs.CoreV1().Nodes().Get(ctx, st.Config.NodeName, metav1.GetOptions{})
	if err != nil {
		rep.Err = err
		return rep, nil
	}
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
			rep.NodeReady = true
		}
	}
	return rep, nil
}

// Print writes the report in human-readable form.
func (s StatusReport) Print(w io.Writer) {
	fmt.Fprintf(w, "work dir: %s\nphase:    %s\n", s.WorkDir, s.Phase)
	for _, c := range s.Components {
		state := "running"
		if !c.Running {
			state = "NOT running"
		}
		fmt.Fprintf(w, "  %-24s pid %-7d %s\n", c.Name, c.PID, state)
	}
	if len(s.Components) > 0 {
		fmt.Fprintf(w, "apiserver ready: %v\nnode ready:      %v\n", s.APIServerReady, s.NodeReady)
	}
	if s.Err != nil {
		fmt.Fprintf(w, "error: %v\n", s.Err)
	}
}
