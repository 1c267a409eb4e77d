package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/curriculum"
)

// unknownID is a well-formed id that names nothing.
const unknownID = "01900000-0000-7000-8000-00000000dead"

// TestUnhandledInputIsRefused sends every state-changing route of the route
// table, as a caller the table lets in, a plausible request with one id,
// name or code at a time made whitespace or, for ids, an unknown id:
// each is answered with a 4xx and a message, never a 500 (a blank token
// name and a self-log naming an unknown supervisor used to be 500s).
func TestUnhandledInputIsRefused(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		// Thousands of changes from one account: no write limit.
		e := newEnvWith(t, d, map[string]string{"SKILLGATE_TRUSTED_PROXIES": "0.0.0.0", "SKILLGATE_WRITE_RATE_LIMIT": "0"})
		f := newAccessFixture(t, e)
		today := curriculum.DateOf(e.clock.Now(), e.cfg.Location()).String()
		ens, err := evidence.NewStore(e.db).Enrollments(context.Background(), evidence.EnrollmentFilter{IDs: []string{f.own["enrollment"]}})
		if err != nil || len(ens) != 1 {
			t.Fatalf("Jordan's enrollment: %v", err)
		}
		// "status" is the enrollment's own (no change), so that it stays open
		// for the routes after; "new" is blank, so no password changes.
		base := map[string]any{"status": "active",
			"name": "probe", "days": 3, "person_id": f.own["person"], "version_id": ens[0].VersionID, "site_id": f.site["own"],
			"hire_date": today, "start_date": today, "preceptor_ids": []string{f.people["preceptor@demo.test"].ID},
			"competency": "VS-VITALS", "performed_on": today, "supervisor_id": f.people["preceptor@demo.test"].ID,
			"kind": "ojl", "code": "VS", "worked_on": today, "hours": "2", "reason": "probe", "effective_on": today,
			"type": "BLS", "issued_on": today, "expires_on": today, "password": demo.Password,
			"current": demo.Password, "new": "", "confirm": "",
			"email": "probe@demo.test", "roles": []string{"apprentice"}, "sites": []string{f.site["own"]}, "title": "probe", "domain": "clinical",
			"steps": []any{}, "covered": []string{}, "comments": "probe", "note": "probe", "variant": "", "supervisor": f.people["preceptor@demo.test"].ID,
			"score": 80, "taken_on": today, "to": unknownID,
		}
		// The fields varied: every id and every name or code a route takes
		// (the others keep their base value).
		probed := []string{"name", "title", "code", "competency", "kind", "status", "reason", "type", "variant", "domain", "email",
			"hours", "days", "person_id", "version_id", "site_id", "preceptor_ids", "supervisor_id", "supervisor", "to"}
		// Ids unknown, everything else blank: what the probe found; wrong
		// types and bytes are FuzzForms' business.
		variantOf := func(field string) any {
			if strings.HasSuffix(field, "_id") || strings.HasSuffix(field, "_ids") || field == "supervisor" || field == "to" {
				return unknownID
			}
			return "   "
		}
		n, key, sent := 0, 0, 0
		for _, rule := range accessRules {
			if rule.method == "GET" || rule.fresh || strings.HasPrefix(rule.pattern, "/login") || strings.HasPrefix(rule.pattern, "/reset") {
				continue
			}
			path := rule.path
			if path == "" {
				path = rule.pattern
			}
			wants := strings.Fields(rule.want)
			// The first caller the route lets in (a session before the token):
			// the body is read the same way whoever sends it.
			for r := appr; r < nRoles; r++ {
				if wants[r] == "403" || wants[r] == "404" || wants[r] == "L" {
					continue // the caller does not get in: nothing of the body is read
				}
				sent++
				for _, field := range probed {
					body := map[string]any{}
					for k, x := range base {
						body[k] = x
					}
					body[field] = variantOf(field)
					key++
					body["idempotency_key"], body["key"] = fmt.Sprintf("probe-%08d", key), fmt.Sprintf("probe-%08d", key)
					res := f.sendBody(f.clients[r], r, rule.method, f.expand(path, f.own), body, strings.HasPrefix(path, "/api/"))
					n++
					if res.StatusCode >= 500 {
						t.Errorf("%s %s as %s with %s=%#v: %d %.300s", rule.method, rule.pattern, roleNames[r], field, body[field], res.StatusCode, res.body)
					}
				}
				break
			}
		}
		if n < 800 || sent < 40 {
			t.Fatalf("only %d requests sent", n)
		}
	})
}

