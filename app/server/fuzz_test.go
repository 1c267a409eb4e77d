package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/demo"
)

// fuzzSite is one server with the demo organisation, kept for a fuzz
// target's whole run: each input is a request to it.
type fuzzSite struct {
	e       *env
	as      map[string]*client // by role: admin, hr, director, preceptor, apprentice, anon
	jordan  string             // an enrolled apprentice's id
	enr     string             // Jordan's enrollment page
	draft   string             // a draft program version page
	program string             // the program's id
}

// fuzzSites starts one fuzzSite per engine: SQLite always, PostgreSQL when
// the tests have one (as in CI), since the engines refuse different text.
func fuzzSites(f *testing.F) []*fuzzSite {
	dialects := []db.Dialect{db.SQLite}
	if os.Getenv(dbtest.EnvURL) != "" {
		dialects = append(dialects, db.Postgres)
	}
	var out []*fuzzSite
	for _, dialect := range dialects {
		e := newEnv(f, dbtest.New(f, dialect))
		if _, err := demo.Seed(context.Background(), e.db, e.store); err != nil {
			f.Fatal(err)
		}
		s := &fuzzSite{e: e, as: map[string]*client{"anon": e.client()}}
		for role, email := range map[string]string{"admin": "admin@demo.test", "hr": "hr@demo.test", "director": "director@demo.test",
			"preceptor": "preceptor@demo.test", "apprentice": "apprentice@demo.test"} {
			c := e.client()
			if r := c.login(email, demo.Password); r.StatusCode != http.StatusSeeOther {
				f.Fatalf("login %s: %d", email, r.StatusCode)
			}
			s.as[role] = c
		}
		jordan, err := e.store.ByEmail(context.Background(), "apprentice@demo.test")
		if err != nil {
			f.Fatal(err)
		}
		s.jordan = jordan.ID
		s.enr = regexpFind(`href="(/enrollments/[^"]+)"`, s.as["preceptor"].get("/people/"+jordan.ID+"/clearance").body)
		s.program = regexpFind(`href="/programs/([^"/?]+)"`, s.as["director"].get("/programs").body)
		if s.enr == "" || s.program == "" {
			f.Fatal("no enrollment or program page in the demo")
		}
		s.as["director"].get("/programs/" + s.program)
		draft := s.as["director"].post("/programs/"+s.program+"/drafts", nil)
		s.draft, _, _ = strings.Cut(draft.Header.Get("Location"), "?")
		if s.draft == "" {
			f.Fatalf("starting a draft: %d", draft.StatusCode)
		}
		out = append(out, s)
	}
	return out
}

// internals are texts a person must never see in a response: they mean an
// error escaped without being translated.
var internals = []string{"strconv.", "runtime error", "goroutine ", "panic", "sql: ", "SQLSTATE", "pq: ", "bun: ", "sqlite", "invalid memory address", "reflect."}

// checkResponse is the property of every fuzzed request: no server error,
// and a refusal that says something without Go or database internals.
func checkResponse(t *testing.T, what string, r response) {
	t.Helper()
	if r.StatusCode >= 500 {
		t.Fatalf("%s: status %d\n%.2000s", what, r.StatusCode, r.body)
	}
	if r.StatusCode >= 400 {
		if strings.TrimSpace(r.body) == "" {
			t.Fatalf("%s: status %d with an empty body", what, r.StatusCode)
		}
		for _, bad := range internals {
			if strings.Contains(r.body, bad) {
				t.Fatalf("%s: status %d shows %q:\n%.2000s", what, r.StatusCode, bad, r.body)
			}
		}
	}
}

// use points each site's clients at the current input's test.
func use(t *testing.T, sites []*fuzzSite) {
	for _, s := range sites {
		s.e.t = t
	}
}

var fuzzIP atomic.Uint32

// freshIP gives each request its own client address, so per-IP rate
// limits do not turn the rest of a fuzzing run into 429s.
func freshIP(c *client) {
	n := fuzzIP.Add(1)
	c.ip = fmt.Sprintf("198.51.%d.%d", n/250%250, n%250+1)
}

