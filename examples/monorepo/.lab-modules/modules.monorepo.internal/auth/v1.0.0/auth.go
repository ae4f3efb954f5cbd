// Package auth is the platform team's private service-identity helper. It is published only on the
// team's authenticated module proxy, never on a public host.
package auth

// Token returns the identity a service presents to the platform.
func Token(service string) string {
	return service + "@v1"
}
