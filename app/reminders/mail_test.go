package reminders_test

import (
	"bufio"
	"context"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/reminders"
)

// fakeSMTP is a minimal SMTP server on loopback that records one message.
func fakeSMTP(t *testing.T) (addr string, got <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		r, w := bufio.NewReader(conn), bufio.NewWriter(conn)
		say := func(s string) { w.WriteString(s + "\r\n"); w.Flush() }
		say("220 fake ESMTP")
		var msg strings.Builder
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.TrimSpace(line))
			switch {
			case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
				say("250 fake")
			case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
				say("250 ok")
			case cmd == "DATA":
				say("354 go on")
				for {
					l, err := r.ReadString('\n')
					if err != nil || l == ".\r\n" {
						break
					}
					msg.WriteString(l)
				}
				say("250 queued")
				ch <- msg.String()
			case cmd == "QUIT":
				say("221 bye")
				return
			default:
				say("502 not implemented")
			}
		}
	}()
	return ln.Addr().String(), ch
}

func TestSMTPSendsThroughARealConnection(t *testing.T) {
	addr, got := fakeSMTP(t)
	m, err := reminders.NewSMTP("smtp://" + addr + "?from=skillgate@clinic.test")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), "hr@clinic.test", "Skillgate reminder: BLS due 2026-11-30", "Jordan Lee: BLS is due 2026-11-30."); err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-got:
		for _, want := range []string{"From: skillgate@clinic.test", "To: hr@clinic.test", "Subject: Skillgate reminder: BLS due 2026-11-30", "Jordan Lee: BLS is due"} {
			if !strings.Contains(msg, want) {
				t.Errorf("message lacks %q:\n%s", want, msg)
			}
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no message arrived")
	}
	if err := m.Send(context.Background(), "x@clinic.test\r\nBcc: all@clinic.test", "s", "b"); err == nil {
		t.Fatal("a header with a line break was sent")
	}
	if _, err := reminders.NewSMTP("smtp://host:25"); err == nil {
		t.Fatal("an SMTP URL without from= was accepted")
	}
}

// Whatever SKILLGATE_SMTP_URL holds, NewSMTP either refuses it with a
// message that names the setting and never repeats the password, or gives
// a dialable host:port and a sender address without line breaks.
func FuzzNewSMTP(f *testing.F) {
	for _, s := range []string{
		"smtp://user:secret-pw@mail.clinic.org:587?from=skillgate@clinic.org",
		"smtp://mail.clinic.org?from=Skillgate%20Reminders%20%3Csg@clinic.org%3E",
		"smtp://[::1]:25?from=a@b.test", "smtp://host:0?from=a@b.test", "smtp://host:99999?from=a@b.test", "smtp://host:smtp?from=a@b.test",
		"smtp://:587?from=a@b.test", "smtp://host?from=a@b.test%0D%0ABcc:%20all@b.test", "smtp://host?from=", "smtp://host", "http://host?from=a@b.test",
		"smtp://u:p%zz@host?from=a@b.test", "smtp://user:secret-pw@host:25?from=not-an-address", "", "smtp://host?from=%22x%0d%0a%22%20%3Ca@b.test%3E",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		m, err := reminders.NewSMTP(raw)
		if err != nil {
			if m != nil || !strings.HasPrefix(err.Error(), "SKILLGATE_SMTP_URL") {
				t.Fatalf("NewSMTP(%q): %v", raw, err)
			}
			// The message must not depend on the password: the same URL
			// with another password gives the same message.
			if u, perr := url.Parse(raw); perr == nil && u.User != nil {
				if pw, ok := u.User.Password(); ok {
					u.User = url.UserPassword(u.User.Username(), strings.Repeat("z", len(pw)+1))
					if _, err2 := reminders.NewSMTP(u.String()); err2 == nil || err2.Error() != err.Error() {
						t.Fatalf("NewSMTP(%q): %v, but with another password: %v", raw, err, err2)
					}
				}
			}
			return
		}
		host, port, err := net.SplitHostPort(m.Addr())
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			t.Fatalf("NewSMTP(%q) dials %q", raw, m.Addr())
		}
		if a, err := mail.ParseAddress(m.From()); err != nil || a.Address != m.From() || strings.ContainsAny(m.From(), "\r\n") {
			t.Fatalf("NewSMTP(%q) sends from %q", raw, m.From())
		}
	})
}
