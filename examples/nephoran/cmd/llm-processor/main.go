// Command llm-processor is one of the Nephoran services of the example.
package main

import "github.com/thc1006/nephoran-intent-operator/internal/service"

// version is set at build time: -ldflags "-X main.version=$VERSION".
var version = "dev"

func main() {
	service.Main("llm-processor", version, ":8080")
}
