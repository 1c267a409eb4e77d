package server_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
)

func regexpFind(pattern, s string) string {
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestRoleHomesAndForbiddenPages(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		cases := []struct {
			role       accounts.Role
			home       string
			peoplePage int
		}{
			{accounts.RoleAdmin, "Manage people", 200},
			{accounts.RoleDirector, "Programs", 403},
			{accounts.RolePreceptor, "Your apprentices", 403},
			{accounts.RoleApprentice, "Your progress", 403},
			{accounts.RoleHR, "Certifications", 403},
		}
		for _, tc := range cases {
			email := string(tc.role) + "@example.test"
			e.person(email, tc.role)
			c := e.client()
			c.mustLogin(email)
			if r := c.get("/"); r.StatusCode != 200 || !strings.Contains(r.body, tc.home) {
				t.Errorf("%s home: %d, missing %q", tc.role, r.StatusCode, tc.home)
			}
			r := c.get("/admin/people")
			if r.StatusCode != tc.peoplePage {
				t.Errorf("%s on /admin/people: %d, want %d", tc.role, r.StatusCode, tc.peoplePage)
			}
			if tc.peoplePage == 403 && !strings.Contains(r.body, "You do not have access to this page") {
				t.Errorf("%s: the forbidden page has no friendly message", tc.role)
			}
		}
	})
}

func TestNotFoundPage(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.person("nf@example.test", accounts.RoleAdmin)
		c := e.client()
		if r := c.get("/no/such/page"); r.StatusCode != 404 || !strings.Contains(r.body, "Page not found") {
			t.Fatalf("anonymous 404: %d", r.StatusCode)
		}
		c.mustLogin("nf@example.test")
		if r := c.get("/admin/people/01900000-0000-7000-8000-000000000000"); r.StatusCode != 404 {
			t.Fatalf("unknown person id: %d", r.StatusCode)
		}
	})
}

func TestAdminAddsPersonAndOutputIsEscaped(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.person("adm@example.test", accounts.RoleAdmin)
		c := e.client()
		c.mustLogin("adm@example.test")
		c.get("/admin/people/new")
		bad := c.post("/admin/people", url.Values{"name": {""}, "email": {"nope"}, "credential": {"RN"}})
		if bad.StatusCode != 400 || !strings.Contains(bad.body, "Full name is a required field") || !strings.Contains(bad.body, "Roles must contain at least 1 item") {
			t.Fatalf("invalid person: %d\n%s", bad.StatusCode, bad.body)
		}
		if n, _ := e.store.Count(t.Context()); n != 1 {
			t.Fatalf("a refused form created someone (%d people)", n)
		}
		evil := "<script>alert(1)</script>"
		r := c.post("/admin/people", url.Values{"name": {evil}, "email": {"x@example.test"}, "credential": {"RN"},
			"roles": {"apprentice", "preceptor"}, "sites": {e.siteID}})
		if r.StatusCode != 200 || !strings.Contains(r.body, "/reset/") {
			t.Fatalf("create: %d\n%s", r.StatusCode, r.body)
		}
		for _, page := range []string{r.body, c.get("/admin/people").body} {
			if strings.Contains(page, evil) || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Fatal("a name with markup was not escaped")
			}
		}
		dup := c.post("/admin/people", url.Values{"name": {"Dup"}, "email": {"X@example.test"}, "credential": {"none"}, "roles": {"hr"}})
		if dup.StatusCode != http.StatusConflict || !strings.Contains(dup.body, "already has this email") {
			t.Fatalf("duplicate email: %d", dup.StatusCode)
		}
	})
}

func TestAdminDisablesAccount(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.person("a2@example.test", accounts.RoleAdmin)
		victim := e.person("v@example.test", accounts.RoleApprentice)
		vc := e.client()
		vc.mustLogin("v@example.test")
		admin := e.client()
		admin.mustLogin("a2@example.test")
		admin.get("/admin/people/" + victim.ID)
		if r := admin.post("/admin/people/"+victim.ID+"/disable", nil); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("disable: %d", r.StatusCode)
		}
		if r := vc.get("/"); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("the disabled person's session still works: %d", r.StatusCode)
		}
		if r := vc.login("v@example.test", testPassword); r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "disabled") {
			t.Fatalf("login to a disabled account: %d", r.StatusCode)
		}
	})
}

func TestStaticAssetsAndSecurityHeaders(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		c := e.client()
		page := c.get("/login")
		css := regexpFind(`href="(/static/app\.css\?v=[0-9a-f]+)"`, page.body)
		if css == "" {
			t.Fatal("no hashed stylesheet link")
		}
		r := c.get(css)
		if r.StatusCode != 200 || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
			t.Fatalf("stylesheet: %d %q %q", r.StatusCode, r.Header.Get("Cache-Control"), r.Header.Get("Content-Type"))
		}
		h := page.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") || h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "same-origin" {
			t.Fatalf("security headers: %v", h)
		}
		if strings.Contains(page.body, "<script>") || strings.Contains(page.body, "http://") && !strings.Contains(page.body, "http://localhost") {
			t.Fatal("the page has inline script or an outside asset")
		}
	})
}
