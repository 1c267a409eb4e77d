// Package smtptest is a plain SMTP server on loopback for tests that need
// to see what Skillgate emails, and to whom: every message it accepts is
// kept with its recipients. It takes any number of connections, one
// message each or more, and speaks no TLS (reminders' own tests cover
// STARTTLS and implicit TLS).
package smtptest

import (
	"bufio"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"
)

// Message is one message as the server received it.
type Message struct {
	// To are the RCPT TO addresses.
	To []string
	// Subject is the decoded subject; Body the decoded text.
	Subject, Body string
}

// Server records what it receives until the test ends.
type Server struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []Message
}

// Start listens on 127.0.0.1 and serves until t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	return s
}

// URL is the SKILLGATE_SMTP_URL that sends to this server.
func (s *Server) URL() string {
	return "smtp://" + s.ln.Addr().String() + "?from=skillgate@clinic.test"
}

// Messages returns what arrived so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// To returns the messages sent to addr.
func (s *Server) To(addr string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

func (s *Server) serve(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	r, w := bufio.NewReader(conn), bufio.NewWriter(conn)
	say := func(line string) { w.WriteString(line + "\r\n"); w.Flush() }
	say("220 smtptest ESMTP")
	var to []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			say("250-smtptest")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "HELO"):
			say("250 smtptest")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			addr := strings.TrimSpace(line[len("RCPT TO:"):])
			addr, _, _ = strings.Cut(strings.Trim(addr, "<>\r\n"), ">")
			to = append(to, strings.Trim(addr, "<> "))
			say("250 ok")
		case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
			say("250 ok")
		case cmd == "DATA":
			say("354 go on")
			var raw strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				raw.WriteString(strings.TrimPrefix(l, "."))
			}
			s.keep(to, raw.String())
			to = nil
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

func (s *Server) keep(to []string, raw string) {
	m := Message{To: to}
	if msg, err := mail.ReadMessage(strings.NewReader(raw)); err == nil {
		m.Subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		var body []byte
		if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body, _ = io.ReadAll(quotedprintable.NewReader(msg.Body))
		} else {
			body, _ = io.ReadAll(msg.Body)
		}
		m.Body = string(body)
	} else {
		m.Body = raw
	}
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	s.mu.Unlock()
}
