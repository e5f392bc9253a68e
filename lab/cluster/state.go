package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// stateVersion is bumped when State changes incompatibly.
const stateVersion = 1

// State is what the state file (<work>/state.json) records: enough for Down,
// Status and Open to work from a new process.
type State struct {
	Version int `json:"version"`
	// Config is the effective configuration of the last Up.
	Config Config `json:"config"`
	// Processes are the cluster's processes in start order.
	Processes []Proc `json:"processes"`
	// Sysctls holds the values of kernel settings before Up changed them,
	// restored by Down.
	Sysctls map[string]string `json:"sysctls,omitempty"`
	// Phase is "starting", "up" or "down".
	Phase string `json:"phase"`
	// UpdatedAt is when the file was written.
	UpdatedAt time.Time `json:"updatedAt"`
}

// Proc identifies one child process; StartTime (clock ticks since boot, from
// /proc/<pid>/stat) guards against a reused PID.
type Proc struct {
	Name      string   `json:"name"`
	PID       int      `json:"pid"`
	StartTime uint64   `json:"startTime"`
	Exe       string   `json:"exe"`
	Args      []string `json:"args"`
	Log       string   `json:"log"`
}

// proc returns the recorded process called name.
func (s *State) proc(name string) (Proc, bool) {
	for _, p := range s.Processes {
		if p.Name == name {
			return p, true
		}
	}
	return Proc{}, false
}

// setProc records p, replacing an earlier process of the same name.
func (s *State) setProc(p Proc) {
	for i := range s.Processes {
		if s.Processes[i].Name == p.Name {
			s.Processes[i] = p
			return
		}
	}
	s.Processes = append(s.Processes, p)
}

// removeProc forgets the process called name.
func (s *State) removeProc(name string) {
	out := s.Processes[:0]
	for _, p := range s.Processes {
		if p.Name != name {
			out = append(out, p)
		}
	}
	s.Processes = out
}

// ReadState reads the state file at path. A missing file is reported with
// an error that matches os.ErrNotExist.
func ReadState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	if s.Version != stateVersion {
		return nil, fmt.Errorf("state file %s: version %d, want %d", path, s.Version, stateVersion)
	}
	return &s, nil
}

// WriteState writes s to path atomically.
func WriteState(path string, s *State) error {
	s.Version = stateVersion
	s.UpdatedAt = time.Now().UTC().Truncate(time.Millisecond)
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(data, '\n'), 0o644)
}

// readStateOrEmpty returns the state at path or a fresh one when none exists.
func readStateOrEmpty(path string) (*State, error) {
	s, err := ReadState(path)
	if errors.Is(err, os.ErrNotExist) {
		return &State{Version: stateVersion, Sysctls: map[string]string{}}, nil
	}
	if err != nil {
		return nil, err
	}
	if s.Sysctls == nil {
		s.Sysctls = map[string]string{}
	}
	return s, nil
}
