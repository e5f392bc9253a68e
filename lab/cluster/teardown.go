package cluster

import (
	"bufio"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Prefixes of the iptables chains the cluster creates: kube-proxy and the
// kubelet make KUBE-*, the CNI bridge (ipMasq) and portmap plugins CNI-*.
var ownedChainPrefixes = []string{"KUBE-", "CNI-"}

// iptablesTables are the tables Down cleans, per family.
var iptablesTables = []string{"filter", "nat", "mangle", "raw"}

// componentBinaries are the executables whose leftover processes Down kills
// when their command line names the work directory.
var componentBinaries = []string{
	"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler",
	"containerd", "containerd-shim-runc-v2", "kubelet", "kube-proxy",
}

// hostSnapshot is what Down reads from the machine to plan its work; tests
// build it from fake listings.
type hostSnapshot struct {
	// Procs are the running processes; Skip the PIDs never to kill (this
	// process and its ancestors).
	Procs []procEntry
	Skip  map[int]bool
	// MountInfo is the content of /proc/self/mountinfo.
	MountInfo string
	// Iptables maps "<binary>/<table>" (e.g. "iptables/nat") to the output
	// of `<binary> -t <table> -S`.
	Iptables map[string]string
	// CgroupDirs are the directories below every kubepods cgroup.
	CgroupDirs []string
	// Links are the names of the network interfaces.
	Links []string
}

// iptablesCmd is one iptables invocation.
type iptablesCmd struct {
	Bin  string
	Args []string
}

func (c iptablesCmd) String() string { return c.Bin + " " + strings.Join(c.Args, " ") }

// teardownPlan is everything Down removes, in order.
type teardownPlan struct {
	Kill     []procEntry
	Unmount  []string
	Cgroups  []string
	Iptables []iptablesCmd
	Links    []string
}

// planTeardown decides what to remove for the cluster in workDir with the
// given bridge.
func planTeardown(workDir, bridge string, s hostSnapshot) teardownPlan {
	return teardownPlan{
		Kill:     planKill(workDir, s.Procs, s.Skip),
		Unmount:  planUnmounts(workDir, s.MountInfo),
		Cgroups:  planCgroups(s.CgroupDirs),
		Iptables: planIptables(s.Iptables),
		Links:    planLinks(bridge, s.Links),
	}
}

// planKill selects leftover component processes: a known executable whose
// command line names a path in workDir.
func planKill(workDir string, procs []procEntry, skip map[int]bool) []procEntry {
	var out []procEntry
	for _, p := range procs {
		if skip[p.PID] || len(p.Cmdline) == 0 {
			continue
		}
		name := filepath.Base(strings.TrimSuffix(p.Exe, " (deleted)"))
		if p.Exe == "" {
			name = filepath.Base(p.Cmdline[0])
		}
		if !slices.Contains(componentBinaries, name) {
			continue
		}
		if slices.ContainsFunc(p.Cmdline[1:], func(arg string) bool { return mentionsPath(arg, workDir) }) {
			out = append(out, p)
		}
	}
	return out
}

// mentionsPath reports whether arg contains dir or a path below it.
func mentionsPath(arg, dir string) bool {
	for i := strings.Index(arg, dir); i >= 0; {
		rest := arg[i+len(dir):]
		if rest == "" || rest[0] == '/' || rest[0] == ',' || rest[0] == ' ' {
			return true
		}
		j := strings.Index(rest, dir)
		if j < 0 {
			return false
		}
		i += len(dir) + j
	}
	return false
}

// planUnmounts lists the mount points strictly below workDir from
// mountinfo, deepest (then latest) first, so children go before parents.
func planUnmounts(workDir, mountinfo string) []string {
	type mp struct {
		path  string
		order int
	}
	var mps []mp
	sc := bufio.NewScanner(strings.NewReader(mountinfo))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for i := 0; sc.Scan(); i++ {
		f := strings.Fields(sc.Text())
		if len(f) < 5 {
			continue
		}
		p := unescapeMountPath(f[4])
		if strings.HasPrefix(p, workDir+"/") {
			mps = append(mps, mp{p, i})
		}
	}
	sort.SliceStable(mps, func(a, b int) bool {
		da, db := strings.Count(mps[a].path, "/"), strings.Count(mps[b].path, "/")
		if da != db {
			return da > db
		}
		return mps[a].order > mps[b].order
	})
	out := make([]string, 0, len(mps))
	for _, m := range mps {
		out = append(out, m.path)
	}
	return out
}

// unescapeMountPath undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountPath(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// planCgroups orders cgroup directories deepest first for rmdir.
func planCgroups(dirs []string) []string {
	out := slices.Clone(dirs)
	sort.SliceStable(out, func(a, b int) bool {
		da, db := strings.Count(out[a], "/"), strings.Count(out[b], "/")
		if da != db {
			return da > db
		}
		return out[a] > out[b]
	})
	return out
}

// planLinks returns the bridge if it exists.
func planLinks(bridge string, links []string) []string {
	if slices.Contains(links, bridge) {
		return []string{bridge}
	}
	return nil
}

// ownedChain reports whether chain is one the cluster created.
func ownedChain(chain string) bool {
	for _, p := range ownedChainPrefixes {
		if strings.HasPrefix(chain, p) {
			return true
		}
	}
	return false
}

// planIptables returns the commands that remove every owned chain: first
// the rules of other chains that jump to an owned chain (by rule number,
// highest first), then a flush of every owned chain, then their deletion.
func planIptables(listings map[string]string) []iptablesCmd {
	keys := make([]string, 0, len(listings))
	for k := range listings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []iptablesCmd
	for _, key := range keys {
		bin, table, ok := strings.Cut(key, "/")
		if !ok {
			continue
		}
		var owned []string
		type ref struct {
			chain string
			num   int
		}
		var refs []ref
		counts := map[string]int{}
		sc := bufio.NewScanner(strings.NewReader(listings[key]))
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			args := splitRule(sc.Text())
			if len(args) < 2 {
				continue
			}
			switch args[0] {
			case "-N":
				if ownedChain(args[1]) {
					owned = append(owned, args[1])
				}
			case "-A":
				chain := args[1]
				counts[chain]++
				if ownedChain(chain) {
					continue
				}
				if t := ruleTarget(args[2:]); t != "" && ownedChain(t) {
					refs = append(refs, ref{chain, counts[chain]})
				}
			}
		}
		// Highest rule number first within a chain keeps the numbers valid.
		sort.SliceStable(refs, func(a, b int) bool {
			if refs[a].chain != refs[b].chain {
				return refs[a].chain < refs[b].chain
			}
			return refs[a].num > refs[b].num
		})
		for _, r := range refs {
			out = append(out, iptablesCmd{bin, []string{"-w", "5", "-t", table, "-D", r.chain, strconv.Itoa(r.num)}})
		}
		for _, c := range owned {
			out = append(out, iptablesCmd{bin, []string{"-w", "5", "-t", table, "-F", c}})
		}
		for _, c := range owned {
			out = append(out, iptablesCmd{bin, []string{"-w", "5", "-t", table, "-X", c}})
		}
	}
	return out
}

// ruleTarget returns the chain a rule jumps (-j) or goes (-g) to.
func ruleTarget(args []string) string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "-j" || args[i] == "--jump" || args[i] == "-g" || args[i] == "--goto" {
			return args[i+1]
		}
	}
	return ""
}

// splitRule splits a line of `iptables -S` into arguments, honouring the
// double quotes iptables puts around comments (with backslash escapes).
func splitRule(line string) []string {
	var out []string
	var cur strings.Builder
	inQuote, have := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			have = true
		case c == '"':
			inQuote = !inQuote
			have = true
		case (c == ' ' || c == '\t') && !inQuote:
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out
}

// describe summarizes the plan for progress output.
func (p teardownPlan) describe() string {
	return fmt.Sprintf("%d leftover processes, %d mounts, %d cgroups, %d iptables commands, %d links",
		len(p.Kill), len(p.Unmount), len(p.Cgroups), len(p.Iptables), len(p.Links))
}
