// Command catalog-server is the storefront's catalog service (image "catalog").
package main

import (
	"fmt"
	"runtime"
)

// Set at build time: version by the pipeline, commit by the service's own ldflags.
var (
	version = "dev"
	commit  = "none"
)

func main() {
	fmt.Printf("catalog version=%s commit=%s platform=%s/%s netgo=%v\n", version, commit, runtime.GOOS, runtime.GOARCH, netgo)
}
