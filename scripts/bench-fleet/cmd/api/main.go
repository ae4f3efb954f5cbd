package main

import (
	"fmt"
	"os"

	buildinfo "example.com/fleet/internal/version"
	"github.com/google/pprof/driver"
)

var version = "dev"

func main() {
	fmt.Println(buildinfo.Line("api", version))
	if len(os.Args) > 1 {
		_ = driver.PProf(&driver.Options{})
	}
}
