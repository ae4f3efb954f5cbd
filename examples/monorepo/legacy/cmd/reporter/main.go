// Command reporter is the service of the legacy module, which builds from its committed vendor/
// tree (no module download in the image build).
package main

import (
	"fmt"
	"runtime"

	"modules.monorepo.internal/auth"
)

// version is set at build time: -ldflags "-X main.version=$VERSION".
var version = "dev"

func main() {
	const name = "reporter"
	fmt.Printf("%s version=%s platform=%s/%s auth=%s\n", name, version, runtime.GOOS, runtime.GOARCH, auth.Token(name))
}
