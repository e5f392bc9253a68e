package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
)

// RenderDirKey is the stack configuration key (in the project's namespace)
// that asks the program to render its Kubernetes objects instead of applying
// them: when it is set, the program must create its kubernetes provider with
// RenderYamlToDirectory set to the key's value, and create no cloud
// resources and nothing that needs a cluster.
const RenderDirKey = "renderDir"

// Render writes the Kubernetes objects the program declares for opts.Stack
// as YAML manifests into dir (replaced as a whole), without a cluster or a
// cloud account: it runs `up` on a throwaway file backend with
// RenderDirKey=dir, so the kubernetes provider writes every object it would
// create (dir/1-manifest/<apiVersion>-<kind>-<namespace>-<name>.yaml, CRDs
// in dir/0-crd). opts.Action is ignored; opts.WorkDir holds the throwaway
// state (in WorkDir/render/<stack>, removed before and after).
func Render(ctx context.Context, opts Options, dir string) (Result, error) {
	if opts.WorkDir == "" {
		return Result{}, errors.New("engine: Options.WorkDir is required")
	}
	out, err := filepath.Abs(dir)
	if err != nil {
		return Result{}, err
	}
	work := filepath.Join(opts.WorkDir, "render", opts.Stack)
	if err := os.RemoveAll(work); err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(work)
	if err := clearRenderDir(out); err != nil {
		return Result{}, err
	}
	cfg := map[string]string{}
	maps.Copy(cfg, opts.Config)
	cfg[RenderDirKey] = out
	opts.Config, opts.WorkDir, opts.Action = cfg, work, Up
	res, err := Run(ctx, opts)
	if err != nil {
		return res, err
	}
	files, err := RenderedFiles(out)
	if err != nil {
		return res, err
	}
	if len(files) == 0 {
		return res, fmt.Errorf("engine: rendering stack %q wrote no manifests into %s: does the program create its kubernetes provider with RenderYamlToDirectory = config %q?", opts.Stack, out, RenderDirKey)
	}
	// The provider writes files 0600 in 0700 directories; make them
	// readable like the rest of a checkout.
	return res, filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		return os.Chmod(p, mode)
	})
}

// RenderedFiles lists the manifests under dir, relative to it, sorted.
func RenderedFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return files, err
}

// clearRenderDir removes a previous rendering from dir, refusing to remove a
// directory that holds anything else (a mistyped dir must not cost a tree).
func clearRenderDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() || (n != "0-crd" && n != "1-manifest") {
			return fmt.Errorf("engine: %s holds %s, which is not a rendering; not replacing it", dir, n)
		}
	}
	return os.RemoveAll(dir)
}
