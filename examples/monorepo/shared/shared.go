// Package shared is code of this repository that lives in its own module (./shared) and that the
// platform module uses through a local replace directive, as monorepos often do.
package shared

// Component names a service as the platform knows it.
func Component(service string) string {
	return "platform/" + service
}
