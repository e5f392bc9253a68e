package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Down stops the cluster whose work directory is workDir and removes what
// it left on the machine, printing progress to os.Stdout. See DownTo.
func Down(ctx context.Context, workDir string) error {
	return DownTo(ctx, workDir, os.Stdout)
}

// DownTo stops the cluster whose work directory is workDir and removes
// everything it left behind, writing progress lines to w:
//
//   - its processes (from the state file, and any leftover component process
//     whose command line names the work directory, containerd shims
//     included) and every process in the kubepods cgroups (the containers);
//   - mounts below the work directory (pod network namespaces, container
//     root filesystems, pod volumes);
//   - the kubepods cgroups in every hierarchy;
//   - iptables chains KUBE-* and CNI-* (IPv4 and IPv6, every table) and the
//     rules that jump to them;
//   - the CNI bridge;
//   - outside the work directory: /var/lib/cni state of its network,
//     /var/lib/kubelet/device-plugins (a path the kubelet hard-codes), links
//     in /var/log/containers into the work directory, and those directories
//     when they are empty afterwards;
//   - kernel settings Up changed (ip_forward, bridge-nf-call-iptables) are
//     restored.
//
// The work directory itself (certificates, images, etcd data, logs) stays,
// so a later Up resumes quickly; delete it to start afresh. Down is
// idempotent and safe when nothing runs.
func DownTo(ctx context.Context, workDir string, w io.Writer) error {
	abs, err := filepath.Abs(workDir)
	if err != nil {
		return err
	}
	p := newProgress(w)
	p.printf("cluster down: work dir %s", abs)
	if os.Geteuid() != 0 {
		return errors.New("cluster down needs root")
	}
	l := layout{abs}
	if !fileExists(abs) {
		p.printf("cluster down: no work dir, cleaning host leftovers only")
	} else {
		unlock, err := lockWorkDir(l)
		if err != nil {
			return err
		}
		defer unlock()
	}
	st, err := readStateOrEmpty(l.state())
	if err != nil {
		return err
	}
	bridge := st.Config.Bridge
	if bridge == "" {
		bridge = defaultBridge
	}
	var errs []error
	stop := func(names ...string) {
		for _, name := range names {
			proc, ok := st.proc(name)
			if !ok {
				continue
			}
			_ = p.step("stop "+name, func() (string, error) {
				if !proc.alive() {
					return "not running", nil
				}
				if err := stopProc(ctx, proc, 15*time.Second); err != nil {
					errs = append(errs, err)
					return "", err
				}
				return fmt.Sprintf("stopped pid %d", proc.PID), nil
			})
		}
	}
	// Node agents first, so nothing restarts containers; then the
	// containers themselves; then containerd (its shims go with the plan
	// below); then the control plane and etcd.
	stop("kube-proxy", "kubelet")
	_ = p.step("containers", func() (string, error) {
		n := killCgroupProcs(kubepodsCgroups(), 10*time.Second)
		return fmt.Sprintf("killed %d processes in kubepods cgroups", n), nil
	})
	stop("containerd", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd")

	// Whatever is left is found on the machine, not in the state file.
	_ = p.step("host cleanup", func() (string, error) {
		snap, err := snapshotHost(ctx)
		if err != nil {
			errs = append(errs, err)
			return "", err
		}
		plan := planTeardown(abs, bridge, snap)
		if err := executePlan(ctx, plan); err != nil {
			errs = append(errs, err)
			return "", err
		}
		return "removed " + plan.describe(), nil
	})
	_ = p.step("host files", func() (string, error) {
		n, err := cleanHostFiles(l)
		if err != nil {
			errs = append(errs, err)
			return "", err
		}
		return fmt.Sprintf("removed %d files and directories (CNI state, shim sockets, device-plugin dir, container log links)", n), nil
	})
	_ = p.step("sysctls", func() (string, error) {
		var restored []string
		for key, v := range st.Sysctls {
			if err := writeSysctl(key, v); err != nil {
				errs = append(errs, err)
				continue
			}
			restored = append(restored, strings.ReplaceAll(key, "/", ".")+"="+v)
		}
		st.Sysctls = map[string]string{}
		if len(restored) == 0 {
			return "nothing to restore", nil
		}
		return "restored " + strings.Join(restored, " "), nil
	})
	if fileExists(l.state()) {
		st.Processes = nil
		st.Phase = "down"
		if err := WriteState(l.state(), st); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		p.printf("cluster down: finished with errors")
		return fmt.Errorf("cluster down: %w", err)
	}
	p.printf("cluster down: clean")
	return nil
}

// Purge deletes the work directory of a cluster that is down, so that the
// next Up starts from nothing (new certificates, empty etcd). It refuses
// while a recorded process runs or anything is mounted below the directory.
func Purge(workDir string) error {
	abs, err := filepath.Abs(workDir)
	if err != nil {
		return err
	}
	if !fileExists(abs) {
		return nil
	}
	st, err := readStateOrEmpty(layout{abs}.state())
	if err != nil {
		return err
	}
	for _, p := range st.Processes {
		if p.alive() {
			return fmt.Errorf("purge %s: %s (pid %d) still runs: run Down first", abs, p.Name, p.PID)
		}
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	if m := planUnmounts(abs, string(mi)); len(m) > 0 {
		return fmt.Errorf("purge %s: %d mounts below it (first %s): run Down first", abs, len(m), m[0])
	}
	return os.RemoveAll(abs)
}
