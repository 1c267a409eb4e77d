package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/curriculum"
)

// forEachWith is forEach with settings of the test's own.
func forEachWith(t *testing.T, settings map[string]string, fn func(t *testing.T, e *env)) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		fn(t, ownEnv(newEnvWith(t, d, settings), d, nil))
	})
}

// limited checks a 429: a Retry-After of at most a minute and a message
// saying which limit.
func limited(t *testing.T, r response, what, message string) {
	t.Helper()
	if r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("%s: %d, want 429\n%s", what, r.StatusCode, r.body)
	}
	wait, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || wait < 1 || wait > 60 {
		t.Fatalf("%s: Retry-After %q", what, r.Header.Get("Retry-After"))
	}
	if !strings.Contains(r.body, message) || !strings.Contains(r.body, "Wait "+strconv.Itoa(wait)+" seconds") {
		t.Fatalf("%s: message does not say which limit or how long to wait:\n%s", what, r.body)
	}
}

func TestWriteRateLimitPerAccountAndPerIP(t *testing.T) {
	forEachWith(t, map[string]string{"SKILLGATE_WRITE_RATE_LIMIT": "3"}, func(t *testing.T, e *env) {
		for _, email := range []string{"w1@example.test", "w2@example.test", "w3@example.test", "w4@example.test", "w5@example.test", "w6@example.test"} {
			e.person(email, accounts.RoleApprentice)
		}
		one := e.client()
		one.mustLogin("w1@example.test")
		one.get("/notifications")
		for i := 0; i < 3; i++ {
			if r := one.post("/notifications/read", nil); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("write %d: %d", i+1, r.StatusCode)
			}
		}
		limited(t, one.post("/notifications/read", nil), "4th write in a minute", "Too many changes from your account (at most 3 a minute)")
		if r := one.get("/notifications"); r.StatusCode != http.StatusOK {
			t.Fatalf("reading while writes are limited: %d", r.StatusCode)
		}
		// The same limit through the API, with a token: the account is
		// limited, not the session.
		tokenOwner := mustByEmail(t, e, "w1@example.test")
		_, tok, err := e.store.CreateToken(t.Context(), tokenOwner.ID, "script", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		r := apiCall(e, "POST", "/api/v1/tokens", tok, `{"name":"x","days":1}`)
		limited(t, r, "API write over the account's limit", "Too many changes from your account")
		var body struct {
			Error struct{ Status int } `json:"error"`
		}
		if err := json.Unmarshal([]byte(r.body), &body); err != nil || body.Error.Status != 429 {
			t.Fatalf("API 429 is not the JSON error: %s", r.body)
		}
		// Other accounts from the same address: the per-IP limit is five
		// times the per-account one (15), of which w1 used 3 (a write refused
		// for the account does not count for the address).
		sent := 3
		for _, email := range []string{"w2@example.test", "w3@example.test", "w4@example.test", "w5@example.test"} {
			c := e.client()
			c.mustLogin(email)
			c.get("/notifications")
			for i := 0; i < 3 && sent < 15; i++ {
				if r := c.post("/notifications/read", nil); r.StatusCode != http.StatusSeeOther {
					t.Fatalf("%s write %d (%d from the address): %d", email, i+1, sent+1, r.StatusCode)
				}
				sent++
			}
		}
		six := e.client()
		six.mustLogin("w6@example.test")
		six.get("/notifications")
		limited(t, six.post("/notifications/read", nil), "16th write from one address", "Too many changes from this network (at most 15 a minute)")
		six.ip = "192.0.2.77"
		if r := six.post("/notifications/read", nil); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("the same account from another address: %d", r.StatusCode)
		}
	})
}

func TestAPIRateLimitPerAccount(t *testing.T) {
	forEachWith(t, map[string]string{"SKILLGATE_API_RATE_LIMIT": "3"}, func(t *testing.T, e *env) {
		p := e.person("api@example.test", accounts.RoleHR)
		_, tok, err := e.store.CreateToken(t.Context(), p.ID, "ehr", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if r := apiCall(e, "GET", "/api/v1/me", tok, ""); r.StatusCode != http.StatusOK {
				t.Fatalf("call %d: %d", i+1, r.StatusCode)
			}
		}
		limited(t, apiCall(e, "GET", "/api/v1/me", tok, ""), "4th API call", "Too many API requests from your account (at most 3 a minute)")
		// The limit is the account's: its session is limited on the API too,
		// but not on pages; another account is not limited.
		c := e.client()
		c.mustLogin("api@example.test")
		if r := c.get("/api/v1/me"); r.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("the same account by session: %d", r.StatusCode)
		}
		if r := c.get("/account"); r.StatusCode != http.StatusOK {
			t.Fatalf("a page while the API is limited: %d", r.StatusCode)
		}
		other := e.person("other@example.test", accounts.RoleHR)
		_, tok2, _ := e.store.CreateToken(t.Context(), other.ID, "ehr", time.Hour)
		if r := apiCall(e, "GET", "/api/v1/me", tok2, ""); r.StatusCode != http.StatusOK {
			t.Fatalf("another account: %d", r.StatusCode)
		}
	})
}

