package server_test

import (
	"bytes"
	"context"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/app/server"
	"github.com/skillgate/skillgate/app/webhooks"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/web"
)

// The forms rule: every form in the product, sent with a bad value, comes
// back as the same page with what was typed, the message next to the field
// and a summary at the top linking to it, and changes nothing. The walk
// table lists every form; TestEveryFormIsWalked fails when a template or a
// route gains a form the table does not list, so a new form cannot skip
// its bad-value case.

// walkPost is one bad submission: as whom, from which page, to where.
type walkPost struct {
	as     string // demo email; "" for a visitor
	page   string // the page showing the form (fetched first, as a browser would)
	action string // where the form posts
	form   url.Values
	// multipart sends the form as multipart/form-data (file forms), with
	// no file.
	multipart bool
}

type walkCase struct {
	// forms are the template forms this case covers: "file.html: action"
	// as written in the template (the action's {{$a := …}} definition
	// when the form posts to {{$a}}).
	forms []string
	route string // the POST route
	// buttonsOnly says why the form has no bad value to type: it has no
	// field a person fills in (the test checks that it has none).
	buttonsOnly string
	post        func(w *walkWorld) walkPost
	field       string            // the field that must carry the message
	kept        map[string]string // typed values that must come back
}

// walkWorld is the demo organisation with the ids the cases need.
type walkWorld struct {
	t       *testing.T
	e       *env
	people  map[string]*accounts.Person
	clients map[string]*client
	enr     map[string]string // enrollment page by apprentice email
	draft   string            // a draft version's URL
	today   string
	mail    *lastMail
}

// lastMail keeps the last email to each address.
type lastMail struct {
	mu   sync.Mutex
	last map[string]string
}

func (m *lastMail) Send(_ context.Context, to, _, body string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last[to] = body
	return nil
}

// resetLink has an administrator issue p a password link, and returns it
// from the page or the email.
func (w *walkWorld) resetLink(p *accounts.Person) string {
	w.t.Helper()
	w.as(adminEmail).get("/admin/people/" + p.ID)
	r := w.as(adminEmail).post("/admin/people/"+p.ID+"/reset", nil)
	w.mail.mu.Lock()
	body := r.body + w.mail.last[p.Email]
	w.mail.mu.Unlock()
	link := regexpFind(`(/reset/[A-Za-z0-9_-]+)`, body)
	if link == "" {
		w.t.Fatalf("no password link for %s", p.Email)
	}
	return link
}

func (w *walkWorld) as(email string) *client {
	w.t.Helper()
	if c, ok := w.clients[email]; ok {
		return c
	}
	c := w.e.client()
	if email != "" {
		c.login(email, demo.Password)
	}
	w.clients[email] = c
	return c
}

// find is the first submatch of pattern in the page at path, seen by email.
func (w *walkWorld) find(email, path, pattern string) string {
	w.t.Helper()
	r := w.as(email).get(path)
	m := regexpFind(pattern, r.body)
	if m == "" {
		w.t.Fatalf("%s on %s: nothing matches %s", email, path, pattern)
	}
	return htmlUnescape(m)
}

const (
	jordanEmail   = "apprentice@demo.test"
	priyaEmail    = "preceptor@demo.test"
	directorEmail = "director@demo.test"
	hrEmail       = "hr@demo.test"
	adminEmail    = "admin@demo.test"
)

