package cluster

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestStateRoundTrip(t *testing.T) {
	c, l := testConfig(t)
	c.StartTimeout = 90 * time.Second
	st := &State{
		Config: c,
		Phase:  "up",
		Processes: []Proc{
			{Name: "etcd", PID: 100, StartTime: 4242, Exe: "/usr/bin/etcd", Args: []string{"--name=zdt-lab"}, Log: l.log("etcd")},
			{Name: "kubelet", PID: 200, StartTime: 4343, Exe: "/opt/k8s/bin/kubelet", Args: []string{"--config=x"}, Log: l.log("kubelet")},
		},
		Sysctls: map[string]string{sysctlIPForward: "0"},
	}
	if err := WriteState(l.state(), st); err != nil {
		t.Fatal(err)
	}
	got, err := ReadState(l.state())
	if err != nil {
		t.Fatal(err)
	}
	st.Config.Progress = nil // not persisted
	if !reflect.DeepEqual(got.Config, st.Config) {
		t.Errorf("config = %+v\nwant     %+v", got.Config, st.Config)
	}
	if !reflect.DeepEqual(got.Processes, st.Processes) || !reflect.DeepEqual(got.Sysctls, st.Sysctls) || got.Phase != "up" {
		t.Errorf("state = %+v", got)
	}
	if got.UpdatedAt.IsZero() || got.Version != stateVersion {
		t.Errorf("version %d, updatedAt %v", got.Version, got.UpdatedAt)
	}

	// Replacing and removing processes.
	got.setProc(Proc{Name: "etcd", PID: 101})
	got.setProc(Proc{Name: "kube-proxy", PID: 300})
	if p, _ := got.proc("etcd"); p.PID != 101 || len(got.Processes) != 3 {
		t.Errorf("after setProc: %+v", got.Processes)
	}
	got.removeProc("kubelet")
	if _, ok := got.proc("kubelet"); ok || len(got.Processes) != 2 {
		t.Errorf("after removeProc: %+v", got.Processes)
	}
}

func TestReadStateErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadState(filepath.Join(dir, "none.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	st, err := readStateOrEmpty(filepath.Join(dir, "none.json"))
	if err != nil || st.Sysctls == nil || len(st.Processes) != 0 {
		t.Errorf("readStateOrEmpty = %+v, %v", st, err)
	}
	bad := filepath.Join(dir, "v0.json")
	os.WriteFile(bad, []byte(`{"version":0}`), 0o644)
	if _, err := ReadState(bad); err == nil {
		t.Error("accepted version 0")
	}
}

func TestParseProcStat(t *testing.T) {
	// comm may hold spaces and parentheses.
	line := "4242 (kube (proxy) x) S 1 4242 4242 0 -1 4194560 1 0 0 0 3 4 0 0 20 0 12 0 987654 1000 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	state, start, err := parseProcStat([]byte(line))
	if err != nil || state != 'S' || start != 987654 {
		t.Errorf("parseProcStat = %c, %d, %v", state, start, err)
	}
	if _, _, err := parseProcStat([]byte("garbage")); err == nil {
		t.Error("accepted garbage")
	}
}

func TestProcAliveSelf(t *testing.T) {
	_, start, err := procStat(os.Getpid())
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	if !(Proc{PID: os.Getpid(), StartTime: start}).alive() {
		t.Error("this process is not alive")
	}
	if (Proc{PID: os.Getpid(), StartTime: start + 1}).alive() {
		t.Error("a reused PID (other start time) counts as alive")
	}
	if (Proc{PID: 0}).alive() {
		t.Error("PID 0 is alive")
	}
}
