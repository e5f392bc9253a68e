package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"path"
	"sort"
	"time"
)

// tarEntry is one file or directory of a deterministic tar stream.
type tarEntry struct {
	name    string // relative, no leading slash; directories end in "/"
	mode    int64
	content []byte
	dir     bool
}

// layerTar returns the uncompressed layer holding files and their parent
// directories (mode 0755), sorted by name, owned by 0:0, stamped mtime.
func layerTar(files []File, mtime time.Time) ([]byte, error) {
	entries := make(map[string]tarEntry)
	for _, f := range files {
		name, err := cleanImagePath(f.Path)
		if err != nil {
			return nil, err
		}
		if _, dup := entries[name]; dup {
			return nil, fmt.Errorf("file %q given twice", f.Path)
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		if mode&^0o7777 != 0 {
			return nil, fmt.Errorf("file %q: mode %o has bits beyond permissions", f.Path, mode)
		}
		entries[name] = tarEntry{name: name, mode: mode, content: f.Content}
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			entries[dir+"/"] = tarEntry{name: dir + "/", mode: 0o755, dir: true}
		}
	}
	for name := range entries {
		if _, clash := entries[name+"/"]; clash {
			return nil, fmt.Errorf("%q is both a file and a parent directory", "/"+name)
		}
	}
	return writeTar(sortedEntries(entries), mtime)
}

// sortedEntries returns the entries ordered by name.
func sortedEntries(m map[string]tarEntry) []tarEntry {
	out := make([]tarEntry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// writeTar writes entries, in order, as a tar stream with fixed metadata.
func writeTar(entries []tarEntry, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{
			Name:     e.name,
			Mode:     e.mode,
			ModTime:  mtime,
			Typeflag: tar.TypeReg,
			Size:     int64(len(e.content)),
		}
		if e.dir {
			hdr.Typeflag, hdr.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("tar header %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.content); err != nil {
			return nil, fmt.Errorf("tar content %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close tar: %w", err)
	}
	return buf.Bytes(), nil
}