// sendBody is send with a body: JSON for the API, a form for pages.
func (f *accessFixture) sendBody(c *client, r role, method, path string, body map[string]any, asJSON bool) response {
	f.e.t.Helper()
	h := map[string]string{"Accept": "application/json"}
	if r == token {
		h["Authorization"] = "Bearer " + f.bearer
	} else if c.csrf != "" {
		h["X-Csrf-Token"] = c.csrf
	}
	if asJSON {
		b, err := json.Marshal(body)
		if err != nil {
			f.e.t.Fatal(err)
		}
		h["Content-Type"] = "application/json"
		return c.do(method, path, strings.NewReader(string(b)), h)
	}
	form := url.Values{}
	for k, v := range body {
		switch x := v.(type) {
		case []string:
			form[k] = x
		case nil:
		default:
			form.Set(k, fmt.Sprint(x))
		}
	}
	if c.csrf != "" && r != token {
		form.Set("_csrf", c.csrf)
	}
	h["Content-Type"] = "application/x-www-form-urlencoded"
	return c.do(method, path, strings.NewReader(form.Encode()), h)
}

// TestBlankNamesAndUnknownSupervisors: the probe's two 500s, and their
// siblings, are now refusals that say which field is wrong, and store
// nothing.
func TestBlankNamesAndUnknownSupervisors(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		f := newAccessFixture(t, e)
		ctx := context.Background()
		today := curriculum.DateOf(e.clock.Now(), e.cfg.Location()).String()
		svc := evidence.NewService(e.db, programs.NewStore(e.db))
		rec, err := svc.Enrollment(ctx, f.own["enrollment"])
		if err != nil {
			t.Fatal(err)
		}
		wp := rec.Enrollment.Version.Program().WorkProcesses[0].Code
		fieldError := func(what string, res response, field string) {
			t.Helper()
			var body struct {
				Error struct {
					Status int
					Fields map[string]string
				}
			}
			decode(t, res, &body)
			if res.StatusCode != http.StatusBadRequest && res.StatusCode != http.StatusUnprocessableEntity || body.Error.Fields[field] == "" {
				t.Errorf("%s: %d %s, want 400 or 422 with a message for %s", what, res.StatusCode, res.body, field)
			}
		}
		before := snapshot(t, e.db)
		jordan := f.clients[appr]
		for i, sup := range []string{unknownID, "   "} {
			res := f.sendBody(jordan, appr, "POST", "/api/v1/enrollments/"+f.own["enrollment"]+"/selflogs", map[string]any{
				"idempotency_key": fmt.Sprintf("unknown-sup-%d", i), "competency": "VS-VITALS", "performed_on": today, "supervisor_id": sup}, true)
			fieldError("self-log naming supervisor "+sup, res, "supervisor_id")
			res = f.sendBody(jordan, appr, "POST", "/api/v1/enrollments/"+f.own["enrollment"]+"/hours", map[string]any{
				"idempotency_key": fmt.Sprintf("unknown-hrs-%d", i), "kind": "ojl", "code": wp, "worked_on": today, "hours": "2", "supervisor_id": sup}, true)
			fieldError("hours naming supervisor "+sup, res, "supervisor_id")
		}
		for _, r := range []role{appr, hr, admin} {
			res := f.sendBody(f.clients[r], r, "POST", "/api/v1/tokens", map[string]any{"name": "   ", "days": 3, "password": demo.Password}, true)
			fieldError("a token named with spaces as "+roleNames[r], res, "name")
		}
		if after := snapshot(t, e.db); after != before {
			t.Error("a refused request changed the database")
		}
	})
}
