package reminders

import (
	"context"
	"fmt"
	"net"
	"net/smtp"
	"net/url"
	"strings"
	"time"
)

// SMTP sends reminders through an SMTP server given as a URL:
// smtp://user:password@host:587?from=skillgate@clinic.org (STARTTLS is
// used when the server offers it).
type SMTP struct {
	addr, from string
	auth       smtp.Auth
}

// NewSMTP parses an smtp:// URL.
func NewSMTP(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "smtp" || u.Host == "" {
		return nil, fmt.Errorf("SKILLGATE_SMTP_URL must look like smtp://user:password@host:587?from=skillgate@clinic.org")
	}
	from := u.Query().Get("from")
	if from == "" {
		return nil, fmt.Errorf("SKILLGATE_SMTP_URL needs ?from=address")
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, port = u.Host, "25"
	}
	m := &SMTP{addr: net.JoinHostPort(host, port), from: from}
	if u.User != nil {
		pw, _ := u.User.Password()
		m.auth = smtp.PlainAuth("", u.User.Username(), pw, host)
	}
	return m, nil
}

// Send delivers one plain-text message.
func (m *SMTP) Send(ctx context.Context, to, subject, body string) error {
	if strings.ContainsAny(to+subject, "\r\n") {
		return fmt.Errorf("refusing a header with a line break")
	}
	msg := "From: " + m.from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nDate: " + time.Now().UTC().Format(time.RFC1123Z) +
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
