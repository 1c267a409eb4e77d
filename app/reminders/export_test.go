package reminders

import (
	"context"
	"crypto/x509"
	"net"
)

// TrustRoots makes m trust pool's certificates (a test server's).
func TrustRoots(m *SMTP, pool *x509.CertPool) { m.rootCAs = pool }

// DialInstead makes m connect to addr whatever host it names, so a test
// can play mail.clinic.test:465.
func DialInstead(m *SMTP, addr string) {
	m.dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
}
