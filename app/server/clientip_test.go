package server_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
)

// serve runs e's server on a real loopback connection (127.0.0.1), so the
// peer address is what a proxy on this host would have.
func serve(t *testing.T, e *env) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.srv.App().Listener(ln) }()
	t.Cleanup(func() { _ = e.srv.App().Shutdown() })
	return "http://" + ln.Addr().String()
}

// browserAt is an HTTP client with a cookie jar that has loaded the login
// page of the server at base, and the CSRF token that page carries.
func browserAt(t *testing.T, base string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindStringSubmatch(string(b))
	if m == nil {
		t.Fatalf("no CSRF token on the login page:\n%s", b)
	}
	return hc, m[1]
}

// Issue 16 item 1: behind a trusted proxy that appends to the client's
// own X-Forwarded-For (nginx's $proxy_add_x_forwarded_for), the client is
// the right-most address that is not a proxy; what the client wrote to the
// left of it changes nothing, neither the per-IP login limit nor the
// address in the audit trail and the log.
func TestClientAddressIsTheRightMostUntrustedHop(t *testing.T) {
	forEachWith(t, map[string]string{"SKILLGATE_TRUSTED_PROXIES": "127.0.0.1"}, func(t *testing.T, e *env) {
		e.person("xff@example.test", accounts.RoleApprentice)
		base := serve(t, e)
		hc, token := browserAt(t, base)
		// Each try names another email, so that what stops them is the
		// per-IP limit and not the lockout of one account.
		var statuses []int
		var last string
		for i := 1; i <= 30; i++ {
			email := "xff@example.test"
			if i > 1 {
				email = fmt.Sprintf("someone%d@example.test", i)
			}
			form := url.Values{"email": {email}, "password": {"a wrong guess, number " + fmt.Sprint(i)}, "_csrf": {token}}
			req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d, 198.51.100.7", i))
			res, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			statuses = append(statuses, res.StatusCode)
			last = string(b)
		}
		if statuses[len(statuses)-1] != http.StatusTooManyRequests || !strings.Contains(last, "Too many attempts from this network") {
			t.Fatalf("30 logins from 198.51.100.7 behind the proxy were never limited: %v", statuses)
		}
		var ips []string
		if err := e.db.NewSelect().Table("audit_log").Column("ip").Where("action = ?", accounts.ActionLoginFailed).Scan(t.Context(), &ips); err != nil {
			t.Fatal(err)
		}
		if len(ips) == 0 {
			t.Fatal("no failed login in the audit trail")
		}
		for _, ip := range ips {
			if ip != "198.51.100.7" {
				t.Fatalf("audit trail records ip %q, want 198.51.100.7", ip)
			}
		}
		if logs := e.logText(); strings.Contains(logs, "203.0.113.") || !strings.Contains(logs, "ip=198.51.100.7") {
			t.Fatalf("the access log does not show the derived address only:\n%.2000s", logs)
		}
	})
}

// A client that talks to Skillgate directly (not through a trusted proxy)
// cannot choose its address or its request id; a trusted proxy can pass
// both, and a request id only in a safe form.
func TestForwardedHeadersOnlyFromTrustedProxies(t *testing.T) {
	forEachWith(t, map[string]string{"SKILLGATE_TRUSTED_PROXIES": "10.9.9.9"}, func(t *testing.T, e *env) {
		base := serve(t, e)
		hc, token := browserAt(t, base)
		form := url.Values{"email": {"nobody@example.test"}, "password": {"whatever it is now"}, "_csrf": {token}}
		post := func(header map[string]string) *http.Response {
			req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range header {
				req.Header.Set(k, v)
			}
			res, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res
		}
		res := post(map[string]string{"X-Forwarded-For": "198.51.100.66", "X-Request-ID": "forged-by-the-client"})
		if got := res.Header.Get("X-Request-ID"); got == "forged-by-the-client" || got == "" {
			t.Fatalf("an untrusted client chose the request id: %q", got)
		}
		var rec audit.Record
		if err := e.db.NewSelect().Model(&rec).Where("action = ?", accounts.ActionLoginFailed).Scan(t.Context()); err != nil {
			t.Fatal(err)
		}
		if rec.IP != "127.0.0.1" || rec.RequestID == "forged-by-the-client" {
			t.Fatalf("an untrusted client's headers reached the audit trail: ip %q, request id %q", rec.IP, rec.RequestID)
		}
	})
}

// The tests' own server trusts app.Test's address as a proxy.
func TestRequestIDFromATrustedProxyIsCheckedForForm(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		c := e.client()
		for id, kept := range map[string]bool{"proxy-id.42": true, "bad id\r\nX-Evil: 1": false, strings.Repeat("a", 65): false} {
			r := c.do("GET", "/login", nil, map[string]string{"X-Request-ID": id})
			if got := r.Header.Get("X-Request-ID"); (got == id) != kept || got == "" {
				t.Errorf("X-Request-ID %q from a trusted proxy: answered %q", id, got)
			}
		}
	})
}

// Entries that are not addresses end the walk at the proxy: garbage never
// becomes the client's address.
func TestForwardedForGarbageIsNotAnAddress(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		c := e.client()
		c.ip = "198.51.100.5, not-an-ip"
		c.login("nobody@example.test", "whatever it is now")
		if logs := e.logText(); strings.Contains(logs, "not-an-ip") || strings.Contains(logs, "198.51.100.5") || !strings.Contains(logs, "ip=0.0.0.0") {
			t.Fatalf("log:\n%.1500s", logs)
		}
	})
}