// Query parameters and path ids of the pages and the API: pagination,
// filters, as_of dates, ids, calendar tokens, ?next= and ?msg=.
func FuzzQueryParams(f *testing.F) {
	sites := fuzzSites(f)
	q, p := url.QueryEscape, url.PathEscape
	type route struct {
		who  string
		path func(s *fuzzSite, a, b, c string) string
	}
	routes := []route{
		{"admin", func(s *fuzzSite, a, b, c string) string {
			return "/admin/people?page=" + q(a) + "&q=" + q(b) + "&role=" + q(c)
		}},
		{"admin", func(s *fuzzSite, a, b, c string) string { return "/admin/people/" + p(a) }},
		{"hr", func(s *fuzzSite, a, b, c string) string {
			return "/hr?status=" + q(a) + "&role=" + q(b) + "&site=" + q(c)
		}},
		{"hr", func(s *fuzzSite, a, b, c string) string {
			return "/api/v1/clearances?person=" + q(a) + "&task=" + q(b) + "&as_of=" + q(c)
		}},
		{"hr", func(s *fuzzSite, a, b, c string) string {
			return "/api/v1/clearances?person=" + s.jordan + "&task=" + q(b) + "&as_of=" + q(c)
		}},
		{"hr", func(s *fuzzSite, a, b, c string) string { return "/api/v1/clearances?site=" + q(a) + "&as_of=" + q(c) }},
		{"hr", func(s *fuzzSite, a, b, c string) string {
			return "/api/v1/people?q=" + q(a) + "&role=" + q(b) + "&site=" + q(c)
		}},
		{"hr", func(s *fuzzSite, a, b, c string) string { return "/api/v1/enrollments?person=" + q(a) }},
		{"hr", func(s *fuzzSite, a, b, c string) string { return "/people/" + p(a) + "/clearance?as_of=" + q(c) }},
		{"hr", func(s *fuzzSite, a, b, c string) string { return "/people/" + p(a) + "/credentials" }},
		{"hr", func(s *fuzzSite, a, b, c string) string { return "/people/" + p(a) + "/credentials/" + p(b) + "/file" }},
		{"hr", func(s *fuzzSite, a, b, c string) string {
			return []string{"/reports/certifications", "/reports/clearances", "/reports/signoffs", "/reports/progress", "/reports/hours"}[len(c)%5] +
				"?site=" + q(a) + "&program=" + q(b) + "&as_of=" + q(c) + "&page=" + q(a)
		}},
		{"preceptor", func(s *fuzzSite, a, b, c string) string {
			return "/enrollments/" + p(a) + "/observe/" + p(b) + "?correct=" + q(c)
		}},
		{"preceptor", func(s *fuzzSite, a, b, c string) string { return s.enr + "/observe/PHL-VENI?correct=" + q(c) }},
		{"preceptor", func(s *fuzzSite, a, b, c string) string { return s.enr + "/signoff/" + p(b) }},
		{"preceptor", func(s *fuzzSite, a, b, c string) string { return "/api/v1/enrollments/" + p(a) + "/evidence" }},
		{"director", func(s *fuzzSite, a, b, c string) string { return "/programs/" + p(a) + "/v/" + p(b) + "/export.yaml" }},
		{"director", func(s *fuzzSite, a, b, c string) string { return s.draft + "/competencies/" + p(b) + "/edit" }},
		{"director", func(s *fuzzSite, a, b, c string) string { return "/api/v1/programs/" + p(a) + "/versions/" + p(b) }},
		{"director", func(s *fuzzSite, a, b, c string) string { return "/people/" + p(a) + "/move" }},
		{"anon", func(s *fuzzSite, a, b, c string) string { return "/calendar/" + p(a) + ".ics" }},
		{"anon", func(s *fuzzSite, a, b, c string) string { return "/login?next=" + q(a) + "&msg=" + q(b) }},
		{"anon", func(s *fuzzSite, a, b, c string) string { return "/reset/" + p(a) }},
		{"anon", func(s *fuzzSite, a, b, c string) string { return "/static/" + p(a) + "?v=" + q(b) }},
		{"bearer", func(s *fuzzSite, a, b, c string) string { return "/api/v1/me" }},
		{"cookie", func(s *fuzzSite, a, b, c string) string { return "/api/v1/me" }},
	}
	f.Add(uint8(0), "2", "ana", "hr")
	f.Add(uint8(0), "-1", "%", "nobody")
	f.Add(uint8(0), "99999999999999999999", "\x00", "admin")
	f.Add(uint8(3), "no-such-id", "VENIPUNCTURE", "2026-02-30")
	f.Add(uint8(4), "", "VENIPUNCTURE", "2026-03-14")
	f.Add(uint8(4), "", "\xff\xfe", "9999-12-31")
	f.Add(uint8(5), "x'; DROP TABLE people;--", "", "0001-01-01")
	f.Add(uint8(11), "", "", "2026-13-01")
	f.Add(uint8(12), "..", "../../etc", "\x00")
	f.Add(uint8(13), "", "", "no-such-observation")
	f.Add(uint8(20), "not-a-token", "", "")
	f.Add(uint8(21), "//evil.example", "credential-added", "")
	f.Add(uint8(22), strings.Repeat("a", 300), "", "")
	f.Add(uint8(24), "sg_not-a-token", "", "")
	f.Add(uint8(25), "deadbeef; other=1", "", "")
	f.Fuzz(func(t *testing.T, which uint8, a, b, c string) {
		use(t, sites)
		r := routes[int(which)%len(routes)]
		for _, s := range sites {
			path := r.path(s, a, b, c)
			switch r.who {
			case "bearer", "cookie": // credentials from outside: an API token, a session cookie
				h := map[string]string{"Accept": "application/json", "Authorization": "Bearer " + a}
				if r.who == "cookie" {
					h = map[string]string{"Accept": "application/json", "Cookie": "sg_session=" + a}
				}
				if strings.ContainsFunc(a, func(r rune) bool { return r < ' ' || r == 0x7f }) {
					continue // no client can send it
				}
				checkResponse(t, r.who+" "+a, s.as["anon"].do("GET", path, nil, h))
				continue
			}
			cl := s.as[r.who]
			freshIP(cl)
			checkResponse(t, r.who+" GET "+path, cl.do("GET", path, nil, map[string]string{"Accept": "text/html"}))
			if strings.HasPrefix(path, "/api/") {
				checkResponse(t, r.who+" GET "+path, cl.do("GET", path, nil, map[string]string{"Accept": "application/json"}))
			}
		}
	})
}

