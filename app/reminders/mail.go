package reminders

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SMTP sends reminders through an SMTP server given as a URL:
// smtp://user:password@host:587?from=skillgate@clinic.org (STARTTLS is
// used when the server offers it).
type SMTP struct {
	addr, from string
	header     string // the From: header: from, with its display name
	auth       smtp.Auth
}

// errSMTPURL is NewSMTP's error. It never repeats the URL, which may hold
// a password.
var errSMTPURL = errors.New("SKILLGATE_SMTP_URL must look like smtp://user:password@host:587?from=skillgate@clinic.org")

// NewSMTP parses an smtp:// URL. The port defaults to 25; from= must be
// one email address (a display name is allowed: from=Skillgate <sg@clinic.org>).
func NewSMTP(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "smtp" || u.Host == "" {
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
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || host == "" {
		return nil, fmt.Errorf("%w (the host is missing or the port is not a number from 1 to 65535)", errSMTPURL)
	}
	m := &SMTP{addr: net.JoinHostPort(host, port), from: addr.Address, header: addr.Address}
	if addr.Name != "" {
		m.header = addr.String() // the name encoded as RFC 2047 needs
	}
	if u.User != nil {
		pw, _ := u.User.Password()
		m.auth = smtp.PlainAuth("", u.User.Username(), pw, host)
	}
	return m, nil
}

// Addr is the server's host:port, for logs.
func (m *SMTP) Addr() string { return m.addr }

// From is the sender's address, as given to the server.
func (m *SMTP) From() string { return m.from }

// Send delivers one plain-text message.
func (m *SMTP) Send(ctx context.Context, to, subject, body string) error {
	if strings.ContainsAny(to+subject, "\r\n") {
		return fmt.Errorf("refusing a header with a line break")
	}
	msg := "From: " + m.header + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nDate: " + time.Now().UTC().Format(time.RFC1123Z) +
		"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
	done := make(chan error, 1)
	go func() { done <- smtp.SendMail(m.addr, m.auth, m.from, []string{to}, []byte(msg)) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
