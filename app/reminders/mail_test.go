package reminders_test

import (
	"bufio"
	"context"
	"net"
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
