package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cgroupRoot is where cgroup hierarchies are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// Paths outside the work directory that the cluster writes (measured; see
// the package documentation of Down).
const (
	hostCNIState         = "/var/lib/cni"
	hostDevicePlugins    = "/var/lib/kubelet/device-plugins"
	hostKubeletDir       = "/var/lib/kubelet"
	hostContainerLogs    = "/var/log/containers"
	hostPodLogs          = "/var/log/pods"
	sysctlIPForward      = "net/ipv4/ip_forward"
	sysctlBridgeIptables = "net/bridge/bridge-nf-call-iptables"
)

// snapshotHost reads what planTeardown needs from the machine.
func snapshotHost(ctx context.Context) (hostSnapshot, error) {
	var s hostSnapshot
	var err error
	if s.Procs, err = listProcs(); err != nil {
		return s, err
	}
	s.Skip = selfAndAncestors()
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return s, err
	}
	s.MountInfo = string(mi)
	s.Iptables = map[string]string{}
	for _, bin := range []string{"iptables", "ip6tables"} {
		if _, err := exec.LookPath(bin); err != nil {
			continue
		}
		for _, t := range iptablesTables {
			out, err := exec.CommandContext(ctx, bin, "-w", "5", "-t", t, "-S").Output()
			if err != nil {
				continue // table not available in this kernel
			}
			s.Iptables[bin+"/"+t] = string(out)
		}
	}
	s.CgroupDirs = kubepodsCgroups()
	ifs, err := net.Interfaces()
	if err != nil {
		return s, err
	}
	for _, i := range ifs {
		s.Links = append(s.Links, i.Name)
	}
	return s, nil
}

// selfAndAncestors returns this process and its ancestors: never killed.
func selfAndAncestors() map[int]bool {
	skip := map[int]bool{}
	for pid := os.Getpid(); pid > 1 && !skip[pid]; {
		skip[pid] = true
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			break
		}
		i := strings.LastIndexByte(string(data), ')')
		f := strings.Fields(string(data[i+1:]))
		if len(f) < 2 {
			break
		}
		pid, _ = strconv.Atoi(f[1])
	}
	return skip
}

// kubepodsCgroups lists every directory below a "kubepods" cgroup in every
// hierarchy (cgroup v1 controllers, the unified one, or a pure v2 root).
func kubepodsCgroups() []string {
	var roots []string
	if fileExists(filepath.Join(cgroupRoot, "kubepods")) {
		roots = append(roots, filepath.Join(cgroupRoot, "kubepods"))
	}
	hier, _ := os.ReadDir(cgroupRoot)
	for _, h := range hier {
		p := filepath.Join(cgroupRoot, h.Name(), "kubepods")
		if h.IsDir() && fileExists(p) {
			roots = append(roots, p)
		}
	}
	var dirs []string
	for _, r := range roots {
		_ = filepath.WalkDir(r, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, path)
			}
			return nil
		})
	}
	return dirs
}

