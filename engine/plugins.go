package engine

import (
	"fmt"
	"path/filepath"
)

// addPlugins makes the relative paths of the generated project's `plugins:`
// entries absolute (they were written relative to projectDir) and adds
// extra, replacing an entry of the same kind and name.
func addPlugins(projectDir, projFile string, extra []Plugin) error {
	proj, err := readYAML(projFile)
	if err != nil {
		return fmt.Errorf("engine: reading the generated project: %w", err)
	}
	section, _ := proj["plugins"].(map[string]any)
	if section == nil && len(extra) == 0 {
		return nil
	}
	if section == nil {
		section = map[string]any{}
	}
	absProject, err := filepath.Abs(projectDir)
	if err != nil {
		return err
	}
	for kind, list := range section {
		entries, _ := list.([]any)
		for _, e := range entries {
			if m, ok := e.(map[string]any); ok {
				if p, ok := m["path"].(string); ok && p != "" && !filepath.IsAbs(p) {
					m["path"] = filepath.Join(absProject, p)
				}
			}
		}
		section[kind] = entries
	}
	for _, pl := range extra {
		dir, err := filepath.Abs(pl.Dir)
		if err != nil {
			return err
		}
		entries, _ := section[pl.Kind].([]any)
		kept := entries[:0]
		for _, e := range entries {
			if m, ok := e.(map[string]any); !ok || m["name"] != pl.Name {
				kept = append(kept, e)
			}
		}
		section[pl.Kind] = append(kept, map[string]any{"name": pl.Name, "path": dir})
	}
	proj["plugins"] = section
	return writeYAML(projFile, proj)
}
