package main

import (
	"fmt"

	buildinfo "example.com/fleet/internal/version"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
	"golang.org/x/sync/errgroup"
	"golang.org/x/telemetry/counter"
)

var version = "dev"

func main() {
	var g errgroup.Group
	g.Go(func() error { _, err := modfile.Parse("go.mod", []byte("module x\n"), nil); return err })
	_ = g.Wait()
	counter.Inc("fleet/tools")
	fmt.Println(buildinfo.Line("tools", version), semver.IsValid("v1.0.0"))
}