// killCgroupProcs SIGKILLs every process in the given cgroup directories
// (the pods' containers) and waits until they are gone.
func killCgroupProcs(dirs []string, wait time.Duration) int {
	pids := map[int]bool{}
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
				pids[pid] = true
			}
		}
	}
	skip := selfAndAncestors()
	for pid := range pids {
		if !skip[pid] {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	deadline := time.Now().Add(wait)
	for pid := range pids {
		for time.Now().Before(deadline) {
			if st, _, err := procStat(pid); err != nil || st == 'Z' {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return len(pids)
}

// executePlan carries out p; it keeps going after errors and returns them
// all.
func executePlan(ctx context.Context, p teardownPlan) error {
	var errs []error
	for _, pe := range p.Kill {
		_ = syscall.Kill(pe.PID, syscall.SIGKILL)
	}
	for _, pe := range p.Kill {
		waitGone(ctx, Proc{Name: filepath.Base(pe.Exe), PID: pe.PID, StartTime: startTimeOf(pe.PID)}, 5*time.Second)
	}
	for _, m := range p.Unmount {
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", m, err))
		}
	}
	for _, d := range p.Cgroups {
		if err := rmdirRetry(d, 3*time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	for _, c := range p.Iptables {
		out, err := exec.CommandContext(ctx, c.Bin, c.Args...).CombinedOutput()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %v: %s", c, err, strings.TrimSpace(string(out))))
		}
	}
	for _, l := range p.Links {
		out, err := exec.CommandContext(ctx, "ip", "link", "delete", l).CombinedOutput()
		if err != nil {
			errs = append(errs, fmt.Errorf("ip link delete %s: %v: %s", l, err, strings.TrimSpace(string(out))))
		}
	}
	return errors.Join(errs...)
}

func startTimeOf(pid int) uint64 {
	_, st, _ := procStat(pid)
	return st
}

// rmdirRetry removes an (empty) cgroup directory, retrying while the kernel
// still counts exiting tasks in it.
func rmdirRetry(dir string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		err := syscall.Rmdir(dir)
		if err == nil || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("rmdir %s: %w", dir, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// containerdShimSocketDir is where containerd 1.6 puts shim sockets,
// whatever its own state directory is.
const containerdShimSocketDir = "/run/containerd/s"

// shimSocket returns the socket containerd 1.6 gives the shim of task id in
// namespace ns for a containerd listening on address: the SHA-256 of
// "<address>/<ns>/<id>" in containerdShimSocketDir. A shim that is killed
// leaves it behind.
func shimSocket(address, ns, id string) string {
	sum := sha256.Sum256([]byte(filepath.Join(address, ns, id)))
	return filepath.Join(containerdShimSocketDir, hex.EncodeToString(sum[:]))
}

// sandboxIDs lists the pod sandboxes containerd's CRI plugin knows in the
// work directory (their directories outlive the processes).
func sandboxIDs(l layout) []string {
	seen := map[string]bool{}
	var ids []string
	for _, d := range []string{l.containerdRoot(), l.containerdState()} {
		ents, _ := os.ReadDir(filepath.Join(d, "io.containerd.grpc.v1.cri", "sandboxes"))
		for _, e := range ents {
			if e.IsDir() && !seen[e.Name()] {
				seen[e.Name()] = true
				ids = append(ids, e.Name())
			}
		}
	}
	return ids
}

// planHostFiles lists the files outside the work directory that belong to
// this cluster: libcni's cached results of its network and of the loopback
// network of its sandboxes (files "<network>-<container id>-<ifname>" in
// /var/lib/cni/results), and the shim sockets of its sandboxes.
func planHostFiles(socket string, ids []string, cniResults []string) []string {
	var out []string
	for _, name := range cniResults {
		if strings.HasPrefix(name, cniNetworkName+"-") {
			out = append(out, filepath.Join(hostCNIState, "results", name))
			continue
		}
		for _, id := range ids {
			if strings.HasPrefix(name, "cni-loopback-"+id+"-") {
				out = append(out, filepath.Join(hostCNIState, "results", name))
				break
			}
		}
	}
	for _, id := range ids {
		out = append(out, shimSocket(socket, "k8s.io", id))
	}
	return out
}

// cleanHostFiles removes what the cluster wrote outside the work directory
// (planHostFiles, the CNI IPAM state of its network, the kubelet's
// hard-coded device-plugin directory, the /var/log/containers links into the
// work directory) and the directories that are empty afterwards.
func cleanHostFiles(l layout) (int, error) {
	var errs []error
	n := 0
	rm := func(p string) {
		if _, err := os.Lstat(p); err != nil {
			return
		}
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
			return
		}
		n++
	}
	var results []string
	if ents, err := os.ReadDir(filepath.Join(hostCNIState, "results")); err == nil {
		for _, e := range ents {
			results = append(results, e.Name())
		}
	}
	for _, f := range planHostFiles(l.containerdSocket(), sandboxIDs(l), results) {
		rm(f)
	}
	rm(filepath.Join(hostCNIState, "networks", cniNetworkName))
	rm(hostDevicePlugins)
	if ents, err := os.ReadDir(hostContainerLogs); err == nil {
		for _, e := range ents {
			p := filepath.Join(hostContainerLogs, e.Name())
			if target, err := os.Readlink(p); err == nil && mentionsPath(target, l.dir) {
				rm(p)
			}
		}
	}
	for _, d := range []string{
		filepath.Join(hostCNIState, "results"), filepath.Join(hostCNIState, "networks"), hostCNIState,
		hostKubeletDir, hostContainerLogs, hostPodLogs,
	} {
		_ = syscall.Rmdir(d) // only when empty: someone else's files stay
	}
	return n, errors.Join(errs...)
}

// readSysctl reads /proc/sys/<key>.
func readSysctl(key string) (string, error) {
	b, err := os.ReadFile("/proc/sys/" + key)
	return strings.TrimSpace(string(b)), err
}

// writeSysctl writes /proc/sys/<key>.
func writeSysctl(key, v string) error {
	return os.WriteFile("/proc/sys/"+key, []byte(v+"\n"), 0o644)
}
