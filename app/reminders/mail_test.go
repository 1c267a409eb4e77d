package reminders_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/reminders"
)

// smtpServer is a minimal SMTP server on loopback that records what it
// receives. It speaks plain SMTP, offers STARTTLS when tls is set, or
// speaks TLS from the first byte when implicit is set; stall makes it
// stop answering once DATA begins.
type smtpServer struct {
	tls      *tls.Config
	implicit bool
	stall    bool
}

// received is one conversation as the server saw it.
type received struct {
	msg     string // the message's text (DATA)
	auth    string // the AUTH PLAIN line, decoded
	overTLS bool   // DATA arrived over TLS
	stalled chan struct{}
	closed  chan struct{} // the client closed the connection
}

func (srv smtpServer) start(t *testing.T) (addr string, got <-chan *received) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan *received, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
		rec := &received{stalled: make(chan struct{}), closed: make(chan struct{})}
		if srv.implicit {
			conn = tls.Server(conn, srv.tls)
			rec.overTLS = true
		}
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
			case strings.HasPrefix(cmd, "EHLO"):
				if srv.tls != nil && !rec.overTLS {
					say("250-fake")
					say("250-STARTTLS")
				} else {
					say("250-fake")
				}
				say("250 AUTH PLAIN")
			case strings.HasPrefix(cmd, "HELO"):
				say("250 fake")
			case cmd == "STARTTLS" && srv.tls != nil && !rec.overTLS:
				say("220 go ahead")
				conn = tls.Server(conn, srv.tls)
				r, w = bufio.NewReader(conn), bufio.NewWriter(conn)
				rec.overTLS = true
			case strings.HasPrefix(cmd, "AUTH PLAIN"):
				b, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(line[len("AUTH PLAIN"):]))
				rec.auth = strings.ReplaceAll(string(b), "\x00", "|")
				say("235 ok")
			case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
				say("250 ok")
			case cmd == "DATA":
				if srv.stall {
					close(rec.stalled)
					ch <- rec
					// Wait for the client to give up and close.
					_, _ = r.ReadString('\n')
					for {
						if _, err := r.ReadByte(); err != nil {
							close(rec.closed)
							return
						}
					}
				}
				say("354 go on")
				for {
					l, err := r.ReadString('\n')
					if err != nil || l == ".\r\n" {
						break
					}
					msg.WriteString(l)
				}
				say("250 queued")
				rec.msg = msg.String()
				ch <- rec
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

// wait returns what the server received.
func wait(t *testing.T, got <-chan *received) *received {
	t.Helper()
	select {
	case r := <-got:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("no message arrived")
		return nil
	}
}

// selfSigned is a TLS certificate for 127.0.0.1 and "mail.clinic.test",
// and a pool that trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fake smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"mail.clinic.test"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

// parse reads a received message's headers and body as a mail client would.
func parse(t *testing.T, raw string) (*mail.Message, string) {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("the message does not parse: %v\n%s", err, raw)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
	return m, string(body)
}

func TestSMTPSendsThroughARealConnection(t *testing.T) {
	addr, got := smtpServer{}.start(t)
	m, err := reminders.NewSMTP("smtp://" + addr + "?from=skillgate@clinic.test")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), "hr@clinic.test", "Skillgate reminder: BLS due 2026-11-30", "Jordan Lee: BLS is due 2026-11-30."); err != nil {
		t.Fatal(err)
	}
	msg, body := parse(t, wait(t, got).msg)
	from, _ := msg.Header.AddressList("From")
	to, _ := msg.Header.AddressList("To")
	if len(from) != 1 || from[0].Address != "skillgate@clinic.test" || len(to) != 1 || to[0].Address != "hr@clinic.test" ||
		msg.Header.Get("Subject") != "Skillgate reminder: BLS due 2026-11-30" || !strings.Contains(body, "Jordan Lee: BLS is due") {
		t.Errorf("message: from %v to %v subject %q body %q", from, to, msg.Header.Get("Subject"), body)
	}
	if _, err := msg.Header.Date(); err != nil {
		t.Errorf("no Date: %v", err)
	}
	if err := m.Send(context.Background(), "x@clinic.test\r\nBcc: all@clinic.test", "s", "b"); err == nil {
		t.Fatal("a header with a line break was sent")
	}
	if _, err := reminders.NewSMTP("smtp://host:25"); err == nil {
		t.Fatal("an SMTP URL without from= was accepted")
	}
}

