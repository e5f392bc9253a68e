package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procStat returns the state letter and the start time (clock ticks after
// boot) of pid from /proc/<pid>/stat.
func procStat(pid int) (state byte, start uint64, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	return parseProcStat(data)
}

// parseProcStat parses the content of /proc/<pid>/stat. The command name
// (field 2) may contain spaces and parentheses: fields are counted after the
// last ')'.
func parseProcStat(data []byte) (state byte, start uint64, err error) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, 0, errors.New("malformed stat")
	}
	f := strings.Fields(string(data[i+1:]))
	// f[0] is field 3 (state); starttime is field 22.
	if len(f) < 20 {
		return 0, 0, errors.New("short stat")
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("stat starttime: %w", err)
	}
	return f[0][0], start, nil
}

// alive reports whether the recorded process is still the same running
// process (not a zombie, not a reused PID).
func (p Proc) alive() bool {
	if p.PID <= 0 {
		return false
	}
	state, start, err := procStat(p.PID)
	if err != nil {
		return false
	}
	return start == p.StartTime && state != 'Z' && state != 'X'
}

// startProc starts comp as a child in its own session (so it outlives this
// process and a terminal's Ctrl-C), its output appended to its log file.
func startProc(l layout, comp component) (Proc, error) {
	logPath := l.log(comp.Name)
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return Proc{}, err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return Proc{}, err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "\n==== %s: starting %s %s\n", time.Now().UTC().Format(time.RFC3339), comp.Bin, strings.Join(comp.Args, " "))
	exe, err := exec.LookPath(comp.Bin)
	if err != nil {
		return Proc{}, fmt.Errorf("%s: %w", comp.Name, err)
	}
	cmd := exec.Command(exe, comp.Args...)
	cmd.Dir = l.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Stdin = nil
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return Proc{}, fmt.Errorf("start %s: %w", comp.Name, err)
	}
	// Reap the child if it exits while this process lives, so that a dead
	// component does not linger as a zombie that looks alive.
	go func() { _ = cmd.Wait() }()
	_, start, err := procStat(cmd.Process.Pid)
	if err != nil {
		return Proc{}, fmt.Errorf("%s: read start time: %w", comp.Name, err)
	}
	return Proc{Name: comp.Name, PID: cmd.Process.Pid, StartTime: start, Exe: exe, Args: comp.Args, Log: logPath}, nil
}

// stopProc sends SIGTERM, waits up to grace, then SIGKILLs and waits again.
func stopProc(ctx context.Context, p Proc, grace time.Duration) error {
	if !p.alive() {
		return nil
	}
	_ = syscall.Kill(p.PID, syscall.SIGTERM)
	if waitGone(ctx, p, grace) {
		return nil
	}
	_ = syscall.Kill(p.PID, syscall.SIGKILL)
	if waitGone(ctx, p, 5*time.Second) {
		return nil
	}
	return fmt.Errorf("%s (pid %d) survived SIGKILL", p.Name, p.PID)
}

// waitGone polls until p is no longer alive or d has passed.
func waitGone(ctx context.Context, p Proc, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if !p.alive() {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// procEntry is one process as seen in /proc.
type procEntry struct {
	PID     int
	Exe     string   // target of /proc/<pid>/exe ("" if unreadable)
	Cmdline []string // argv
}

// listProcs reads every process from /proc.
func listProcs() ([]procEntry, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []procEntry
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || len(raw) == 0 {
			continue
		}
		exe, _ := os.Readlink("/proc/" + e.Name() + "/exe")
		out = append(out, procEntry{
			PID:     pid,
			Exe:     exe,
			Cmdline: strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00"),
		})
	}
	return out, nil
}

// tailFile returns up to n trailing lines of path, for error messages.
func tailFile(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
