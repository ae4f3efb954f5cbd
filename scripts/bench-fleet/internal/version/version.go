// Package version formats the line every service prints at start.
package version

import (
	"fmt"
	"runtime"
)

// Line is the version line of a service.
func Line(name, version string) string {
	return fmt.Sprintf("%s version=%s platform=%s/%s", name, version, runtime.GOOS, runtime.GOARCH)
}