// Issue 16, "Also: Email": a subject with accents arrives encoded (RFC
// 2047) and reads back the same; a line break in a subject or a display
// name cannot add a header.
func TestSMTPEncodesSubjectsAndRefusesHeaderInjection(t *testing.T) {
	addr, got := smtpServer{}.start(t)
	m, err := reminders.NewSMTP("smtp://" + addr + "?from=" + url.QueryEscape("Clinique Santé <skillgate@clinic.test>"))
	if err != nil {
		t.Fatal(err)
	}
	subject := "Rappel : vérification BLS échue pour Zoë Müller\r\nBcc: everyone@clinic.test\r\nX-Injected: yes"
	if err := m.Send(context.Background(), "hr@clinic.test", subject, "Zoë Müller : BLS échu le 2026-11-30."); err != nil {
		t.Fatal(err)
	}
	raw := wait(t, got).msg
	msg, body := parse(t, raw)
	if msg.Header.Get("Bcc") != "" || msg.Header.Get("X-Injected") != "" {
		t.Fatalf("a line break in the subject made headers:\n%s", raw)
	}
	for _, line := range strings.Split(raw[:strings.Index(raw, "\r\n\r\n")], "\r\n") {
		if !utf8OnlyASCII(line) {
			t.Errorf("header line is not ASCII (not encoded): %q", line)
		}
	}
	dec := new(mime.WordDecoder)
	if s, err := dec.DecodeHeader(msg.Header.Get("Subject")); err != nil || !strings.HasPrefix(s, "Rappel : vérification BLS échue pour Zoë Müller") {
		t.Errorf("subject reads back as %q (%v), raw %q", s, err, msg.Header.Get("Subject"))
	}
	if from, err := msg.Header.AddressList("From"); err != nil || len(from) != 1 || from[0].Name != "Clinique Santé" {
		t.Errorf("From reads back as %v (%v)", from, err)
	}
	if !strings.Contains(body, "Zoë Müller : BLS échu") {
		t.Errorf("body %q", body)
	}
}

func utf8OnlyASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// STARTTLS is used when the server offers it, and the password goes only
// over TLS.
func TestSMTPUsesSTARTTLS(t *testing.T) {
	cfg, pool := selfSigned(t)
	addr, got := smtpServer{tls: cfg}.start(t)
	m, err := reminders.NewSMTP("smtp://mailer:s3cret@" + addr + "?from=skillgate@clinic.test")
	if err != nil {
		t.Fatal(err)
	}
	reminders.TrustRoots(m, pool)
	if err := m.Send(context.Background(), "hr@clinic.test", "subject", "body"); err != nil {
		t.Fatal(err)
	}
	if r := wait(t, got); !r.overTLS || r.auth != "|mailer|s3cret" {
		t.Fatalf("over TLS %v, auth %q", r.overTLS, r.auth)
	}
}

// Port 465 is implicit TLS (TLS from the first byte), as is smtps://.
func TestSMTPImplicitTLSOn465(t *testing.T) {
	cfg, pool := selfSigned(t)
	for _, u := range []string{"smtp://mailer:s3cret@mail.clinic.test:465", "smtps://mailer:s3cret@mail.clinic.test"} {
		addr, got := smtpServer{tls: cfg, implicit: true}.start(t)
		m, err := reminders.NewSMTP(u + "?from=skillgate@clinic.test")
		if err != nil {
			t.Fatal(err)
		}
		if m.Addr() != "mail.clinic.test:465" {
			t.Fatalf("%s: dials %s", u, m.Addr())
		}
		reminders.TrustRoots(m, pool)
		reminders.DialInstead(m, addr) // mail.clinic.test:465 is this test's server
		if err := m.Send(context.Background(), "hr@clinic.test", "subject", "body"); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		if r := wait(t, got); !r.overTLS || r.auth != "|mailer|s3cret" || !strings.Contains(r.msg, "body") {
			t.Fatalf("%s: over TLS %v, auth %q", u, r.overTLS, r.auth)
		}
	}
}

// Sending ends with its context, whatever step it is at: here the server
// stops answering after DATA, and cancelling returns at once and closes
// the connection.
func TestSMTPSendEndsWithItsContext(t *testing.T) {
	addr, got := smtpServer{stall: true}.start(t)
	m, err := reminders.NewSMTP("smtp://" + addr + "?from=skillgate@clinic.test")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Send(ctx, "hr@clinic.test", "subject", "body") }()
	r := wait(t, got)
	<-r.stalled
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Send after cancel: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Send did not end with its context")
	}
	select {
	case <-r.closed:
	case <-time.After(20 * time.Second):
		t.Fatal("the connection stayed open")
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