var walkCases = []walkCase{
	{forms: []string{"login.html: /login"}, route: "/login", field: "email",
		kept: map[string]string{"email": "jordan at the clinic"},
		post: func(w *walkWorld) walkPost {
			return walkPost{page: "/login", action: "/login", form: url.Values{"email": {"jordan at the clinic"}, "password": {"whatever it was"}}}
		}},
	{forms: []string{"layout.html: /logout"}, route: "/logout", buttonsOnly: "a button"},
	{forms: []string{"reset.html: /reset/{{.Data.Token}}"}, route: "/reset/:token", field: "new",
		post: func(w *walkWorld) walkPost {
			link := w.resetLink(w.people["apprentice2@demo.test"])
			return walkPost{page: link, action: link, form: url.Values{"new": {"short"}, "confirm": {"short"}}}
		}},
	// Second factors (second_factor.go). Marcus logs in with an
	// authenticator app; Sam is setting one up; Casey set one up after a
	// password link someone else issued, so it waits for the emailed code.
	{forms: []string{"login_code.html: /login/code"}, route: "/login/code", field: "code",
		post: func(w *walkWorld) walkPost {
			c := w.e.client()
			c.login("physician@demo.test", demo.Password)
			w.clients["marcus-pending"] = c
			return walkPost{as: "marcus-pending", page: "/login/code", action: "/login/code", form: url.Values{"code": {"12ab56"}}}
		}},
	{forms: []string{"second_factor.html: /account/second-factor/start"}, route: "/account/second-factor/start", buttonsOnly: "a button"},
	{forms: []string{"second_factor.html: /account/second-factor/confirm"}, route: "/account/second-factor/confirm", field: "code",
		post: func(w *walkWorld) walkPost {
			sam := "apprentice2@demo.test"
			w.as(sam).get("/account/second-factor")
			w.as(sam).post("/account/second-factor/start", nil)
			return walkPost{as: sam, page: "/account/second-factor", action: "/account/second-factor/confirm", form: url.Values{"code": {"000000"}}}
		}},
	{forms: []string{"second_factor.html: /account/second-factor/email-code"}, route: "/account/second-factor/email-code", buttonsOnly: "a button"},
	{forms: []string{"second_factor.html: /account/second-factor/approve"}, route: "/account/second-factor/approve", field: "email_code",
		post: func(w *walkWorld) walkPost {
			return walkPost{as: "casey-waiting", page: "/account/second-factor", action: "/account/second-factor/approve", form: url.Values{"email_code": {"1234"}}}
		}},
	{forms: []string{"person_factor.html: /people/{{$.Data.Person.ID}}/second-factor/approve"}, route: "/people/:id/second-factor/approve", buttonsOnly: "a button"},
	{forms: []string{"person_factor.html: /people/{{$.Data.Person.ID}}/second-factor/remove"}, route: "/people/:id/second-factor/remove", buttonsOnly: "a button"},
	{forms: []string{"person_factor.html: /people/{{$.Data.Person.ID}}/second-factor/confirm-removal"}, route: "/people/:id/second-factor/confirm-removal", buttonsOnly: "a button"},
	{forms: []string{"notifications.html: /notifications/read"}, route: "/notifications/read", buttonsOnly: "a button"},
	{forms: []string{"notifications.html: /account/calendar"}, route: "/account/calendar", buttonsOnly: "a button"},
	{forms: []string{"notifications.html: /account/calendar/revoke"}, route: "/account/calendar/revoke", buttonsOnly: "a button"},
	{forms: []string{"account.html: /account/password"}, route: "/account/password", field: "new",
		post: func(w *walkWorld) walkPost {
			return walkPost{as: jordanEmail, page: "/account", action: "/account/password",
				form: url.Values{"current": {demo.Password}, "new": {"short"}, "confirm": {"short"}}}
		}},
	{forms: []string{"account.html: /account/tokens"}, route: "/account/tokens", field: "name",
		kept: map[string]string{"days": "365"},
		post: func(w *walkWorld) walkPost {
			return walkPost{as: directorEmail, page: "/account", action: "/account/tokens",
				form: url.Values{"name": {""}, "days": {"365"}, "password": {demo.Password}}}
		}},
	{forms: []string{"account.html: /account/tokens/{{.ID}}/revoke"}, route: "/account/tokens/:id/revoke", buttonsOnly: "a button"},
	{forms: []string{"account.html: /account/sessions/{{.ID}}/end"}, route: "/account/sessions/:id/end", buttonsOnly: "a button"},
	{forms: []string{"account.html: /account/passkeys/{{.ID}}/remove"}, route: "/account/passkeys/:id/remove", buttonsOnly: "a button answered by the passkey"},
	// Passkey ceremonies: JSON between passkeys.js and the server, no form.
	{route: "/account/passkeys/options", buttonsOnly: "JSON for passkeys.js"},
	{route: "/account/passkeys", buttonsOnly: "JSON for passkeys.js"},
	{route: "/account/passkeys/reauth", buttonsOnly: "JSON for passkeys.js"},
	{route: "/login/passkey/options", buttonsOnly: "JSON for passkeys.js"},
	{route: "/login/passkey", buttonsOnly: "JSON for passkeys.js"},
	{forms: []string{"person_new.html: /admin/people"}, route: "/admin/people", field: "email",
		kept: map[string]string{"name": "Zed Example", "employee_id": "E9999"},
		post: func(w *walkWorld) walkPost {
			site := w.find(adminEmail, "/admin/people/new", `name="sites" value="([^"]+)"`)
			return walkPost{as: adminEmail, page: "/admin/people/new", action: "/admin/people", form: url.Values{"name": {"Zed Example"},
				"email": {"zed-at-example"}, "employee_id": {"E9999"}, "credential": {"none"}, "roles": {"apprentice"}, "sites": {site}}}
		}},
	{forms: []string{`sso_admin.html: "/admin/sso"`}, route: "/admin/sso", field: "group_map", kept: map[string]string{"group_map": "sg-rn=nurse@*"},
		post: func(w *walkWorld) walkPost {
			return walkPost{as: adminEmail, page: "/admin/sso", action: "/admin/sso", form: url.Values{"group_map": {"sg-rn=nurse@*"}}}
		}},
	{forms: []string{`webhooks.html: "/admin/webhooks"`}, route: "/admin/webhooks", field: "url",
		kept: map[string]string{"description": "EHR", "url": "http://169.254.169.254/latest"},
		post: func(w *walkWorld) walkPost {
			return walkPost{as: adminEmail, page: "/admin/webhooks", action: "/admin/webhooks", form: url.Values{"url": {"http://169.254.169.254/latest"},
				"description": {"EHR"}, "events": {"signoff.recorded"}, "enabled": {"on"}}}
		}},
	{forms: []string{`webhook.html: print "/admin/webhooks/" $ep.ID`}, route: "/admin/webhooks/:id", field: "url",
		kept: map[string]string{"description": "HR system", "url": "https://10.0.0.1/hook"},
		post: func(w *walkWorld) walkPost {
			ep, _, err := w.e.svc.Webhooks.Create(audit.WithActor(context.Background(), audit.System("test")),
				webhooks.Input{URL: "https://93.184.216.34/hook", Events: []string{webhooks.SignOffRecorded}, Enabled: true}, w.people[adminEmail].ID)
			if err != nil {
				w.t.Fatal(err)
			}
			page := "/admin/webhooks/" + ep.ID
			return walkPost{as: adminEmail, page: page, action: page, form: url.Values{"url": {"https://10.0.0.1/hook"},
				"description": {"HR system"}, "events": {"signoff.recorded"}}}
		}},
	{forms: []string{"webhook.html: {{$a}}/rotate"}, route: "/admin/webhooks/:id/rotate", buttonsOnly: "a button"},
	{forms: []string{"webhook.html: {{$a}}/delete"}, route: "/admin/webhooks/:id/delete", buttonsOnly: "a button"},
	{forms: []string{"webhook.html: {{$a}}/deliveries/{{.ID}}/resend"}, route: "/admin/webhooks/:id/deliveries/:delivery/resend", buttonsOnly: "a button"},
	{forms: []string{"scim.html: /admin/scim/tokens"}, route: "/admin/scim/tokens", field: "name",
		post: func(w *walkWorld) walkPost {
			return walkPost{as: adminEmail, page: "/admin/scim", action: "/admin/scim/tokens", form: url.Values{"name": {" "}, "password": {demo.Password}}}
		}},
	{forms: []string{"scim.html: /admin/scim/tokens/{{.ID}}/revoke"}, route: "/admin/scim/tokens/:id/revoke", buttonsOnly: "a button"},
	{forms: []string{"person.html: /admin/people/{{.Data.Person.ID}}/reset"}, route: "/admin/people/:id/reset", buttonsOnly: "a button"},
	{forms: []string{"person.html: /admin/people/{{.Data.Person.ID}}/unlock"}, route: "/admin/people/:id/unlock", buttonsOnly: "a button"},
	{forms: []string{"person.html: /admin/people/{{$.Data.Person.ID}}/sso/unlink"}, route: "/admin/people/:id/sso/unlink", buttonsOnly: "a button (the issuer is a hidden field)"},
	{forms: []string{"person.html: /admin/people/{{.Data.Person.ID}}/enable"}, route: "/admin/people/:id/enable", buttonsOnly: "a button"},
	{forms: []string{"person.html: /admin/people/{{.Data.Person.ID}}/disable"}, route: "/admin/people/:id/disable", buttonsOnly: "a button"},
	{forms: []string{"credentials.html: $v.URL"}, route: "/people/:id/credentials", field: "issued_on",
		kept: map[string]string{"number": "AHA-9", "issued_on": "31/12/2025", "type": "BLS"},
		post: func(w *walkWorld) walkPost {
			page := "/people/" + w.people["apprentice3@demo.test"].ID + "/credentials"
			return walkPost{as: hrEmail, page: page, action: page, multipart: true,
				form: url.Values{"type": {"BLS"}, "issued_on": {"31/12/2025"}, "number": {"AHA-9"}}}
		}},
	{forms: []string{`credentials.html: print $v.URL "/" .ID "/verify"`}, route: "/people/:id/credentials/:rid/verify", field: "method",
		post: func(w *walkWorld) walkPost {
			riley := w.people["apprentice3@demo.test"]
			if _, err := credentialsStore(w.e).Add(context.Background(), newRecord(riley.ID, "BLS", w.today, "2028-01-31")); err != nil {
				w.t.Fatal(err)
			}
			page := "/people/" + riley.ID + "/credentials"
			action := w.find(hrEmail, page, `action="([^"]+/verify)"`)
			return walkPost{as: hrEmail, page: page, action: action, form: url.Values{"method": {"  "}}}
		}},
	{forms: []string{`clearance.html: print "/people/" $v.Person.ID "/enroll"`}, route: "/people/:id/enroll", field: "start_date",
		kept: map[string]string{"start_date": "31/12/2025"},
		post: func(w *walkWorld) walkPost {
			p := w.people["walk-new@demo.test"]
			page := "/people/" + p.ID + "/clearance"
			version := w.find(directorEmail, page, `name="version_id"[^>]*>\s*<option value="([^"]+)"`)
			site := w.find(directorEmail, page, `name="site_id"[^>]*>\s*<option value="([^"]+)"`)
			return walkPost{as: directorEmail, page: page, action: "/people/" + p.ID + "/enroll",
				form: url.Values{"version_id": {version}, "site_id": {site}, "start_date": {"31/12/2025"}}}
		}},
	{forms: []string{`move.html: print "/people/" $v.Person.ID "/move"`}, route: "/people/:id/move", field: "effective_on",
		kept: map[string]string{"effective_on": "next week"},
		post: func(w *walkWorld) walkPost {
			page := "/people/" + w.people[jordanEmail].ID + "/move"
			to := w.find(directorEmail, page, `name="to" value="([^"]+)"`)
			return walkPost{as: directorEmail, page: page, action: page, form: url.Values{"to": {to}, "effective_on": {"next week"}}}
		}},
	{forms: []string{`program_move.html: print $v.URL "/move"`}, route: "/programs/:id/v/:n/move", field: "effective_on",
		kept: map[string]string{"effective_on": "after the holidays"},
		post: func(w *walkWorld) walkPost {
			page := w.draft[:strings.LastIndex(w.draft, "/v/")] + "/v/2/move" // the published version 2
			f := formFromPage(w.t, w.as(directorEmail).get(page).body)
			f.Set("effective_on", "after the holidays")
			return walkPost{as: directorEmail, page: page, action: page, form: f}
		}},
	{forms: []string{`import.html: /hr/import`}, route: "/hr/import", field: "file",
		post: func(w *walkWorld) walkPost {
			return walkPost{as: hrEmail, page: "/hr/import", action: "/hr/import", multipart: true, form: url.Values{}}
		}},
	{forms: []string{"import.html: /hr/import/confirm"}, route: "/hr/import/confirm", buttonsOnly: "a button confirming a preview"},
	{forms: []string{`evaluation_edit.html: print $v.URL "/evaluations"`}, route: "/programs/:id/v/:n/evaluations", field: "every_months",
		kept: map[string]string{"every_months": "three", "due_window": "14"},
		post: func(w *walkWorld) walkPost {
			page := w.draft + "/evaluations/edit"
			f := formFromPage(w.t, w.as(directorEmail).get(page).body)
			f.Set("every_months", "three")
			f.Set("due_window", "14")
			return walkPost{as: directorEmail, page: page, action: w.draft + "/evaluations", form: f}
		}},
	{forms: []string{"observe.html: $v.URL"}, route: "/enrollments/:id/observe/:code", field: "performed_on",
		kept: map[string]string{"comments": "steady hands", "performed_on": "yesterday"},
		post: func(w *walkWorld) walkPost {
			page := w.enr[jordanEmail] + "/observe/PHL-VENI"
			f := formFromPage(w.t, w.as(priyaEmail).get(page).body)
			f.Set("performed_on", "yesterday")
			f.Set("comments", "steady hands")
			for k := range f {
				if strings.HasPrefix(k, "step_") {
					f.Set(k, "met")
				}
			}
			for i := 0; i < 40; i++ {
				f.Set("step_"+itoa(i), "met")
			}
			return walkPost{as: priyaEmail, page: page, action: page, form: f}
		}},
	{forms: []string{"signoff.html: $v.URL"}, route: "/enrollments/:id/signoff/:code", field: "password",
		post: func(w *walkWorld) walkPost {
			// A competency the rules let Priya sign off today (the form
			// is offered only then).
			page := w.find(priyaEmail, w.enr[jordanEmail], `href="([^"]+/signoff/[^"]+)"`)
			key := formValue(w.as(priyaEmail).get(page).body, "key")
			return walkPost{as: priyaEmail, page: page, action: page, form: url.Values{"key": {key}, "kind": {"initial"}, "password": {"not my password at all"}}}
		}},
	// Jordan's first evaluation is overdue (hired 8 months ago): Priya's
	// form with a rating off the scale; then, once she has signed it,
	// Jordan's acknowledgement with a wrong password.
	{forms: []string{"evaluation.html: $v.URL"}, route: "/enrollments/:id/evaluations/:n", field: "rating_SAFETY",
		kept: map[string]string{"comments": "keeps to time"},
		post: func(w *walkWorld) walkPost {
			page := w.enr[jordanEmail] + "/evaluations/1"
			f := url.Values{"comments": {"keeps to time"}, "password": {demo.Password}, "rating_CLINICAL-SKILLS": {"3"}, "rating_SAFETY": {"7"},
				"rating_COMMUNICATE": {"3"}, "rating_DOCUMENT": {"3"}, "rating_CONDUCT": {"3"}}
			return walkPost{as: priyaEmail, page: page, action: page, form: f}
		}},
	// (The same template form as above, posting to the acknowledgement.)
	{route: "/enrollments/:id/evaluations/:n/acknowledge", field: "password",
		post: func(w *walkWorld) walkPost {
			rec := records(w.t, w.e.svc.Evidence, strings.TrimPrefix(w.enr[jordanEmail], "/enrollments/"))
			if _, err := w.e.svc.Evaluations.Complete(context.Background(), rec.Enrollment, nil, evidence.ActorOf(w.people[priyaEmail]),
				assessments.EvaluationRequest{Seq: 1, ApprenticeName: "Jordan Lee", Comments: "Good.", Ratings: map[string]int{
					"CLINICAL-SKILLS": 3, "SAFETY": 3, "COMMUNICATE": 3, "DOCUMENT": 3, "CONDUCT": 3}}); err != nil {
				w.t.Fatal(err)
			}
			page := w.enr[jordanEmail] + "/evaluations/1"
			return walkPost{as: jordanEmail, page: page, action: page + "/acknowledge", form: url.Values{"password": {"not my password at all"}}}
		}},
	{forms: []string{`enrollment.html: print $v.URL "/tests/" .Code`}, route: "/enrollments/:id/tests/:code", field: "score",
		kept: map[string]string{"score": "eighty"},
		post: func(w *walkWorld) walkPost {
			action := w.find(priyaEmail, w.enr[jordanEmail], `action="([^"]+/tests/[^"]+)"`)
			return walkPost{as: priyaEmail, page: w.enr[jordanEmail], action: action,
				form: url.Values{"key": {"form-walktest-score"}, "score": {"eighty"}, "taken_on": {w.today}}}
		}},
	{forms: []string{`enrollment.html: print $v.URL "/selflogs"`}, route: "/enrollments/:id/selflogs", field: "variant",
		kept: map[string]string{"comments": "left arm", "competency": "PHL-VENI"},
		post: func(w *walkWorld) walkPost {
			page := w.enr[jordanEmail]
			sup := w.find(jordanEmail, page, `name="supervisor"[^>]*>\s*<option value="([^"]+)"`)
			variant := w.find(jordanEmail, page, `<optgroup label="[^"]+"><option value="([^"]+)"`)
			return walkPost{as: jordanEmail, page: page, action: page + "/selflogs", form: url.Values{"key": {"form-walktest-selflog"},
				"competency": {"PHL-VENI"}, "variant": {variant}, "performed_on": {w.today}, "supervisor": {sup}, "comments": {"left arm"}}}
		}},
	{forms: []string{`enrollment.html: print $v.URL "/hours"`}, route: "/enrollments/:id/hours", field: "hours",
		kept: map[string]string{"hours": "25", "note": "clinic day"},
		post: func(w *walkWorld) walkPost {
			page := w.enr[jordanEmail]
			code := w.find(jordanEmail, page, `name="code"[^>]*>\s*<optgroup[^>]*><option value="([^"]+)"`)
			return walkPost{as: jordanEmail, page: page, action: page + "/hours", form: url.Values{"key": {"form-walktest-hours"},
				"code": {code}, "worked_on": {w.today}, "hours": {"25"}, "note": {"clinic day"}}}
		}},
	{forms: []string{`review.html: print "/review/selflogs/" .ID`, `review.html: print "/review/hours/" .ID`}, route: "/review/:kind/:id", field: "reason",
		post: func(w *walkWorld) walkPost {
			action := w.find(priyaEmail, "/review", `action="(/review/selflogs/[^"]+)"`)
			return walkPost{as: priyaEmail, page: "/review", action: action, form: url.Values{"decision": {"reject"}, "reason": {" "}}}
		}},
	{forms: []string{`hire_date.html: print "/people/" $v.Person.ID "/hire-date"`}, route: "/people/:id/hire-date", field: "hire_date",
		kept: map[string]string{"reason": "offer letter", "hire_date": "5 Jan"},
		post: func(w *walkWorld) walkPost {
			page := "/people/" + w.people[jordanEmail].ID + "/hire-date"
			return walkPost{as: hrEmail, page: page, action: page, form: url.Values{"hire_date": {"5 Jan"}, "reason": {"offer letter"}}}
		}},
	{forms: []string{`demographics.html: print "/people/" $v.Person.ID "/demographics"`}, route: "/people/:id/demographics", field: "date_of_birth",
		kept: map[string]string{"date_of_birth": "5 April 2001", "gender": "female"},
		post: func(w *walkWorld) walkPost {
			page := "/people/" + w.people[jordanEmail].ID + "/demographics"
			return walkPost{as: hrEmail, page: page, action: page, form: url.Values{"date_of_birth": {"5 April 2001"}, "gender": {"female"}}}
		}},
	{forms: []string{`wage.html: print "/people/" $v.Person.ID "/wage"`}, route: "/people/:id/wage", field: "effective_on",
		kept: map[string]string{"effective_on": "5 Jan"},
		post: func(w *walkWorld) walkPost {
			page := "/people/" + w.people[jordanEmail].ID + "/wage"
			return walkPost{as: hrEmail, page: page, action: page, form: url.Values{"step": {"2"}, "effective_on": {"5 Jan"}}}
		}},
	{forms: []string{`wage_schedule_edit.html: $v.Action`}, route: "/programs/:id/v/:n/wages", field: "percent_1",
		kept: map[string]string{"percent_1": "abc", "title_1": "Step 2"},
		post: func(w *walkWorld) walkPost {
			page := w.draft + "/wages/edit"
			f := formFromPage(w.t, w.as(directorEmail).get(page).body)
			f.Set("percent_1", "abc")
			return walkPost{as: directorEmail, page: page, action: w.draft + "/wages", form: f}
		}},
	{forms: []string{"complete.html: $v.URL"}, route: "/enrollments/:id/complete", field: "password",
		post: func(w *walkWorld) walkPost {
			page := w.enr[jordanEmail] + "/complete"
			return walkPost{as: directorEmail, page: page, action: page, form: url.Values{"password": {"not my password at all"}}}
		}},
	{forms: []string{`enrollment.html: print $v.URL "/status"`}, route: "/enrollments/:id/status", field: "status",
		kept: map[string]string{"reason": "summer break"},
		post: func(w *walkWorld) walkPost {
			page := w.enr[jordanEmail]
			return walkPost{as: directorEmail, page: page, action: page + "/status", form: url.Values{"status": {"paused"}, "reason": {"summer break"}}}
		}},
	{forms: []string{`transcribe.html: print $v.URL "/transcribe/observation"`}, route: "/enrollments/:id/transcribe/observation", field: "performed_on",
		kept: map[string]string{"attested_by": "Rita Nurse", "performed_on": "last spring"},
		post: func(w *walkWorld) walkPost {
			page := w.enr[jordanEmail] + "/transcribe"
			return walkPost{as: directorEmail, page: page, action: page + "/observation", multipart: true, form: url.Values{"competency": {"PHL-VENI"},
				"performed_on": {"last spring"}, "attested_by": {"Rita Nurse"}, "attester_credential": {"RN"}}}
		}},
	{forms: []string{`transcribe.html: print $v.URL "/transcribe/selflog"`}, route: "/enrollments/:id/transcribe/selflog", field: "performed_on",
		kept: map[string]string{"attested_by": "Rita Nurse", "source_note": "logbook p. 4"},
		post: func(w *walkWorld) walkPost {
			page := w.enr[jordanEmail] + "/transcribe"
			return walkPost{as: directorEmail, page: page, action: page + "/selflog", multipart: true, form: url.Values{"key": {"form-walktest-paperlog"},
				"competency": {"PHL-VENI"}, "performed_on": {"last spring"}, "attested_by": {"Rita Nurse"}, "attester_credential": {"RN"}, "source_note": {"logbook p. 4"}}}
		}},
	{forms: []string{`transcribe.html: print $v.URL "/transcribe/hours"`}, route: "/enrollments/:id/transcribe/hours", field: "hours",
		kept: map[string]string{"attested_by": "Pat Supervisor", "hours": "thirty"},
		post: func(w *walkWorld) walkPost {
			page := w.enr[jordanEmail] + "/transcribe"
			return walkPost{as: hrEmail, page: page, action: page + "/hours", multipart: true, form: url.Values{"key": {"form-walktest-paperhours"},
				"code": {"ojl:VITAL-SIGNS"}, "worked_on": {w.today}, "hours": {"thirty"}, "attested_by": {"Pat Supervisor"}}}
		}},
	{forms: []string{`transcribe.html: print $v.URL "/transcribe/test"`}, route: "/enrollments/:id/transcribe/test", field: "score",
		kept: map[string]string{"attested_by": "Dr. Grader", "score": "140"},
		post: func(w *walkWorld) walkPost {
			page := w.enr[jordanEmail] + "/transcribe"
			return walkPost{as: directorEmail, page: page, action: page + "/test", multipart: true, form: url.Values{"key": {"form-walktest-papertest"},
				"competency": {"SAF-HIPAA"}, "taken_on": {w.today}, "score": {"140"}, "attested_by": {"Dr. Grader"}}}
		}},
	{forms: []string{`transcribe.html: print $v.URL "/transcribe/signoff"`}, route: "/enrollments/:id/transcribe/signoff", field: "signed_on",
		kept: map[string]string{"printed_name": "Dr. Paper", "signed_on": "soon"},
		post: func(w *walkWorld) walkPost {
			page := w.enr[jordanEmail] + "/transcribe"
			return walkPost{as: hrEmail, page: page, action: page + "/signoff", multipart: true, form: url.Values{"competency": {"PHL-VENI"},
				"signed_on": {"soon"}, "printed_name": {"Dr. Paper"}, "credential": {"MD"}}}
		}},
	{forms: []string{"enrollment.html: .RevokeURL"}, route: "/enrollments/:id/paper-signoffs/:ps/revoke", field: "effective_on",
		kept: map[string]string{"reason": "form unsigned", "effective_on": "soon"},
		post: func(w *walkWorld) walkPost {
			page := w.enr[jordanEmail]
			action := w.find(directorEmail, page, `action="([^"]+/paper-signoffs/[^"]+/revoke)"`)
			return walkPost{as: directorEmail, page: page, action: action, form: url.Values{"key": {"form-walktest-paperrevoke"}, "reason": {"form unsigned"}, "effective_on": {"soon"}}}
		}},
	{forms: []string{"signature.html: .RevokeURL"}, route: "/enrollments/:id/signoffs/:so/revoke", field: "effective_on",
		kept: map[string]string{"reason": "retraining", "effective_on": "soon"},
		post: func(w *walkWorld) walkPost {
			page := w.enr[jordanEmail]
			action := w.find(directorEmail, page, `action="([^"]+/signoffs/[^"]+/revoke)"`)
			return walkPost{as: directorEmail, page: page, action: action, form: url.Values{"key": {"form-walktest-revoke"}, "reason": {"retraining"}, "effective_on": {"soon"}}}
		}},
	{forms: []string{"programs.html: /programs/import"}, route: "/programs/import", field: "file",
		post: func(w *walkWorld) walkPost {
			return walkPost{as: directorEmail, page: "/programs", action: "/programs/import", multipart: true, form: url.Values{}}
		}},
	{forms: []string{`session.html: "/sessions"`}, route: "/sessions", field: "performed_on",
		kept: map[string]string{"performed_on": "last tuesday"},
		post: func(w *walkWorld) walkPost {
			page := "/sessions/new?competency=PHL-VENI&e=" + strings.TrimPrefix(w.enr[jordanEmail], "/enrollments/")
			f := formFromPage(w.t, w.as(priyaEmail).get(page).body)
			f.Set("performed_on", "last tuesday")
			f.Set("r_"+strings.TrimPrefix(w.enr[jordanEmail], "/enrollments/"), "all")
			return walkPost{as: priyaEmail, page: page, action: "/sessions", form: f}
		}},
	{forms: []string{"program_version.html: /programs/{{$v.Program.ID}}/drafts"}, route: "/programs/:id/drafts", buttonsOnly: "a button"},
	{forms: []string{"program_version.html: {{$v.URL}}/publish"}, route: "/programs/:id/v/:n/publish", buttonsOnly: "a button"},
	{forms: []string{"program_version.html: {{$v.URL}}/discard"}, route: "/programs/:id/v/:n/discard", buttonsOnly: "a button"},
	{forms: []string{"program_version.html: {{$v.URL}}/competencies/{{.C.Code}}/remove"}, route: "/programs/:id/v/:n/competencies/:code/remove", buttonsOnly: "a button"},
	{forms: []string{"program_version.html: {{$v.URL}}/tasks/{{.T.Code}}/remove"}, route: "/programs/:id/v/:n/tasks/:code/remove", buttonsOnly: "a button"},
	{forms: []string{`competency_edit.html: print $v.URL "/competencies/" $f.Code`}, route: "/programs/:id/v/:n/competencies/:code", field: "pass_mark",
		kept: map[string]string{"title": "Venipuncture, edited", "pass_mark": "abc"},
		post: func(w *walkWorld) walkPost {
			page := w.draft + "/competencies/PHL-VENI/edit"
			f := formFromPage(w.t, w.as(directorEmail).get(page).body)
			f.Set("title", "Venipuncture, edited")
			f.Set("pass_mark", "abc")
			return walkPost{as: directorEmail, page: page, action: w.draft + "/competencies/PHL-VENI", form: f}
		}},
	{route: "/programs/:id/v/:n/competencies/:code", field: "first_months", // a first cycle out of order (issue 17)
		kept: map[string]string{"first_months": "12, 6", "training_hours": "10"},
		post: func(w *walkWorld) walkPost {
			page := w.draft + "/competencies/LAB-NONWAIVED/edit"
			f := formFromPage(w.t, w.as(directorEmail).get(page).body)
			f.Set("first_months", "12, 6")
			f.Set("training_hours", "10")
			f.Set("training_rti", "LAB-CLIA")
			return walkPost{as: directorEmail, page: page, action: w.draft + "/competencies/LAB-NONWAIVED", form: f}
		}},
	{route: "/programs/:id/v/:n/tasks/:code", field: "indirect_after", // supervision levels by count (issue 17)
		kept: map[string]string{"indirect_after": "5", "independent_after": "3"},
		post: func(w *walkWorld) walkPost {
			page := w.draft + "/tasks/VENIPUNCTURE/edit"
			f := formFromPage(w.t, w.as(directorEmail).get(page).body)
			f.Set("direct", "never")
			f.Set("indirect_after", "5")
			f.Set("independent_after", "3")
			return walkPost{as: directorEmail, page: page, action: w.draft + "/tasks/VENIPUNCTURE", form: f}
		}},
	{forms: []string{`task_edit.html: print $v.URL "/tasks/" $f.Code`}, route: "/programs/:id/v/:n/tasks/:code", field: "grace_BLS",
		kept: map[string]string{"title": "Venipuncture, edited", "grace_BLS": "none"},
		post: func(w *walkWorld) walkPost {
			page := w.draft + "/tasks/VENIPUNCTURE/edit"
			f := formFromPage(w.t, w.as(directorEmail).get(page).body)
			f.Set("title", "Venipuncture, edited")
			f.Set("cred_BLS", "grace")
			f.Set("grace_BLS", "none")
			return walkPost{as: directorEmail, page: page, action: w.draft + "/tasks/VENIPUNCTURE", form: f}
		}},
	{forms: []string{`add_item.html: print .URL "/" .Kind`}, route: "/programs/:id/v/:n/competencies", field: "code",
		kept: map[string]string{"title": "Arterial puncture"},
		post: func(w *walkWorld) walkPost {
			lock := w.find(directorEmail, w.draft, `name="lock" value="([^"]+)"`)
			return walkPost{as: directorEmail, page: w.draft, action: w.draft + "/competencies",
				form: url.Values{"lock": {lock}, "code": {""}, "title": {"Arterial puncture"}, "domain": {"laboratory"}}}
		}},
	{route: "/programs/:id/v/:n/tasks", field: "code", // the same partial, for tasks
		kept: map[string]string{"title": "Arterial sampling"},
		post: func(w *walkWorld) walkPost {
			lock := w.find(directorEmail, w.draft, `name="lock" value="([^"]+)"`)
			return walkPost{as: directorEmail, page: w.draft, action: w.draft + "/tasks",
				form: url.Values{"lock": {lock}, "code": {" "}, "title": {"Arterial sampling"}, "domain": {"laboratory"}}}
		}},
}

