// Command payments is a storefront service.
package main

import (
	"fmt"
	"runtime"
)

var version = "dev"

func main() {
	fmt.Printf("payments version=%s platform=%s/%s\n", version, runtime.GOOS, runtime.GOARCH)
}
