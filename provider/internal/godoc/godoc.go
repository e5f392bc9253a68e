// Package godoc reads the doc comments of a Go package's struct types and
// their fields from its source, as schema descriptions: one paragraph per
// blank-line-separated block, lines joined with spaces.
package godoc

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"strings"
)

// Read returns the doc comments of the struct types declared in the
// package in dir (test files excluded), keyed "Type" and "Type.Field".
func Read(dir string) (map[string]string, error) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", dir, err)
	}
	docs := map[string]string{}
	for _, pkg := range pkgs {
		for _, f := range pkg.Files {
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.TYPE {
					continue
				}
				for _, spec := range gd.Specs {
					readType(docs, gd, spec.(*ast.TypeSpec))
				}
			}
		}
	}
	return docs, nil
}

func readType(docs map[string]string, gd *ast.GenDecl, ts *ast.TypeSpec) {
	st, ok := ts.Type.(*ast.StructType)
	if !ok {
		return
	}
	doc := ts.Doc
	if doc == nil && len(gd.Specs) == 1 {
		doc = gd.Doc
	}
	if text := Text(doc); text != "" {
		docs[ts.Name.Name] = text
	}
	for _, field := range st.Fields.List {
		text := Text(field.Doc)
		for _, n := range field.Names {
			if text != "" {
				docs[ts.Name.Name+"."+n.Name] = text
			}
		}
	}
}

// Text is a comment group as a description: paragraphs separated by a
// blank line, each paragraph's lines joined with single spaces.
func Text(cg *ast.CommentGroup) string {
	if cg == nil {
		return ""
	}
	var paras []string
	for _, para := range strings.Split(strings.TrimSpace(cg.Text()), "\n\n") {
		if p := strings.Join(strings.Fields(para), " "); p != "" {
			paras = append(paras, p)
		}
	}
	return strings.Join(paras, "\n\n")
}