var fuzzKeys atomic.Uint64

// Forms and JSON bodies that record evidence, credentials and program
// changes: dates, step results, hours and quarter hours, test scores,
// idempotency keys, month-only expiry dates, numbers in program rules.
func FuzzForms(f *testing.F) {
	sites := fuzzSites(f)
	type form struct {
		who  string
		path func(s *fuzzSite, a, b string) string
		body func(key, a, b, c string) url.Values
	}
	keyOr := func(a string) string {
		if a == "" {
			return fmt.Sprintf("fuzz-key-%d", fuzzKeys.Add(1))
		}
		return a
	}
	forms := []form{
		{"preceptor", func(s *fuzzSite, a, b string) string { return s.enr + "/observe/PHL-VENI" }, func(key, a, b, c string) url.Values {
			v := url.Values{"key": {keyOr(key)}, "performed_on": {a}, "variant": {c}, "comments": {c}, "supervisor": {b}}
			for i := range 12 {
				v.Set(fmt.Sprintf("step_%d", i), b)
			}
			return v
		}},
		{"preceptor", func(s *fuzzSite, a, b string) string { return s.enr + "/observe/PHL-VENI" }, func(key, a, b, c string) url.Values {
			return url.Values{"key": {keyOr(key)}, "performed_on": {"2026-03-02"}, "step_0": {"met"}, "supersedes": {a}, "correction_reason": {b}, "step_" + c: {"not"}}
		}},
		{"preceptor", func(s *fuzzSite, a, b string) string { return s.enr + "/tests/" + url.PathEscape(b) }, func(key, a, b, c string) url.Values {
			return url.Values{"key": {keyOr(key)}, "score": {a}, "taken_on": {c}}
		}},
		{"preceptor", func(s *fuzzSite, a, b string) string { return s.enr + "/signoff/" + url.PathEscape(b) }, func(key, a, b, c string) url.Values {
			return url.Values{"key": {keyOr(key)}, "kind": {a}, "password": {c}}
		}},
		{"apprentice", func(s *fuzzSite, a, b string) string { return s.enr + "/hours" }, func(key, a, b, c string) url.Values {
			return url.Values{"key": {keyOr(key)}, "worked_on": {a}, "hours": {b}, "code": {c}, "note": {c}, "supervisor": {a}}
		}},
		{"apprentice", func(s *fuzzSite, a, b string) string { return s.enr + "/selflogs" }, func(key, a, b, c string) url.Values {
			return url.Values{"key": {keyOr(key)}, "performed_on": {a}, "competency": {b}, "variant": {c}, "comments": {c}, "supervisor": {a}}
		}},
		{"hr", func(s *fuzzSite, a, b string) string { return "/people/" + s.jordan + "/credentials" }, func(key, a, b, c string) url.Values {
			return url.Values{"type": {c}, "issued_on": {a}, "expires_on": {b}, "number": {key}, "issuing_body": {c}, "notes": {key}, "valid_through_month": {c}}
		}},
		{"director", func(s *fuzzSite, a, b string) string { return "/people/" + s.jordan + "/move" }, func(key, a, b, c string) url.Values {
			return url.Values{"key": {keyOr(key)}, "to": {b}, "effective_on": {a}}
		}},
		{"director", func(s *fuzzSite, a, b string) string { return s.draft + "/competencies/PHL-VENI" }, func(key, a, b, c string) url.Values {
			return url.Values{"title": {c}, "domain": {key}, "pass_mark": {a}, "reverify_months": {b}, "due_window": {a}, "recency_months": {b},
				"reverify_kind": {c}, "observed_by": {c}, "signed_off_by": {key}, "prerequisites": {b}, "count_" + c: {a}}
		}},
		{"director", func(s *fuzzSite, a, b string) string { return s.draft + "/tasks/VENIPUNCTURE" }, func(key, a, b, c string) url.Values {
			return url.Values{"title": {c}, "category": {key}, "direct": {b}, "cred_BLS": {c}, "grace_BLS": {a}}
		}},
		{"director", func(s *fuzzSite, a, b string) string { return "/enrollments/" + url.PathEscape(a) + "/status" }, func(key, a, b, c string) url.Values {
			return url.Values{"status": {b}, "reason": {c}, "effective_on": {key}}
		}},
		{"admin", func(s *fuzzSite, a, b string) string { return "/admin/people" }, func(key, a, b, c string) url.Values {
			return url.Values{"name": {a}, "email": {b}, "credential": {c}, "roles": {c}, "sites": {key}}
		}},
	}
	type apiCall struct {
		who  string
		path func(s *fuzzSite) string
	}
	apis := []apiCall{
		{"preceptor", func(s *fuzzSite) string { return "/api/v1" + s.enr + "/observations" }},
		{"preceptor", func(s *fuzzSite) string { return "/api/v1" + s.enr + "/signoffs" }},
		{"apprentice", func(s *fuzzSite) string { return "/api/v1" + s.enr + "/hours" }},
		{"apprentice", func(s *fuzzSite) string { return "/api/v1" + s.enr + "/selflogs" }},
		{"hr", func(s *fuzzSite) string { return "/api/v1/people/" + s.jordan + "/credentials" }},
		{"director", func(s *fuzzSite) string { return "/api/v1/enrollments" }},
	}
	f.Add(uint8(0), "", "2026-03-02", "met", "")
	f.Add(uint8(0), "bad key!", "2026-02-30", "maybe", "x")
	f.Add(uint8(0), "", "0001-01-01", "met\x00", "\xff")
	f.Add(uint8(1), "", "no-such-record", "wrong sheet", "99")
	f.Add(uint8(2), "", "87.5", "PHL-VENI", "2026-03-02")
	f.Add(uint8(2), "", "NaN", "PHL-VENI", "2026-03-02")
	f.Add(uint8(2), "", "1e308", "../x", "")
	f.Add(uint8(3), "", "initial", "PHL-VENI", "wrong")
	f.Add(uint8(4), "", "2026-03-02", "7:45", "ojl:PT-CARE")
	f.Add(uint8(4), "", "2026-03-02", "7.33", "rti:\x00")
	f.Add(uint8(4), "", "2026-03-02", "99999999999999999999", "")
	f.Add(uint8(6), "A1", "2026-01-05", "2027-06", "BLS")
	f.Add(uint8(6), "A1", "2026-01-05", "2027-13", "on")
	f.Add(uint8(7), "", "2026-02-30", "no-such-version", "")
	f.Add(uint8(8), "", "-1", "9999999999", "count")
	f.Add(uint8(9), "", "-5", "yes", "required")
	f.Add(uint8(11), "", "Ana", "not an email", "RN")
	f.Add(uint8(200), `{"key":"k1234567","competency":"PHL-VENI","performed_on":"2026-03-02","steps":["met"]}`, "", "", "")
	f.Add(uint8(201), `{"key":"k1234568","worked_on":"2026-13-01","hours":"1e9","code":"ojl:PT-CARE"}`, "", "", "")
	f.Add(uint8(202), `{"key": 5, "minutes": -1}`, "", "", "")
	f.Add(uint8(203), `[`, "", "", "")
	f.Fuzz(func(t *testing.T, which uint8, key, a, b, c string) {
		use(t, sites)
		for _, s := range sites {
			if which >= 200 { // a JSON body for the API
				api := apis[int(which-200)%len(apis)]
				cl := s.as[api.who]
				freshIP(cl)
				path := api.path(s)
				checkResponse(t, api.who+" POST "+path+" "+key, cl.do("POST", path, strings.NewReader(key),
					map[string]string{"Content-Type": "application/json", "Accept": "application/json", "X-Csrf-Token": cl.csrf}))
				continue
			}
			fm := forms[int(which)%len(forms)]
			cl := s.as[fm.who]
			freshIP(cl)
			path := fm.path(s, a, b)
			body := fm.body(key, a, b, c)
			checkResponse(t, fm.who+" POST "+path+" "+body.Encode(), cl.post(path, body))
		}
	})
}
