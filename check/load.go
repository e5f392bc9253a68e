package check

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Stdin is the path that reads manifests from standard input.
const Stdin = "-"

// LoadPaths reads every manifest from paths: files, directories (recursively,
// *.yaml, *.yml and *.json in lexical order) and "-" for stdin. Then it
// refuses kinds neither Kubernetes nor a CustomResourceDefinition among the
// inputs defines.
func LoadPaths(paths []string, stdin io.Reader) ([]Object, error) {
	var objs []Object
	for _, p := range paths {
		got, err := loadPath(p, stdin)
		if err != nil {
			return nil, err
		}
		objs = append(objs, got...)
	}
	if err := checkKinds(objs); err != nil {
		return nil, err
	}
	return objs, nil
}

func loadPath(p string, stdin io.Reader) ([]Object, error) {
	if p == Stdin {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("reading stdin: %w", err)
		}
		return Parse("-", data)
	}
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, errors.Unwrap(err))
	}
	if !info.IsDir() {
		return loadFile(p)
	}
	files, err := manifestFiles(p)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no *.yaml, *.yml or *.json file in this directory", p)
	}
	var objs []Object
	for _, f := range files {
		got, err := loadFile(f)
		if err != nil {
			return nil, err
		}
		objs = append(objs, got...)
	}
	return objs, nil
}

func loadFile(p string) ([]Object, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, errors.Unwrap(err))
	}
	return Parse(filepath.ToSlash(p), data)
}

// manifestFiles lists dir's manifest files recursively, sorted.
func manifestFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
			if !d.IsDir() {
				files = append(files, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading directory %s: %w", dir, err)
	}
	sort.Strings(files)
	return files, nil
}

// checkKinds refuses objects of a kind that neither Kubernetes nor the
// checks know, unless a CustomResourceDefinition among the inputs defines it.
func checkKinds(objs []Object) error {
	defined := map[schema.GroupKind]bool{}
	for _, o := range objs {
		if c, ok := o.typed.(*crd); ok {
			defined[schema.GroupKind{Group: c.Spec.Group, Kind: c.Spec.Names.Kind}] = true
		}
	}
	var errs []error
	for _, o := range objs {
		if knownKind(o.GVK) || defined[o.GVK.GroupKind()] {
			continue
		}
		errs = append(errs, &ParseError{Location: o.Location, Reason: fmt.Sprintf(
			"unknown kind %s (apiVersion %s): not a Kubernetes kind, and no CustomResourceDefinition among the inputs defines it; fix the kind or apiVersion, or add the CRD's manifest to the inputs",
			o.GVK.Kind, o.GVK.GroupVersion())})
	}
	return errors.Join(errs...)
}
