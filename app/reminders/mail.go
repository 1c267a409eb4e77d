package reminders

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTP sends reminders through an SMTP server given as a URL:
// smtp://user:password@host:587?from=skillgate@clinic.org. Port 465 (or
// the scheme smtps://) means implicit TLS; on any other port STARTTLS is
// used when the server offers it. Messages are built by go-mail, which
// encodes non-ASCII subjects and names (RFC 2047) and cannot be made to
// write a header from a line break in a value.
type SMTP struct {
	host        string
	port        int
	from        *mail.Address
	user, pass  string
	implicitTLS bool
	// rootCAs and dial are the system's roots and a TCP dial; tests replace them.
	rootCAs *x509.CertPool
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
}

// errSMTPURL is NewSMTP's error. It never repeats the URL, which may hold
// a password.
var errSMTPURL = errors.New("SKILLGATE_SMTP_URL must look like smtp://user:password@host:587?from=skillgate@clinic.org")

// smtpTimeout bounds each step of a conversation with the server.
const smtpTimeout = 30 * time.Second

// NewSMTP parses an smtp:// (or smtps://) URL. The port defaults to 25
// (465 for smtps); from= must be one email address (a display name is
// allowed: from=Skillgate <sg@clinic.org>).
func NewSMTP(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
		return nil, errSMTPURL
	}
	from := u.Query().Get("from")
	if from == "" {
		return nil, fmt.Errorf("SKILLGATE_SMTP_URL needs ?from=address")
	}
	addr, err := mail.ParseAddress(from)
	if err != nil || strings.ContainsAny(addr.Address, "\r\n<>") {
		return nil, fmt.Errorf("SKILLGATE_SMTP_URL: from= must be one email address such as skillgate@clinic.org")
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "25"
		if u.Scheme == "smtps" {
			port = "465"
		}
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || host == "" {
		return nil, fmt.Errorf("%w (the host is missing or the port is not a number from 1 to 65535)", errSMTPURL)
	}
	m := &SMTP{host: host, port: n, from: addr, implicitTLS: u.Scheme == "smtps" || n == 465,
		dial: (&net.Dialer{Timeout: smtpTimeout}).DialContext}
	if u.User != nil {
		m.user = u.User.Username()
		m.pass, _ = u.User.Password()
	}
	return m, nil
}

// Addr is the server's host:port, for logs.
func (m *SMTP) Addr() string { return net.JoinHostPort(m.host, strconv.Itoa(m.port)) }

// From is the sender's address, as given to the server.
func (m *SMTP) From() string { return m.from.Address }

// Send delivers one plain-text message. It gives up, closing the
// connection, as soon as ctx ends.
func (m *SMTP) Send(ctx context.Context, to, subject, body string) error {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent()) // no software version in every mail
	msg.FromMailAddress(m.from)
	if err := msg.To(to); err != nil {
		return fmt.Errorf("mail to %q: %w", to, err)
	}
	msg.Subject(subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, body)

	tlsConfig := &tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12, RootCAs: m.rootCAs}
	opts := []gomail.Option{
		gomail.WithPort(m.port),
		gomail.WithTimeout(smtpTimeout),
		gomail.WithTLSConfig(tlsConfig),
		// The connection is Send's own, so that ending ctx ends it at any
		// step (go-mail's own context only bounds the dial).
		gomail.WithDialContextFunc(func(dctx context.Context, network, addr string) (net.Conn, error) {
			raw, err := m.dial(dctx, network, addr)
			if err != nil {
				return nil, err
			}
			stop := context.AfterFunc(ctx, func() { raw.Close() })
			var conn net.Conn = &stopOnClose{Conn: raw, stop: stop}
			if m.implicitTLS {
				// A *tls.Conn on top, so go-mail knows the connection
				// is encrypted (it sends a password only then).
				tc := tls.Client(conn, tlsConfig)
				if err := tc.HandshakeContext(dctx); err != nil {
					conn.Close()
					return nil, err
				}
				conn = tc
			}
			return conn, nil
		}),
	}
	if m.implicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		// As before: STARTTLS whenever the server offers it.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if m.user != "" {
		// PLAIN, which go-mail sends only over TLS (or to localhost).
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(m.user), gomail.WithPassword(m.pass))
	}
	c, err := gomail.NewClient(m.host, opts...)
	if err != nil {
		return fmt.Errorf("mail client for %s: %w", m.Addr(), err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("mail to %s via %s: %w", to, m.Addr(), ctx.Err())
		}
		return fmt.Errorf("mail to %s via %s: %w", to, m.Addr(), err)
	}
	return nil
}

// stopOnClose is a connection that, once closed, no longer waits for the
// context that would close it.
type stopOnClose struct {
	net.Conn
	stop func() bool
}

func (c *stopOnClose) Close() error {
	c.stop()
	return c.Conn.Close()
}
