package cluster

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

const fakeNat = `-P PREROUTING ACCEPT
-P INPUT ACCEPT
-P OUTPUT ACCEPT
-P POSTROUTING ACCEPT
-N CNI-HOSTPORT-DNAT
-N CNI-abc123
-N DOCKER
-N KUBE-MARK-MASQ
-N KUBE-POSTROUTING
-N KUBE-SERVICES
-N KUBE-SVC-XYZ
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A POSTROUTING -s 10.244.1.5/32 -m comment --comment "name: \"zdt-lab\" id: \"0123\"" -j CNI-abc123
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A CNI-abc123 -d 10.244.1.0/24 -j ACCEPT
-A DOCKER -i docker0 -j RETURN
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -j KUBE-SVC-XYZ
-A KUBE-SVC-XYZ -j KUBE-MARK-MASQ
`

const fakeFilter = `-P INPUT ACCEPT
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
-N KUBE-FIREWALL
-N KUBE-FORWARD
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -j ACCEPT
-A OUTPUT -j KUBE-FIREWALL
`

func cmds(cs []iptablesCmd) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.String())
	}
	return out
}

func TestPlanIptables(t *testing.T) {
	got := cmds(planIptables(map[string]string{
		"iptables/nat":     fakeNat,
		"iptables/filter":  fakeFilter,
		"ip6tables/mangle": "-P PREROUTING ACCEPT\n-N KUBE-KUBELET-CANARY\n",
		"iptables/raw":     "-P PREROUTING ACCEPT\n",
	}))
	want := []string{
		"ip6tables -w 5 -t mangle -F KUBE-KUBELET-CANARY",
		"ip6tables -w 5 -t mangle -X KUBE-KUBELET-CANARY",
		// filter: references first (highest number first per chain).
		"iptables -w 5 -t filter -D FORWARD 1",
		"iptables -w 5 -t filter -D INPUT 1",
		"iptables -w 5 -t filter -D OUTPUT 1",
		"iptables -w 5 -t filter -F KUBE-FIREWALL",
		"iptables -w 5 -t filter -F KUBE-FORWARD",
		"iptables -w 5 -t filter -X KUBE-FIREWALL",
		"iptables -w 5 -t filter -X KUBE-FORWARD",
		// nat: DOCKER's rule (PREROUTING 2) and MASQUERADE stay.
		"iptables -w 5 -t nat -D OUTPUT 2",
		"iptables -w 5 -t nat -D OUTPUT 1",
		"iptables -w 5 -t nat -D POSTROUTING 2",
		"iptables -w 5 -t nat -D POSTROUTING 1",
		"iptables -w 5 -t nat -D PREROUTING 3",
		"iptables -w 5 -t nat -D PREROUTING 1",
		"iptables -w 5 -t nat -F CNI-HOSTPORT-DNAT",
		"iptables -w 5 -t nat -F CNI-abc123",
		"iptables -w 5 -t nat -F KUBE-MARK-MASQ",
		"iptables -w 5 -t nat -F KUBE-POSTROUTING",
		"iptables -w 5 -t nat -F KUBE-SERVICES",
		"iptables -w 5 -t nat -F KUBE-SVC-XYZ",
		"iptables -w 5 -t nat -X CNI-HOSTPORT-DNAT",
		"iptables -w 5 -t nat -X CNI-abc123",
		"iptables -w 5 -t nat -X KUBE-MARK-MASQ",
		"iptables -w 5 -t nat -X KUBE-POSTROUTING",
		"iptables -w 5 -t nat -X KUBE-SERVICES",
		"iptables -w 5 -t nat -X KUBE-SVC-XYZ",
	}
	if !slices.Equal(got, want) {
		t.Errorf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, c := range got {
		if strings.Contains(c, "DOCKER") {
			t.Errorf("touches a foreign chain: %s", c)
		}
	}
	if p := planIptables(map[string]string{"iptables/nat": "-P PREROUTING ACCEPT\n"}); len(p) != 0 {
		t.Errorf("clean table planned %v", cmds(p))
	}
}

func TestSplitRule(t *testing.T) {
	got := splitRule(`-A POSTROUTING -s 10.244.1.5/32 -m comment --comment "name: \"zdt-lab\" id: \"01 23\"" -j CNI-abc123`)
	want := []string{"-A", "POSTROUTING", "-s", "10.244.1.5/32", "-m", "comment", "--comment", `name: "zdt-lab" id: "01 23"`, "-j", "CNI-abc123"}
	if !slices.Equal(got, want) {
		t.Errorf("splitRule = %q", got)
	}
	if ruleTarget(got[2:]) != "CNI-abc123" {
		t.Errorf("target = %q", ruleTarget(got[2:]))
	}
}

func TestPlanUnmounts(t *testing.T) {
	const work = "/srv/repo/work/lab"
	mountinfo := strings.Join([]string{
		`22 1 254:0 / / rw,relatime - ext4 /dev/vda rw`,
		`30 22 0:25 / /run rw - tmpfs tmpfs rw`,
		`40 22 0:40 / /srv/repo/work/lab/containerd/state/netns/cni-1 rw - nsfs nsfs rw`,
		`41 22 0:41 / /srv/repo/work/lab/kubelet/root/pods/uid1/volumes/kubernetes.io~projected/kube-api-access-x rw - tmpfs tmpfs rw`,
		`42 22 0:42 / /srv/repo/work/lab/containerd/state/io.containerd.runtime.v2.task/k8s.io/abc/rootfs rw - overlay overlay rw`,
		`43 22 0:43 / /srv/repo/work/lab-other/x rw - tmpfs tmpfs rw`,
		`44 22 0:44 / /srv/repo/work/lab/with\040space rw - tmpfs tmpfs rw`,
		`45 40 0:40 / /srv/repo/work/lab/containerd/state/netns/cni-1 rw - nsfs nsfs rw`,
		`46 22 0:46 / /srv/repo/work/lab rw - tmpfs tmpfs rw`,
	}, "\n")
	got := planUnmounts(work, mountinfo)
	want := []string{
		work + "/kubelet/root/pods/uid1/volumes/kubernetes.io~projected/kube-api-access-x",
		work + "/containerd/state/io.containerd.runtime.v2.task/k8s.io/abc/rootfs",
		work + "/containerd/state/netns/cni-1",
		work + "/containerd/state/netns/cni-1",
		work + "/with space",
	}
	if !slices.Equal(got, want) {
		t.Errorf("unmounts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPlanKill(t *testing.T) {
	const work = "/srv/repo/work/lab"
	procs := []procEntry{
		{PID: 10, Exe: "/cache/bin/kubelet", Cmdline: []string{"/cache/bin/kubelet", "--config=" + work + "/kubelet/config.yaml"}},
		{PID: 11, Exe: "/usr/bin/containerd-shim-runc-v2", Cmdline: []string{"/usr/bin/containerd-shim-runc-v2", "-namespace", "k8s.io", "-address", work + "/containerd/containerd.sock"}},
		{PID: 12, Exe: "/usr/bin/containerd", Cmdline: []string{"containerd"}},                                                                     // someone else's
		{PID: 13, Exe: "/usr/bin/etcd", Cmdline: []string{"etcd", "--data-dir=/srv/repo/work/lab-other/etcd"}},                                     // other work dir
		{PID: 14, Exe: "/usr/bin/bash", Cmdline: []string{"bash", "-c", "labctl down --work-dir " + work}},                                         // not a component
		{PID: 15, Exe: "/cache/bin/kube-proxy (deleted)", Cmdline: []string{"kube-proxy", "--kubeconfig=" + work + "/kubeconfig/kube-proxy.conf"}}, // binary rebuilt
		{PID: 16, Exe: "/cache/bin/kube-apiserver", Cmdline: []string{"kube-apiserver", "--cert-dir=" + work + "/x"}},                              // skipped (ancestor)
	}
	got := planKill(work, procs, map[int]bool{16: true})
	var pids []int
	for _, p := range got {
		pids = append(pids, p.PID)
	}
	if !reflect.DeepEqual(pids, []int{10, 11, 15}) {
		t.Errorf("kill %v, want [10 11 15]", pids)
	}
}

func TestMentionsPath(t *testing.T) {
	for arg, want := range map[string]bool{
		"/w/lab":                      true,
		"--x=/w/lab/a":                true,
		"--initial-cluster=/w/lab,b":  true,
		"/w/lab2/a":                   false,
		"--x=/w/lab-other /w/lab/sub": true,
		"/w":                          false,
	} {
		if got := mentionsPath(arg, "/w/lab"); got != want {
			t.Errorf("mentionsPath(%q) = %v", arg, got)
		}
	}
}

func TestPlanCgroupsAndLinks(t *testing.T) {
	got := planCgroups([]string{
		"/sys/fs/cgroup/cpu/kubepods",
		"/sys/fs/cgroup/cpu/kubepods/besteffort",
		"/sys/fs/cgroup/cpu/kubepods/besteffort/pod1/abc",
		"/sys/fs/cgroup/cpu/kubepods/besteffort/pod1",
		"/sys/fs/cgroup/memory/kubepods",
	})
	want := []string{
		"/sys/fs/cgroup/cpu/kubepods/besteffort/pod1/abc",
		"/sys/fs/cgroup/cpu/kubepods/besteffort/pod1",
		"/sys/fs/cgroup/cpu/kubepods/besteffort",
		"/sys/fs/cgroup/memory/kubepods",
		"/sys/fs/cgroup/cpu/kubepods",
	}
	if !slices.Equal(got, want) {
		t.Errorf("cgroups = %v", got)
	}
	if l := planLinks("cni0", []string{"lo", "eth0", "cni0", "veth1"}); !slices.Equal(l, []string{"cni0"}) {
		t.Errorf("links = %v", l)
	}
	if l := planLinks("cni0", []string{"lo", "eth0"}); l != nil {
		t.Errorf("links = %v", l)
	}
}

func TestPlanTeardownNothing(t *testing.T) {
	p := planTeardown("/w/lab", "cni0", hostSnapshot{
		MountInfo: "22 1 254:0 / / rw - ext4 /dev/vda rw\n",
		Iptables:  map[string]string{"iptables/nat": "-P PREROUTING ACCEPT\n"},
		Links:     []string{"lo", "eth0"},
	})
	if len(p.Kill)+len(p.Unmount)+len(p.Cgroups)+len(p.Iptables)+len(p.Links) != 0 {
		t.Errorf("plan on a clean machine: %+v", p)
	}
}

func TestMissingPackages(t *testing.T) {
	c, _ := testConfig(t)
	have := map[string]bool{"/usr/bin/containerd": true, "/usr/sbin/runc": true}
	got := missingPackages(requiredPackages(c), func(p string) bool { return have[p] })
	want := []string{"iptables", "conntrack", "containernetworking-plugins", "etcd-server"}
	if !slices.Equal(got, want) {
		t.Errorf("missing = %v, want %v", got, want)
	}
	c.EtcdBinary = "/opt/etcd"
	if slices.Contains(missingPackages(requiredPackages(c), func(string) bool { return false }), "etcd-server") {
		t.Error("etcd-server wanted with a custom etcd binary")
	}
}

func TestPlanHostFiles(t *testing.T) {
	const sock = "/srv/repo/work/lab/containerd/containerd.sock"
	ids := []string{"4b1ad96b", "8c98c981"}
	got := planHostFiles(sock, ids, []string{
		"zdt-lab-4b1ad96b-eth0",
		"cni-loopback-4b1ad96b-lo",
		"cni-loopback-8c98c981-lo",
		"cni-loopback-deadbeef-lo", // another runtime's sandbox
		"othernet-4b1ad96b-eth0",
	})
	want := []string{
		"/var/lib/cni/results/zdt-lab-4b1ad96b-eth0",
		"/var/lib/cni/results/cni-loopback-4b1ad96b-lo",
		"/var/lib/cni/results/cni-loopback-8c98c981-lo",
		shimSocket(sock, "k8s.io", "4b1ad96b"),
		shimSocket(sock, "k8s.io", "8c98c981"),
	}
	if !slices.Equal(got, want) {
		t.Errorf("host files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// containerd 1.6: sha256("<address>/<namespace>/<id>") under /run/containerd/s
	// (the formula was checked against sockets killed shims left behind).
	const id = "4b1ad96be9f5b0a3f969184298fe2ad76f13d2dc7eb0c1a3a5f63f2a7e9dddf5"
	if got := shimSocket(sock, "k8s.io", id); got != "/run/containerd/s/ca64744e57afd948e4cf5c36a7b554ad524d27d004667609d983ad08790d9e84" {
		t.Errorf("shimSocket = %s", got)
	}
}
