// Command gateway is a service of the platform module. It uses a sibling module of the repository
// (monorepo.example/shared, replaced by ./shared) and a private one from the team's authenticated
// module proxy (modules.monorepo.internal/auth).
package main

import (
	"fmt"
	"runtime"

	"modules.monorepo.internal/auth"
	"monorepo.example/shared"
)

// version is set at build time: -ldflags "-X main.version=$VERSION".
var version = "dev"

func main() {
	const name = "gateway"
	fmt.Printf("%s version=%s platform=%s/%s shared=%s auth=%s\n",
		name, version, runtime.GOOS, runtime.GOARCH, shared.Component(name), auth.Token(name))
}