func TestAnonymousRateLimitPerIP(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		c := e.client()
		c.ip = "203.0.113.5"
		// Wrong API tokens count as anonymous requests: guessing is limited.
		for i := 0; i < 300; i++ {
			var r response
			if i%2 == 0 {
				r = c.get("/login")
			} else {
				r = c.do("GET", "/api/v1/me", nil, map[string]string{"Authorization": "Bearer sgt_not-a-token"})
			}
			if r.StatusCode != http.StatusOK && r.StatusCode != http.StatusUnauthorized {
				t.Fatalf("anonymous request %d: %d", i+1, r.StatusCode)
			}
		}
		limited(t, c.get("/login"), "301st anonymous request", "Too many requests from this network without logging in (at most 300 a minute)")
		limited(t, c.do("GET", "/api/v1/me", nil, map[string]string{"Authorization": "Bearer sgt_not-a-token"}),
			"a wrong token over the limit", "Too many requests from this network")
		other := e.client()
		other.ip = "203.0.113.6"
		if r := other.get("/login"); r.StatusCode != http.StatusOK {
			t.Fatalf("another address: %d", r.StatusCode)
		}
	})
}

// Every upload route has its own limit below the server's, with a message
// naming it, and stores nothing; forms and JSON are limited to 1 MB.
func TestBodyLimits(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		jordan := people["apprentice@demo.test"]
		hr, dir := e.client(), e.client()
		hr.login("hr@demo.test", demo.Password)
		dir.login("director@demo.test", demo.Password)
		hr.get("/hr/import")
		dir.get("/programs")
		before, err := credentialsStore(e).ForPerson(t.Context(), jordan.ID)
		if err != nil {
			t.Fatal(err)
		}
		today := curriculum.DateOf(e.clock.Now(), e.cfg.Location()).String()
		cases := []struct {
			name    string
			c       *client
			path    string
			fields  map[string]string
			size    int
			status  int
			message string
		}{
			{"credential file of 6 MB", hr, "/people/" + jordan.ID + "/credentials", map[string]string{"type": "BLS", "issued_on": today},
				6 << 20, 413, "larger than 5 MB"},
			{"credential file just over 5 MB (the form around it fits)", hr, "/people/" + jordan.ID + "/credentials", map[string]string{"type": "BLS", "issued_on": today},
				credentials.MaxFileSize + 1, 413, "larger than 5 MB"},
			{"import file just over 20 MB", hr, "/hr/import", nil, credentials.MaxUploadSize + 1, 413, "larger than 20 MB"},
			{"program file of 5 MB", dir, "/programs/import", nil, 5 << 20, 413, "larger than 4 MB"},
			{"a form of 2 MB", dir, "/enrollments/x/status", map[string]string{"reason": strings.Repeat("x", 2<<20)}, 0, 413, "larger than this page accepts"},
		}
		for _, tc := range cases {
			var file []byte
			if tc.size > 0 {
				file = bytes.Repeat([]byte{'a'}, tc.size)
				copy(file, onePixelPNG)
			}
			r := postMultipart(tc.c, tc.path, tc.fields, file, "big.png")
			if r.StatusCode != tc.status || !strings.Contains(r.body, tc.message) {
				t.Errorf("%s: %d, want %d with %q\n%.300s", tc.name, r.StatusCode, tc.status, tc.message, r.body)
			}
		}
		after, err := credentialsStore(e).ForPerson(t.Context(), jordan.ID)
		if err != nil || len(after) != len(before) {
			t.Fatalf("a refused upload stored a record: %d before, %d after (%v)", len(before), len(after), err)
		}
		// Over the server's own limit: refused before any route (by the HTTP
		// server itself, so over a real connection).
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = e.srv.App().Listener(ln) }()
		t.Cleanup(func() { _ = e.srv.App().Shutdown() })
		// The server answers as soon as it reads the announced length (and
		// the first few KB it reads with the headers), not the whole body.
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /hr/import HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\n", credentials.MaxUploadSize+1<<20)
		_, _ = conn.Write(bytes.Repeat([]byte("a,b\n"), 16<<10))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(msg), "larger than Skillgate accepts (20 MB at most)") {
			t.Fatalf("over the server limit: %d\n%.300s", res.StatusCode, msg)
		}
		// JSON to the API: 1 MB.
		_, tok, _ := e.store.CreateToken(t.Context(), people["hr@demo.test"].ID, "x", time.Hour)
		big := `{"type":"BLS","notes":"` + strings.Repeat("x", 2<<20) + `"}`
		if r := apiCall(e, "POST", "/api/v1/people/"+jordan.ID+"/credentials", tok, big); r.StatusCode != 413 || !strings.Contains(r.body, "1 MB at most") {
			t.Fatalf("2 MB of JSON: %d %.200s", r.StatusCode, r.body)
		}
	})
}
