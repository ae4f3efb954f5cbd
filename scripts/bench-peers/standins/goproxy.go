// Command goproxy writes a GOPROXY=file:// tree for the modules vendored in the Go distribution's
// src/cmd (the fleet repository's dependencies), so that the peer Dockerfiles' `go mod download`
// works offline. Each module's zip holds its vendored packages (not the whole module): the hashes
// in the go.sum that `go mod download` then writes belong to these zips.
//
//	go run goproxy.go VENDOR_DIR OUT_DIR
package main

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	vendor, out := os.Args[1], os.Args[2]
	f, err := os.Open(filepath.Join(vendor, "modules.txt"))
	check(err)
	defer f.Close()
	mods := map[string]string{}
	owner := map[string]string{} // package -> module
	var cur string
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		switch {
		case strings.HasPrefix(line, "# "):
			fields := strings.Fields(line)
			cur = fields[1]
			mods[cur] = fields[2]
		case strings.HasPrefix(line, "## "):
		case line != "" && cur != "":
			owner[line] = cur
		}
	}
	for mod, ver := range mods {
		dir := filepath.Join(out, mod, "@v")
		check(os.MkdirAll(dir, 0o755))
		gomod := fmt.Sprintf("module %s\n\ngo 1.22\n", mod)
		check(os.WriteFile(filepath.Join(dir, ver+".mod"), []byte(gomod), 0o644))
		check(os.WriteFile(filepath.Join(dir, ver+".info"), []byte(fmt.Sprintf(`{"Version":%q,"Time":"2024-01-01T00:00:00Z"}`, ver)), 0o644))
		check(os.WriteFile(filepath.Join(dir, "list"), []byte(ver+"\n"), 0o644))
		zf, err := os.Create(filepath.Join(dir, ver+".zip"))
		check(err)
		zw := zip.NewWriter(zf)
		w, err := zw.Create(mod + "@" + ver + "/go.mod")
		check(err)
		_, err = w.Write([]byte(gomod))
		check(err)
		root := filepath.Join(vendor, mod)
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			pkg := filepath.ToSlash(filepath.Join(mod, filepath.Dir(rel)))
			// a file of a nested module's package belongs to that module's zip
			if m, ok := owner[pkg]; ok && m != mod {
				return nil
			}
			if filepath.Base(rel) == "go.mod" {
				return nil
			}
			data, err := os.ReadFile(p)
			check(err)
			w, err := zw.Create(mod + "@" + ver + "/" + filepath.ToSlash(rel))
			check(err)
			_, err = w.Write(data)
			check(err)
			return nil
		})
		check(zw.Close())
		check(zf.Close())
	}
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}