var (
	postFormRE = regexp.MustCompile(`(?s)<form[^>]*method="post"[^>]*>.*?</form>`)
	actionRE   = regexp.MustCompile(`action="([^"]*)"`)
	defineARE  = regexp.MustCompile(`\{\{\$a := ([^}]*)\}\}`)
)

// templateForms lists every POST form in the templates, keyed as the walk
// table names them, with its markup.
func templateForms(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := fs.WalkDir(web.Templates, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		b, err := fs.ReadFile(web.Templates, p)
		if err != nil {
			return err
		}
		src := string(b)
		for _, loc := range postFormRE.FindAllStringIndex(src, -1) {
			form := src[loc[0]:loc[1]]
			action := actionRE.FindStringSubmatch(form)[1]
			if action == "{{$a}}" {
				defs := defineARE.FindAllStringSubmatch(src[:loc[0]], -1)
				if len(defs) == 0 {
					t.Fatalf("%s: a form posts to {{$a}} with no {{$a := …}} before it", p)
				}
				action = strings.TrimSpace(defs[len(defs)-1][1])
			}
			out[path.Base(p)+": "+action] = form
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEveryFormIsWalked(t *testing.T) {
	forms := templateForms(t)
	listed := map[string]walkCase{}
	routes := map[string]bool{}
	for _, c := range walkCases {
		for _, f := range c.forms {
			listed[f] = c
		}
		routes[c.route] = true
		if c.buttonsOnly == "" && (c.post == nil || c.field == "") {
			t.Errorf("%s: a form case needs a bad value and the field that must say so", c.route)
		}
	}
	var missing []string
	for key, markup := range forms {
		c, ok := listed[key]
		if !ok {
			missing = append(missing, key)
			continue
		}
		if c.buttonsOnly != "" {
			// A form listed as buttons only must have nothing to type.
			for _, tag := range regexp.MustCompile(`<input[^>]*>|<select|<textarea`).FindAllString(markup, -1) {
				if !strings.Contains(tag, `type="hidden"`) {
					t.Errorf("%s is listed as %s, but it has a field: %s", key, c.buttonsOnly, tag)
				}
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("the form %q has no case in walkCases (forms_walk_test.go): add a bad value for it", m)
	}
	for key := range listed {
		if _, ok := forms[key]; !ok {
			t.Errorf("walkCases lists %q, which no template has any more", key)
		}
	}
	// Every page route taking a POST is in the table (the API has its own
	// tests: it answers JSON, not forms; the SAML ACS takes the identity
	// provider's form, not one of ours: sso_saml_test.go).
	d := dbtest.New(t, db.SQLite)
	e := newEnv(t, d)
	for _, r := range e.srv.App().GetRoutes(true) {
		if r.Method != http.MethodPost || strings.HasPrefix(r.Path, "/api/") || r.Path == "/auth/saml/acs" {
			continue
		}
		if !routes[r.Path] {
			t.Errorf("POST %s has no case in walkCases: add its form with a bad value", r.Path)
		}
	}
}

// fingerprint is how many rows each table holds and how long the audit
// trail is: a bad value changes none of them. (Sessions and the key-value
// store hold CSRF tokens, counters and logins, which any request may touch;
// a wrong password or code is recorded in the trail as a failed login, on
// purpose.)
func fingerprint(t *testing.T, e *env) map[string]int {
	t.Helper()
	out := map[string]int{"audit_log": audittest.Total(t, e.db) - audittest.Count(t, e.db, accounts.ActionLoginFailed) -
		audittest.Count(t, e.db, accounts.ActionSecondFactorFailed)}
	for _, table := range []string{"users", "user_roles", "user_sites", "sites", "api_tokens", "password_resets", "enrollments",
		"enrollment_preceptors", "enrollment_status_changes", "enrollment_moves", "observations", "sign_offs", "revocations",
		"paper_sign_offs", "paper_revocations", "transcription_scans",
		"self_logs", "hours_entries", "test_results", "credentials", "credential_files", "programs", "program_versions",
		"notifications", "calendar_tokens", "webhook_endpoints", "webhook_events", "webhook_deliveries"} {
		n, err := e.db.NewSelect().Table(table).Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out[table] = int(n)
	}
	return out
}

func TestEveryFormKeepsWhatWasTyped(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		e := ownEnv(newEnv(t, d), d, nil)
		w := &walkWorld{t: t, e: e, people: withDemo(t, e), clients: map[string]*client{}, enr: map[string]string{}}
		w.today = e.clock.Now().In(e.cfg.Location()).Format("2006-01-02")
		ctx := context.Background()
		// What the cases need that the demo does not have: a newer
		// published version (to move to), a draft, an apprentice not yet
		// enrolled, and a self-log waiting for Priya.
		st := programs.NewStore(e.db)
		list, err := st.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		v2, err := st.StartDraft(ctx, list[0].ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Publish(ctx, v2.ID, v2.LockVersion, ""); err != nil {
			t.Fatal(err)
		}
		v3, err := st.StartDraft(ctx, list[0].ID, "")
		if err != nil {
			t.Fatal(err)
		}
		w.draft = "/programs/" + list[0].ID + "/v/" + itoa(v3.Number)
		dana := w.people[directorEmail]
		newbie, err := e.store.Create(ctx, accounts.NewPerson{Email: "walk-new@demo.test", Name: "Walk Newcomer",
			Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: dana.SiteIDs, Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		w.people[newbie.Email] = newbie
		w.enr[jordanEmail] = w.as(jordanEmail).get("/progress").Header.Get("Location")
		if !strings.HasPrefix(w.enr[jordanEmail], "/enrollments/") {
			t.Fatalf("Jordan's progress: %q", w.enr[jordanEmail])
		}
		sl := url.Values{"key": {"form-walktest-pending"}, "competency": {"PHL-VENI"}, "performed_on": {w.today},
			"supervisor": {w.people[priyaEmail].ID}, "variant": {""}}
		if r := w.as(jordanEmail).post(w.enr[jordanEmail]+"/selflogs", sl); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("a good self-log: %d %s", r.StatusCode, regexpFind(`(?s)(<div class="error-summary".*?</div>)`, r.body))
		}
		// A paper sign-off on Jordan's record, for the form revoking it.
		w.as(directorEmail).get(w.enr[jordanEmail] + "/transcribe")
		if r := w.as(directorEmail).post(w.enr[jordanEmail]+"/transcribe/signoff", url.Values{"key": {"form-walktest-paper"}, "competency": {"SAF-HIPAA"},
			"signed_on": {w.today}, "printed_name": {"Dr. Paper"}, "credential": {"MD"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("a good paper sign-off: %d %s", r.StatusCode, regexpFind(`(?s)(<div class="error-summary".*?</div>)`, r.body))
		}

		// Email on, so that a waiting authenticator app can be approved by
		// the emailed code; Marcus with an active app (his login asks for
		// a code); Casey with one waiting, after a password link.
		w.mail = &lastMail{last: map[string]string{}}
		e.svc.Mail = w.mail
		if e.srv, err = server.New(e.svc); err != nil {
			t.Fatal(err)
		}
		w.as("physician@demo.test").enrolThroughPages()
		casey := w.people["graduate@demo.test"]
		link := w.resetLink(casey)
		anon := e.client()
		anon.get(link)
		if r := anon.post(link, url.Values{"new": {"a new passphrase for casey"}, "confirm": {"a new passphrase for casey"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("Casey's reset: %d", r.StatusCode)
		}
		cc := e.client()
		cc.login(casey.Email, "a new passphrase for casey")
		cc.enrolThroughPages()
		w.clients["casey-waiting"] = cc

		// Jordan at 10 of 10 venipunctures: ready for Priya's sign-off,
		// whose form is offered only then.
		for i := 0; i < 2; i++ {
			obs := w.enr[jordanEmail] + "/observe/PHL-VENI"
			f := formFromPage(t, w.as(priyaEmail).get(obs).body)
			for j := 0; j < 40; j++ {
				f.Set("step_"+itoa(j), "met")
			}
			if r := w.as(priyaEmail).post(obs, f); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("a good observation: %d", r.StatusCode)
			}
		}

		for _, c := range walkCases {
			if c.buttonsOnly != "" {
				continue
			}
			t.Run(strings.ReplaceAll(strings.Trim(c.route, "/"), "/", "_"), func(t *testing.T) {
				w.t = t
				p := c.post(w)
				cl := w.as(p.as)
				if r := cl.get(p.page); r.StatusCode != http.StatusOK {
					t.Fatalf("the form's page %s: %d", p.page, r.StatusCode)
				}
				before := fingerprint(t, e)
				var r response
				if p.multipart {
					var buf bytes.Buffer
					mw := multipart.NewWriter(&buf)
					_ = mw.WriteField("_csrf", cl.csrf)
					for k, vs := range p.form {
						for _, v := range vs {
							_ = mw.WriteField(k, v)
						}
					}
					mw.Close()
					r = cl.do("POST", p.action, &buf, map[string]string{"Content-Type": mw.FormDataContentType()})
				} else {
					r = cl.post(p.action, p.form)
				}
				if r.StatusCode < 400 || r.StatusCode >= 500 {
					t.Fatalf("status %d, want the form back with a 4xx\n%s", r.StatusCode, r.body)
				}
				if strings.Contains(r.body, "Go to the home page") {
					t.Fatalf("the error page, not the form:\n%s", regexpFind(`(?s)<main[^>]*>(.*)</main>`, r.body))
				}
				form := postFormRE.FindString(r.body[max(0, strings.Index(r.body, `action="`+htmlEscape(p.action)+`"`)-200):])
				if form == "" || !strings.Contains(form, `action="`+htmlEscape(p.action)+`"`) {
					t.Fatalf("the page that came back has no form posting to %s", p.action)
				}
				got := formFromPage(t, form)
				for k, want := range c.kept {
					if got.Get(k) != want {
						t.Errorf("%s: %q came back, want what was typed, %q", k, got.Get(k), want)
					}
				}
				id := `id="f-` + c.field + `"`
				if !strings.Contains(form, id) {
					t.Errorf("no field %s in the form", id)
				}
				if !strings.Contains(form, `id="e-`+c.field+`"`) {
					t.Errorf("no message next to %s", c.field)
				}
				if tag := regexpFind(`(<(?:input|select|textarea)[^>]*`+id+`[^>]*>)`, form); tag != "" &&
					(!strings.Contains(tag, `aria-invalid="true"`) || !strings.Contains(tag, "e-"+c.field)) {
					t.Errorf("the field does not point at its message: %s", tag)
				}
				summary := regexpFind(`(?s)(<div class="error-summary".*?</div>)`, r.body)
				if !strings.Contains(summary, `href="#f-`+c.field+`"`) {
					t.Errorf("the summary does not link to the field:\n%s", summary)
				}
				if after := fingerprint(t, e); !mapsEqual(before, after) {
					t.Errorf("a bad value changed the database:\nbefore %v\nafter  %v", before, after)
				}
			})
		}
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func htmlEscape(s string) string { return strings.ReplaceAll(s, "&", "&amp;") }
