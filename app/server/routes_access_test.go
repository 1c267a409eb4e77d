package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// The route × role table: every registered route, and for every kind of
// caller what it gets. A route added without a row here fails
// TestEveryRouteHasAnAccessRule, and so does a row for a route that no
// longer exists. Rows are sent with real ids from the demo organisation
// (see accessFixture) and, for writes, with an empty form: the test is
// about who gets in, so an allowed caller gets the handler's own answer
// (often 400 or 422 for the empty form), a refused one 403 or 404.
//
// The callers (columns of want, in this order):
//
//	anon  no session
//	appr  Jordan, apprentice at Riverside: the {person} of the ids below
//	grad  Casey, graduate MA at Northgate: another apprentice, another site
//	prec  Priya, preceptor at Riverside, assigned to Jordan
//	dir   a program director of Riverside only
//	hr    an HR auditor of Riverside only
//	admin the administrator
//	token the HR auditor's personal API token (Bearer), no session
//
// In want, "L" is a redirect to the login page (pages) and a number is
// the status; a 303 must then go somewhere other than the login page.
type role int

const (
	anon role = iota
	appr
	grad
	prec
	dir
	hr
	admin
	token
	nRoles
)

var roleNames = [nRoles]string{"anon", "appr", "grad", "prec", "dir", "hr", "admin", "token"}

type accessRule struct {
	method, pattern string
	// path is the request path with {placeholders} for fixture ids; empty
	// means pattern itself.
	path string
	want string
	// fresh: use a newly logged-in client (the request ends the session).
	fresh bool
}

// target is the rule's request path, with its placeholders.
func (r accessRule) target() string {
	if r.path == "" {
		return r.pattern
	}
	return r.path
}

// Columns:                         anon appr grad prec dir  hr   admin token
var accessRules = []accessRule{
	{"GET", "/healthz", "", "200 200 200 200 200 200 200 200", false},
	{"GET", "/readyz", "", "200 200 200 200 200 200 200 200", false},
	{"GET", "/static/:name", "/static/app.css", "200 200 200 200 200 200 200 200", false},
	{"GET", "/login", "", "200 303 303 303 303 303 303 303", false},
	{"POST", "/login", "", "400 400 400 400 400 400 400 400", false},
	// The code after the password: without a pending login (its cookie),
	// back to logging in.
	{"GET", "/login/code", "", "L L L L L L L L", false},
	{"POST", "/login/code", "", "401 401 401 401 401 401 401 401", false},
	// Logging out ends on the login page, whoever asks.
	{"POST", "/logout", "", "L L L L L L L L", true},
	// Single sign-on: nothing here when no provider is configured
	// (sso_test.go drives them with one).
	{"GET", "/auth/oidc/login", "", "404 404 404 404 404 404 404 404", false},
	{"GET", "/auth/oidc/callback", "", "404 404 404 404 404 404 404 404", false},
	{"GET", "/auth/saml/login", "", "404 404 404 404 404 404 404 404", false},
	{"GET", "/auth/saml/acs", "", "404 404 404 404 404 404 404 404", false},
	{"POST", "/auth/saml/acs", "", "404 404 404 404 404 404 404 404", false},
	{"GET", "/auth/saml/metadata", "", "404 404 404 404 404 404 404 404", false},
	{"GET", "/reset/:token", "/reset/{reset}", "200 200 200 200 200 200 200 200", false},
	{"POST", "/reset/:token", "/reset/{reset}", "400 400 400 400 400 400 400 400", false},
	{"GET", "/calendar/:token", "/calendar/{calendar}", "200 200 200 200 200 200 200 200", false},
	// A printed document's code: public; an unknown code is 404 for all.
	{"GET", "/verify/:code", "/verify/aaaaaaaaaaaaaaaaaaaaaaaaaa", "404 404 404 404 404 404 404 404", false},

	{"GET", "/", "", "L 200 200 200 200 200 200 200", false},
	{"GET", "/notifications", "", "L 200 200 200 200 200 200 200", false},
	{"POST", "/notifications/read", "", "L 303 303 303 303 303 303 303", false},
	{"POST", "/account/calendar", "", "L 200 200 200 200 200 200 200", false},
	{"POST", "/account/calendar/revoke", "", "L 303 303 303 303 303 303 303", false},
	{"GET", "/account", "", "L 200 200 200 200 200 200 200", false},
	{"POST", "/account/password", "", "L 400 400 400 400 400 400 400", false},
	// A token may not make a token (403); a session gets the form's 400.
	{"POST", "/account/tokens", "", "L 400 400 400 400 400 400 403", false},
	// {hrtoken} is a fresh token of the HR auditor: only they may revoke it.
	{"POST", "/account/tokens/:id/revoke", "/account/tokens/{hrtoken}/revoke", "L 404 404 404 404 303 404 303", false},

	// Ending one of one's sessions: an unknown id is 404; never by token.
	{"POST", "/account/sessions/:id/end", "/account/sessions/0000/end", "L 404 404 404 404 404 404 403", false},
	// Passkeys: options for a registration; an answer without a valid
	// registration is refused (401), as is removing with no password;
	// logging in with one is public; re-authenticating with one (to sign,
	// to remove one) needs one (none here: 401). Never by token.
	{"POST", "/account/passkeys/options", "", "L 200 200 200 200 200 200 403", false},
	{"POST", "/account/passkeys", "", "L 401 401 401 401 401 401 403", false},
	{"POST", "/account/passkeys/:id/remove", "/account/passkeys/nosuch/remove", "L 401 401 401 401 401 401 403", false},
	{"POST", "/login/passkey/options", "", "200 200 200 200 200 200 200 200", false},
	{"POST", "/login/passkey", "", "401 401 401 401 401 401 401 401", false},
	{"POST", "/account/passkeys/reauth", "", "L 401 401 401 401 401 401 403", false},
	// One's own second factor: start (then the QR code exists), confirm
	// with no code (401), email code without mail (409), approve with a
	// wrong emailed code (401). Never with a token (403).
	{"GET", "/account/second-factor", "", "L 200 200 200 200 200 200 403", false},
	{"POST", "/account/second-factor/start", "", "L 200 200 200 200 200 200 403", false},
	{"GET", "/account/second-factor/qr.png", "", "L 200 200 200 200 200 200 403", false},
	{"POST", "/account/second-factor/confirm", "", "L 401 401 401 401 401 401 403", false},
	{"POST", "/account/second-factor/email-code", "", "L 409 409 409 409 409 409 403", false},
	{"POST", "/account/second-factor/approve", "", "L 401 401 401 401 401 401 403", false},
	// Someone else's: HR and administrators; Jordan has none, so nothing
	// waits (409).
	{"GET", "/people/:id/second-factor", "/people/{person}/second-factor", "L 403 403 403 403 200 200 403", false},
	{"POST", "/people/:id/second-factor/approve", "/people/{person}/second-factor/approve", "L 403 403 403 403 409 409 403", false},
	{"POST", "/people/:id/second-factor/remove", "/people/{person}/second-factor/remove", "L 403 403 403 403 403 409 403", false},
	{"POST", "/people/:id/second-factor/confirm-removal", "/people/{person}/second-factor/confirm-removal", "L 403 403 403 403 409 409 403", false},

	// A person's hire date: HR and administrators (an empty form is 400).
	{"GET", "/people/:id/hire-date", "/people/{person}/hire-date", "L 403 403 403 403 200 200 200", false},
	{"POST", "/people/:id/hire-date", "/people/{person}/hire-date", "L 403 403 403 403 400 400 400", false},
	// Demographic fields: HR and admins only; an empty form changes
	// nothing (422).
	{"GET", "/people/:id/demographics", "/people/{person}/demographics", "L 403 403 403 403 200 200 200", false},
	{"POST", "/people/:id/demographics", "/people/{person}/demographics", "L 403 403 403 403 422 422 422", false},

	// Wage steps: the apprentice, directors, HR and admins read them
	// (preceptors not: pay); directors and HR approve (an empty form is 400).
	{"GET", "/people/:id/wage", "/people/{person}/wage", "L 200 404 403 200 200 200 200", false},
	{"POST", "/people/:id/wage", "/people/{person}/wage", "L 403 403 403 400 400 403 400", false},

	{"GET", "/people", "", "L 403 403 200 200 200 200 200", false},
	{"GET", "/admin/people", "", "L 403 403 403 403 403 200 403", false},
	{"GET", "/admin/people/new", "", "L 403 403 403 403 403 200 403", false},
	{"POST", "/admin/people", "", "L 403 403 403 403 403 400 403", false},
	{"GET", "/admin/people/:id", "/admin/people/{victim}", "L 403 403 403 403 403 200 403", false},
	{"POST", "/admin/people/:id/reset", "/admin/people/{victim}/reset", "L 403 403 403 403 403 200 403", false},
	{"POST", "/admin/people/:id/unlock", "/admin/people/{victim}/unlock", "L 403 403 403 403 403 303 403", false},
	// The victim has no single sign-on link to remove.
	{"POST", "/admin/people/:id/sso/unlink", "/admin/people/{victim}/sso/unlink", "L 403 403 403 403 403 404 403", false},
	{"POST", "/admin/people/:id/disable", "/admin/people/{victim}/disable", "L 403 403 403 403 403 303 403", false},
	{"GET", "/admin/sso", "", "L 403 403 403 403 403 200 403", false},
	{"POST", "/admin/sso", "", "L 403 403 403 403 403 303 403", false},
	{"GET", "/admin/webhooks", "", "L 403 403 403 403 403 200 403", false},
	{"POST", "/admin/webhooks", "", "L 403 403 403 403 403 422 403", false},
	{"GET", "/admin/webhooks/:id", "/admin/webhooks/nope", "L 403 403 403 403 403 404 403", false},
	{"POST", "/admin/webhooks/:id", "/admin/webhooks/nope", "L 403 403 403 403 403 422 403", false},
	{"POST", "/admin/webhooks/:id/rotate", "/admin/webhooks/nope/rotate", "L 403 403 403 403 403 404 403", false},
	{"POST", "/admin/webhooks/:id/delete", "/admin/webhooks/nope/delete", "L 403 403 403 403 403 404 403", false},
	{"POST", "/admin/webhooks/:id/deliveries/:delivery/resend", "/admin/webhooks/nope/deliveries/nope/resend", "L 403 403 403 403 403 404 403", false},
	{"POST", "/admin/people/:id/enable", "/admin/people/{victim}/enable", "L 403 403 403 403 403 303 403", false},
	// SCIM tokens: administrators; making one takes the password (none
	// sent: 401); an unknown token is 404.
	{"GET", "/admin/scim", "", "L 403 403 403 403 403 200 403", false},
	{"POST", "/admin/scim/tokens", "", "L 403 403 403 403 403 401 403", false},
	{"POST", "/admin/scim/tokens/:id/revoke", "/admin/scim/tokens/nosuch/revoke", "L 403 403 403 403 403 404 403", false},

	{"GET", "/clearance", "", "L 200 200 200 200 200 200 200", false},
	{"GET", "/people/:id/clearance", "/people/{person}/clearance", "L 200 404 200 200 200 200 200", false},
	{"GET", "/people/:id/credentials", "/people/{person}/credentials", "L 200 404 200 200 200 200 200", false},
	{"POST", "/people/:id/credentials", "/people/{person}/credentials", "L 403 403 403 403 400 400 400", false},
	{"POST", "/people/:id/credentials/:rid/verify", "/people/{person}/credentials/{record}/verify", "L 403 403 403 403 400 400 400", false},
	{"GET", "/people/:id/credentials/:rid/file", "/people/{person}/credentials/{record}/file", "L 200 404 200 200 200 200 200", false},
	{"POST", "/people/:id/enroll", "/people/{person}/enroll", "L 403 403 403 400 403 403 403", false},
	{"GET", "/people/:id/move", "/people/{person}/move", "L 403 403 403 409 403 403 403", false},
	{"POST", "/people/:id/move", "/people/{person}/move", "L 403 403 403 400 403 403 403", false},
	// Printed records: the person's object rule; a site's, staff of it
	// who manage people.
	{"GET", "/people/:id/record.pdf", "/people/{person}/record.pdf", "L 200 404 200 200 200 200 200", false},
	{"GET", "/sites/:id/records.zip", "/sites/{site}/records.zip", "L 403 403 403 200 200 200 200", false},

	{"GET", "/reports/certifications", "", "L 200 200 200 200 200 200 200", false},
	{"GET", "/reports/certifications.xlsx", "", "L 200 200 200 200 200 200 200", false},
	{"GET", "/reports/clearances", "", "L 200 200 200 200 200 200 200", false},
	{"GET", "/reports/clearances.xlsx", "", "L 200 200 200 200 200 200 200", false},
	{"GET", "/reports/signoffs", "", "L 200 200 200 200 200 200 200", false},
	{"GET", "/reports/signoffs.xlsx", "", "L 200 200 200 200 200 200 200", false},
	{"GET", "/reports/evaluations", "", "L 200 200 200 200 200 200 200", false},
	{"GET", "/reports/evaluations.xlsx", "", "L 200 200 200 200 200 200 200", false},
	{"GET", "/reports/progress", "", "L 200 200 200 200 200 200 200", false},
	{"GET", "/reports/progress.xlsx", "", "L 200 200 200 200 200 200 200", false},
	{"GET", "/reports/hours", "", "L 200 200 200 200 200 200 200", false},
	{"GET", "/reports/hours.xlsx", "", "L 200 200 200 200 200 200 200", false},
	// The RAPIDS export holds demographic fields: HR and admins only.
	{"GET", "/reports/rapids", "", "L 403 403 403 403 200 200 200", false},
	{"GET", "/reports/rapids.xlsx", "", "L 403 403 403 403 200 200 200", false},
	{"GET", "/reports/rapids.csv", "", "L 403 403 403 403 200 200 200", false},
	{"GET", "/reports/wages", "", "L 403 403 403 200 200 403 200", false},
	{"GET", "/reports/wages.xlsx", "", "L 403 403 403 200 200 403 200", false},
	{"GET", "/hr", "", "L 403 403 403 403 200 200 200", false},
	{"GET", "/audit", "", "L 403 403 403 403 200 200 200", false},
	{"GET", "/audit.xlsx", "", "L 403 403 403 403 200 200 200", false},
	{"GET", "/audit.csv", "", "L 403 403 403 403 200 200 200", false},
	{"GET", "/hr/import", "", "L 403 403 403 403 200 200 200", false},
	{"GET", "/hr/import/template.csv", "", "L 403 403 403 403 200 200 200", false},
	{"GET", "/hr/import/template.xlsx", "", "L 403 403 403 403 200 200 200", false},
	{"GET", "/hr/import/roster.csv", "", "L 403 403 403 403 200 200 200", false},
	{"GET", "/hr/import/roster.xlsx", "", "L 403 403 403 403 200 200 200", false},
	{"POST", "/hr/import", "", "L 403 403 403 403 400 400 400", false},
	{"POST", "/hr/import/confirm", "", "L 403 403 403 403 404 404 404", false},

	{"GET", "/progress", "", "L 303 303 404 404 404 404 404", false},
	{"GET", "/submissions", "", "L 200 200 404 404 404 404 404", false},
	{"GET", "/enrollments/:id", "/enrollments/{enrollment}", "L 200 404 200 200 200 200 200", false},
	{"GET", "/enrollments/:id/observe/:code", "/enrollments/{enrollment}/observe/PHL-VENI", "L 403 403 200 200 403 403 403", false},
	{"POST", "/enrollments/:id/observe/:code", "/enrollments/{enrollment}/observe/PHL-VENI", "L 403 403 400 400 403 403 403", false},
	{"GET", "/enrollments/:id/signoff/:code", "/enrollments/{enrollment}/signoff/PHL-VENI", "L 403 403 200 200 403 403 403", false},
	{"POST", "/enrollments/:id/signoff/:code", "/enrollments/{enrollment}/signoff/PHL-VENI", "L 403 403 401 401 403 403 403", false},
	{"POST", "/enrollments/:id/tests/:code", "/enrollments/{enrollment}/tests/PHL-VENI", "L 403 403 400 400 403 403 403", false},
	{"POST", "/enrollments/:id/selflogs", "/enrollments/{enrollment}/selflogs", "L 400 404 403 403 403 403 403", false},
	{"POST", "/enrollments/:id/hours", "/enrollments/{enrollment}/hours", "L 400 404 403 403 403 403 403", false},
	{"GET", "/review", "", "L 403 403 200 200 403 403 403", false},
	{"GET", "/sessions/new", "", "L 403 403 200 200 403 403 403", false},
	// An empty session form names no competency the caller may observe: 404.
	{"POST", "/sessions", "", "L 403 403 404 404 403 403 403", false},
	// Only the named supervisor (Priya) reviews a self-log: the director gets 404.
	{"POST", "/review/:kind/:id", "/review/selflogs/{selflog}", "L 403 403 400 404 403 403 403", false},
	{"GET", "/cohort", "", "L 403 403 403 200 403 403 403", false},
	{"GET", "/cohort/closest", "", "L 403 403 403 200 403 403 403", false},
	{"GET", "/reports", "", "L 403 403 200 200 200 200 200", false},
	{"GET", "/cohort/closest.xlsx", "/cohort/closest.xlsx?task=INJECTIONS", "L 403 403 403 200 403 403 403", false},
	{"POST", "/enrollments/:id/status", "/enrollments/{enrollment}/status", "L 403 403 403 409 403 403 403", false},
	// Completion: directors sign it (an empty form has no password: 401).
	{"GET", "/enrollments/:id/complete", "/enrollments/{enrollment}/complete", "L 403 403 403 200 403 403 403", false},
	{"POST", "/enrollments/:id/complete", "/enrollments/{enrollment}/complete", "L 403 403 403 401 403 403 403", false},
	// Nobody's certificate before a completion: 404 alike for who may see the enrollment and who may not.
	{"GET", "/enrollments/:id/completion.pdf", "/enrollments/{enrollment}/completion.pdf", "L 404 404 404 404 404 404 404", false},
	// Transcribing paper records: directors and HR (an empty form is 400).
	{"GET", "/enrollments/:id/transcribe", "/enrollments/{enrollment}/transcribe", "L 403 403 403 200 200 403 200", false},
	{"POST", "/enrollments/:id/transcribe/observation", "/enrollments/{enrollment}/transcribe/observation", "L 403 403 403 400 400 403 400", false},
	{"POST", "/enrollments/:id/transcribe/signoff", "/enrollments/{enrollment}/transcribe/signoff", "L 403 403 403 400 400 403 400", false},
	{"POST", "/enrollments/:id/transcribe/selflog", "/enrollments/{enrollment}/transcribe/selflog", "L 403 403 403 400 400 403 400", false},
	{"POST", "/enrollments/:id/transcribe/hours", "/enrollments/{enrollment}/transcribe/hours", "L 403 403 403 422 422 403 422", false},
	{"POST", "/enrollments/:id/transcribe/test", "/enrollments/{enrollment}/transcribe/test", "L 403 403 403 400 400 403 400", false},
	// Scanned pages: staff of the site only (this record has none: 404).
	{"GET", "/enrollments/:id/scans/:rid", "/enrollments/{enrollment}/scans/none", "L 403 403 404 404 404 404 404", false},
	{"POST", "/enrollments/:id/paper-signoffs/:ps/revoke", "/enrollments/{enrollment}/paper-signoffs/none/revoke", "L 403 403 403 404 403 403 403", false},
	{"POST", "/enrollments/:id/signoffs/:so/revoke", "/enrollments/{enrollment}/signoffs/{signoff}/revoke", "L 403 403 403 400 403 403 403", false},
	{"GET", "/enrollments/:id/signoffs/:so/certificate.pdf", "/enrollments/{enrollment}/signoffs/{signoff}/certificate.pdf", "L 200 404 200 200 200 200 200", false},
	// Evaluations: the mentor completes (no password sent: 401), the
	// apprentice acknowledges one the mentor signed (none yet: 404).
	{"GET", "/enrollments/:id/evaluations/:n", "/enrollments/{enrollment}/evaluations/1", "L 200 404 200 200 200 200 200", false},
	{"POST", "/enrollments/:id/evaluations/:n", "/enrollments/{enrollment}/evaluations/1", "L 403 403 401 401 403 403 403", false},
	{"POST", "/enrollments/:id/evaluations/:n/acknowledge", "/enrollments/{enrollment}/evaluations/1/acknowledge", "L 404 404 404 404 404 404 404", false},

	{"GET", "/programs", "", "L 200 200 200 200 200 200 200", false},
	{"POST", "/programs/import", "", "L 403 403 403 400 403 400 403", false},
	{"GET", "/programs/:id", "/programs/{program}", "L 303 303 303 303 303 303 303", false},
	// The director starts a draft (303); the admin then finds one (409).
	{"POST", "/programs/:id/drafts", "/programs/{program}/drafts", "L 403 403 403 303 403 409 403", false},
	{"GET", "/programs/:id/v/:n", "/programs/{program}/v/1", "L 200 200 200 200 200 200 200", false},
	{"GET", "/programs/:id/v/:n/export.yaml", "/programs/{program}/v/1/export.yaml", "L 200 200 200 200 200 200 200", false},
	{"GET", "/programs/:id/v/:n/checklists.pdf", "/programs/{program}/v/1/checklists.pdf", "L 200 200 200 200 200 200 200", false},
	// Version 1 is published: the designers' edits answer 409.
	{"POST", "/programs/:id/v/:n/publish", "/programs/{program}/v/1/publish", "L 403 403 403 409 403 409 403", false},
	{"POST", "/programs/:id/v/:n/discard", "/programs/{program}/v/1/discard", "L 403 403 403 409 403 409 403", false},
	// Moving the cohort to version 1: nobody is on an older one (an empty
	// preview); the confirmation without a date is refused (400).
	{"GET", "/programs/:id/v/:n/move", "/programs/{program}/v/1/move", "L 403 403 403 200 403 403 403", false},
	{"POST", "/programs/:id/v/:n/move", "/programs/{program}/v/1/move", "L 403 403 403 400 403 403 403", false},
	{"GET", "/programs/:id/v/:n/competencies/:code/edit", "/programs/{program}/v/1/competencies/PHL-VENI/edit", "L 403 403 403 409 403 409 403", false},
	{"POST", "/programs/:id/v/:n/competencies/:code", "/programs/{program}/v/1/competencies/PHL-VENI", "L 403 403 403 409 403 409 403", false},
	{"GET", "/programs/:id/v/:n/tasks/:code/edit", "/programs/{program}/v/1/tasks/VENIPUNCTURE/edit", "L 403 403 403 409 403 409 403", false},
	{"POST", "/programs/:id/v/:n/tasks/:code", "/programs/{program}/v/1/tasks/VENIPUNCTURE", "L 403 403 403 409 403 409 403", false},
	{"GET", "/programs/:id/v/:n/wages/edit", "/programs/{program}/v/1/wages/edit", "L 403 403 403 409 403 409 403", false},
	{"POST", "/programs/:id/v/:n/wages", "/programs/{program}/v/1/wages", "L 403 403 403 409 403 409 403", false},
	{"POST", "/programs/:id/v/:n/competencies", "/programs/{program}/v/1/competencies", "L 403 403 403 409 403 409 403", false},
	{"POST", "/programs/:id/v/:n/tasks", "/programs/{program}/v/1/tasks", "L 403 403 403 409 403 409 403", false},
	{"POST", "/programs/:id/v/:n/competencies/:code/remove", "/programs/{program}/v/1/competencies/PHL-VENI/remove", "L 403 403 403 409 403 409 403", false},
	{"POST", "/programs/:id/v/:n/tasks/:code/remove", "/programs/{program}/v/1/tasks/VENIPUNCTURE/remove", "L 403 403 403 409 403 409 403", false},
	{"GET", "/programs/:id/v/:n/evaluations/edit", "/programs/{program}/v/1/evaluations/edit", "L 403 403 403 409 403 409 403", false},
	{"POST", "/programs/:id/v/:n/evaluations", "/programs/{program}/v/1/evaluations", "L 403 403 403 409 403 409 403", false},

	{"GET", "/api/v1/openapi.json", "", "200 200 200 200 200 200 200 200", false},
	{"GET", "/api/v1/me", "", "401 200 200 200 200 200 200 200", false},
	{"GET", "/api/v1/tokens", "", "401 200 200 200 200 200 200 200", false},
	{"POST", "/api/v1/tokens", "", "401 400 400 400 400 400 400 403", false},
	{"DELETE", "/api/v1/tokens/:id", "/api/v1/tokens/{hrtoken}", "401 404 404 404 404 204 404 204", false},
	{"GET", "/api/v1/clearances", "/api/v1/clearances?person={person}", "401 200 404 200 200 200 200 200", false},
	{"GET", "/api/v1/enrollments", "/api/v1/enrollments?person={person}", "401 200 404 200 200 200 200 200", false},
	// No person_id: "no person with this id that you may see".
	{"POST", "/api/v1/enrollments", "", "401 403 403 403 404 403 403 403", false},
	{"GET", "/api/v1/enrollments/:id/evidence", "/api/v1/enrollments/{enrollment}/evidence", "401 200 404 200 200 200 200 200", false},
	{"GET", "/api/v1/enrollments/:id/evaluations", "/api/v1/enrollments/{enrollment}/evaluations", "401 200 404 200 200 200 200 200", false},
	{"POST", "/api/v1/enrollments/:id/status", "/api/v1/enrollments/{enrollment}/status", "401 403 403 403 409 403 403 403", false},
	{"POST", "/api/v1/enrollments/:id/observations", "/api/v1/enrollments/{enrollment}/observations", "401 403 403 400 400 403 403 403", false},
	{"POST", "/api/v1/enrollments/:id/tests", "/api/v1/enrollments/{enrollment}/tests", "401 403 403 400 400 403 403 403", false},
	{"POST", "/api/v1/enrollments/:id/transcriptions", "/api/v1/enrollments/{enrollment}/transcriptions", "401 403 403 403 400 400 403 400", false},
	{"POST", "/api/v1/enrollments/:id/paper-signoffs", "/api/v1/enrollments/{enrollment}/paper-signoffs", "401 403 403 403 400 400 403 400", false},
	{"POST", "/api/v1/enrollments/:id/transcriptions/self-logs", "/api/v1/enrollments/{enrollment}/transcriptions/self-logs", "401 403 403 403 400 400 403 400", false},
	{"POST", "/api/v1/enrollments/:id/transcriptions/hours", "/api/v1/enrollments/{enrollment}/transcriptions/hours", "401 403 403 403 400 400 403 400", false},
	{"POST", "/api/v1/enrollments/:id/transcriptions/tests", "/api/v1/enrollments/{enrollment}/transcriptions/tests", "401 403 403 403 400 400 403 400", false},
	{"POST", "/api/v1/enrollments/:id/paper-signoffs/:ps/revocations", "/api/v1/enrollments/{enrollment}/paper-signoffs/none/revocations", "401 403 403 403 404 403 403 403", false},
	{"POST", "/api/v1/enrollments/:id/signoffs", "/api/v1/enrollments/{enrollment}/signoffs", "401 403 403 401 401 403 403 403", false},
	{"POST", "/api/v1/enrollments/:id/signoffs/:so/revocations", "/api/v1/enrollments/{enrollment}/signoffs/{signoff}/revocations", "401 403 403 403 400 403 403 403", false},
	{"POST", "/api/v1/enrollments/:id/selflogs", "/api/v1/enrollments/{enrollment}/selflogs", "401 400 404 403 403 403 403 403", false},
	{"POST", "/api/v1/enrollments/:id/hours", "/api/v1/enrollments/{enrollment}/hours", "401 422 404 403 403 403 403 403", false},
	{"GET", "/api/v1/reviews", "", "401 403 403 200 200 403 403 403", false},
	{"POST", "/api/v1/reviews/:kind/:id", "/api/v1/reviews/selflogs/{selflog}", "401 403 403 400 404 403 403 403", false},
	{"GET", "/api/v1/programs", "", "401 200 200 200 200 200 200 200", false},
	// The empty form is no program file: 400 for those who may import.
	{"POST", "/api/v1/programs", "", "401 403 403 403 400 403 400 403", false},
	{"GET", "/api/v1/programs/:id/versions/:n", "/api/v1/programs/{program}/versions/1", "401 200 200 200 200 200 200 200", false},
	{"POST", "/api/v1/programs/:id/versions/:n/publish", "/api/v1/programs/{program}/versions/1/publish", "401 403 403 403 409 403 409 403", false},
	{"GET", "/api/v1/people", "", "401 403 403 403 200 200 200 200", false},
	{"GET", "/api/v1/webhooks", "", "401 403 403 403 403 403 200 403", false},
	{"POST", "/api/v1/webhooks", "", "401 403 403 403 403 403 422 403", false},
	{"GET", "/api/v1/webhooks/:id", "/api/v1/webhooks/nope", "401 403 403 403 403 403 404 403", false},
	{"PATCH", "/api/v1/webhooks/:id", "/api/v1/webhooks/nope", "401 403 403 403 403 403 404 403", false},
	{"DELETE", "/api/v1/webhooks/:id", "/api/v1/webhooks/nope", "401 403 403 403 403 403 404 403", false},
	{"GET", "/api/v1/webhooks/:id/deliveries", "/api/v1/webhooks/nope/deliveries", "401 403 403 403 403 403 404 403", false},
	{"POST", "/api/v1/webhooks/:id/deliveries/:delivery/resend", "/api/v1/webhooks/nope/deliveries/nope/resend", "401 403 403 403 403 403 404 403", false},
	{"POST", "/api/v1/people", "", "401 403 403 403 403 403 400 403", false},
	// No change sent: 400 for those who may change the person.
	{"PATCH", "/api/v1/people/:id", "/api/v1/people/{person}", "401 403 403 403 403 400 400 400", false},
	// Demographic fields: HR and admins only; an empty body lacks every
	// field (400).
	{"GET", "/api/v1/people/:id/demographics", "/api/v1/people/{person}/demographics", "401 403 403 403 403 200 200 200", false},
	{"PUT", "/api/v1/people/:id/demographics", "/api/v1/people/{person}/demographics", "401 403 403 403 403 400 400 400", false},
	{"GET", "/api/v1/people/:id/credentials", "/api/v1/people/{person}/credentials", "401 200 404 200 200 200 200 200", false},
	{"GET", "/api/v1/people/:id/wage", "/api/v1/people/{person}/wage", "401 200 404 403 200 200 200 200", false},
	{"POST", "/api/v1/people/:id/credentials", "/api/v1/people/{person}/credentials", "401 403 403 403 403 422 422 422", false},
	// No such record (the fixture's person id stands in): 404.
	{"POST", "/api/v1/people/:id/credentials/:rid/verify", "/api/v1/people/{person}/credentials/{person}/verify", "401 403 403 403 403 404 404 404", false},
}

// accessFixture is the demo organisation plus the callers above and the
// ids the table's placeholders stand for. own are the ids of Jordan's
// records; other maps a caller to the ids it must not reach (another
// site's for staff, another apprentice's for Jordan) for the IDOR test.
type accessFixture struct {
	e       *env
	people  map[string]*accounts.Person
	clients [nRoles]*client
	bearer  string
	own     map[string]string
	site    map[string]string // "own" and "other" site ids
	// otherIDs are, per caller, the ids it must not reach.
	otherIDs map[role]map[string]string
	nextIP   int
}

// roleEmails are the callers' logins.
var roleEmails = map[role]string{appr: "apprentice@demo.test", grad: "graduate@demo.test", prec: "preceptor@demo.test",
	dir: "dir-river@demo.test", hr: "hr-river@demo.test", admin: "admin@demo.test"}

func newAccessFixture(t *testing.T, e *env) *accessFixture {
	t.Helper()
	ctx := context.Background()
	people := withDemo(t, e)
	f := &accessFixture{e: e, people: people, own: map[string]string{}, site: map[string]string{}}
	jordan, sam, riley := people["apprentice@demo.test"], people["apprentice2@demo.test"], people["apprentice3@demo.test"]
	priya, md := people["preceptor@demo.test"], people["physician@demo.test"]
	f.site["own"], f.site["other"] = jordan.SiteIDs[0], riley.SiteIDs[0]
	f.own["site"] = f.site["own"]
	// The demo's director and HR belong to both clinics: these belong to
	// Riverside only, so Northgate is "another site" for them.
	mk := func(email, name string, r accounts.Role) *accounts.Person {
		p, err := e.store.Create(ctx, accounts.NewPerson{Email: email, Name: name, Credential: "RN", Roles: []accounts.Role{r},
			SiteIDs: []string{f.site["own"]}, Password: demo.Password, DemoPassword: true})
		if err != nil {
			t.Fatal(err)
		}
		people[email] = p
		return p
	}
	mk("dir-river@demo.test", "Dora Riverside", accounts.RoleDirector)
	hrA := mk("hr-river@demo.test", "Hugo Riverside", accounts.RoleHR)
	victim := mk("victim@demo.test", "Vic Tim", accounts.RoleApprentice)
	f.own["victim"] = victim.ID
	_, secret, err := e.store.CreateToken(ctx, hrA.ID, "integration", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f.bearer = secret
	reset, _, err := e.store.StartReset(ctx, people["admin@demo.test"].ID, victim.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.own["reset"] = reset

	progs := programs.NewStore(e.db)
	svc := evidence.NewService(e.db, progs)
	svc.Now, svc.Credentials.Now = e.clock.Now, e.clock.Now
	list, err := progs.List(ctx)
	if err != nil || len(list) == 0 {
		t.Fatalf("programs: %v", err)
	}
	f.own["program"] = list[0].ID

	// Each apprentice's enrollment, a sign-off (where there is one), a
	// credential record with a file, and a self-log waiting for review.
	ids := func(p *accounts.Person, supervisor *accounts.Person) map[string]string {
		out := map[string]string{"person": p.ID}
		ens, err := svc.Store.Enrollments(ctx, evidence.EnrollmentFilter{ApprenticeIDs: []string{p.ID}})
		if err != nil || len(ens) != 1 {
			t.Fatalf("enrollments of %s: %v %v", p.Name, ens, err)
		}
		out["enrollment"] = ens[0].ID
		rec, err := svc.Enrollment(ctx, ens[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		out["signoff"] = "01900000-0000-7000-8000-000000000000"
		if len(rec.SignOffs) > 0 {
			out["signoff"] = rec.SignOffs[0].ID
		}
		file, err := svc.Credentials.SaveFile(ctx, "card.png", bytes.NewReader(onePixelPNG), hrA.ID)
		if err != nil {
			t.Fatal(err)
		}
		today := curriculum.DateOf(e.clock.Now(), e.cfg.Location())
		r, err := svc.Credentials.Add(ctx, newRecordWithFile(p.ID, today, file.ID))
		if err != nil {
			t.Fatal(err)
		}
		out["record"] = r.ID
		l, _, err := svc.LogPerformance(ctx, records(t, svc, ens[0].ID), evidence.ActorOf(p), assessments.SelfLogRequest{IdempotencyKey: "access-" + p.ID,
			Competency: "VS-VITALS", PerformedOn: today, SupervisorID: supervisor.ID})
		if err != nil {
			t.Fatalf("self-log of %s: %v", p.Name, err)
		}
		out["selflog"] = l.ID
		return out
	}
	for k, v := range ids(jordan, priya) {
		f.own[k] = v
	}
	samIDs, rileyIDs := ids(sam, priya), ids(riley, md)
	f.otherIDs = map[role]map[string]string{appr: samIDs, grad: samIDs}
	for _, r := range []role{prec, dir, hr, admin, token} {
		f.otherIDs[r] = rileyIDs
	}

	for r := anon; r < nRoles; r++ {
		f.clients[r] = f.newClient(t, r, roleEmails[r])
	}
	// Jordan's calendar feed, made the way a person makes one.
	page := f.clients[appr].post("/account/calendar", nil)
	f.own["calendar"] = regexpFind(`/calendar/([A-Za-z0-9_-]+\.ics)`, page.body)
	if f.own["calendar"] == "" {
		t.Fatalf("no calendar link: %d", page.StatusCode)
	}
	return f
}

// newClient logs a caller in (anonymous and token callers hold only a
// CSRF cookie), from an address of its own so no IP limit is shared.
func (f *accessFixture) newClient(t *testing.T, r role, email string) *client {
	t.Helper()
	c := f.e.client()
	f.nextIP++
	c.ip = fmt.Sprintf("198.18.%d.%d", f.nextIP/200, f.nextIP%200+1)
	if email != "" {
		if res := c.login(email, demo.Password); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("login %s: %d", email, res.StatusCode)
		}
	}
	c.get("/account") // a page, for the CSRF token
	if r == anon || r == token {
		c.get("/login")
	}
	return c
}

func (f *accessFixture) expand(path string, ids map[string]string) string {
	return regexp.MustCompile(`\{(\w+)\}`).ReplaceAllStringFunc(path, func(m string) string {
		k := m[1 : len(m)-1]
		switch k {
		case "hrtoken":
			tok, _, err := f.e.store.CreateToken(context.Background(), f.people["hr-river@demo.test"].ID, "to revoke", time.Hour)
			if err != nil {
				f.e.t.Fatal(err)
			}
			return tok.ID
		}
		if own, ok := strings.CutPrefix(k, "own_"); ok {
			return url.PathEscape(f.own[own])
		}
		v, ok := ids[k]
		if !ok {
			v, ok = f.own[k]
		}
		if !ok {
			f.e.t.Fatalf("no fixture id for {%s}", k)
		}
		return url.PathEscape(v)
	})
}

// send makes one request as r: a session with its CSRF token, or the
// bearer token.
func (f *accessFixture) send(c *client, r role, method, path string) response {
	f.e.t.Helper()
	h := map[string]string{}
	if strings.HasPrefix(path, "/api/") {
		h["Accept"] = "application/json"
	}
	if r == token {
		h["Authorization"] = "Bearer " + f.bearer
	}
	var body *strings.Reader
	if method != "GET" && method != "HEAD" {
		form := url.Values{}
		if c.csrf != "" && r != token {
			form.Set("_csrf", c.csrf)
			h["X-Csrf-Token"] = c.csrf
		}
		body = strings.NewReader(form.Encode())
		h["Content-Type"] = "application/x-www-form-urlencoded"
	}
	if body == nil {
		return c.do(method, path, nil, h)
	}
	return c.do(method, path, body, h)
}

// check compares a response with one cell of the table.
func check(res response, want string) string {
	loc := res.Header.Get("Location")
	toLogin := (res.StatusCode == http.StatusSeeOther || res.StatusCode == http.StatusFound) && strings.HasPrefix(loc, "/login")
	if want == "L" {
		if !toLogin {
			return fmt.Sprintf("got %d (to %q), want a redirect to the login page", res.StatusCode, loc)
		}
		return ""
	}
	if got := fmt.Sprint(res.StatusCode); got != want {
		return fmt.Sprintf("got %s (to %q), want %s", got, loc, want)
	}
	if toLogin {
		return fmt.Sprintf("got a redirect to the login page (%q), want %s elsewhere", loc, want)
	}
	return ""
}

// TestEveryRouteHasAnAccessRule walks the registered routes: each must
// have exactly one row in accessRules, and each row a route.
func TestEveryRouteHasAnAccessRule(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		registered := map[string]bool{}
		for _, r := range e.srv.App().GetRoutes(true) {
			// HEAD runs the GET handler (Fiber registers both); the GET row covers it.
			if r.Method == "HEAD" {
				continue
			}
			registered[r.Method+" "+strings.TrimSuffix(r.Path, "/")] = true
		}
		rows := map[string]bool{}
		for _, rule := range accessRules {
			k := rule.method + " " + strings.TrimSuffix(rule.pattern, "/")
			if rows[k] {
				t.Errorf("two rows for %s", k)
			}
			rows[k] = true
			if len(strings.Fields(rule.want)) != int(nRoles) {
				t.Errorf("%s: want %q has not one cell per caller", k, rule.want)
			}
		}
		var missing, stale []string
		for k := range registered {
			if !rows[k] && k != "GET " {
				missing = append(missing, k)
			}
		}
		for k := range rows {
			if !registered[k] {
				stale = append(stale, k)
			}
		}
		sort.Strings(missing)
		sort.Strings(stale)
		for _, k := range missing {
			t.Errorf("route %s has no row in accessRules (routes_access_test.go): say who may call it", k)
		}
		for _, k := range stale {
			t.Errorf("accessRules has a row for %s, which is not a route any more", k)
		}
	})
}

// cacheable are the routes whose answers a browser may keep: static
// assets (public, versioned) and the calendar feed (private: calendar apps
// poll it).
var cacheable = map[string]bool{"/static/:name": true, "/calendar/:token": true}

// TestRouteAccessByRole sends every row as every caller, and checks that
// no answer but cacheable's may be stored.
func TestRouteAccessByRole(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		f := newAccessFixture(t, e)
		for _, rule := range accessRules {
			wants := strings.Fields(rule.want)
			path := rule.target()
			for r := anon; r < nRoles; r++ {
				c := f.clients[r]
				if rule.fresh {
					c = f.newClient(t, r, roleEmails[r])
				}
				res := f.send(c, r, rule.method, f.expand(path, f.own))
				if msg := check(res, wants[r]); msg != "" {
					t.Errorf("%s %s as %s: %s", rule.method, rule.pattern, roleNames[r], msg)
				}
				// Issue 16 item 13: nothing personal stays in a shared
				// PC's browser cache (API answers, tokens, downloads).
				if cc := res.Header.Get("Cache-Control"); !cacheable[rule.pattern] && !strings.Contains(cc, "no-store") {
					t.Errorf("%s %s as %s: Cache-Control %q, want no-store", rule.method, rule.pattern, roleNames[r], cc)
				}
			}
		}
	})
}

// TestRoutesAreCaseSensitive sends every row with its path in capitals
// (issue 16 item 7): no caller reaches a handler that way ("/CALENDAR/…"
// served the feed, "/API/V1/ME" skipped the API's limit and JSON errors).
// Every such path is "not found", as JSON for the API.
func TestRoutesAreCaseSensitive(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		f := newAccessFixture(t, e)
		for _, rule := range accessRules {
			path := rule.target()
			if path == "/" {
				continue
			}
			// Capitalise the route's own words; ids and tokens stay as they are.
			upper := f.expand(regexp.MustCompile(`(^|/)[a-z0-9.-]+`).ReplaceAllStringFunc(path, strings.ToUpper), f.own)
			for _, r := range []role{anon, appr, admin, token} {
				c := f.clients[r]
				if rule.fresh {
					c = f.newClient(t, r, roleEmails[r])
				}
				res := f.send(c, r, rule.method, upper)
				if res.StatusCode != http.StatusNotFound {
					t.Errorf("%s %s as %s: got %d, want 404", rule.method, upper, roleNames[r], res.StatusCode)
				}
				if api := strings.HasPrefix(rule.pattern, "/api/"); api && res.StatusCode == http.StatusNotFound && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
					t.Errorf("%s %s as %s: not a JSON error (%s)", rule.method, upper, roleNames[r], res.Header.Get("Content-Type"))
				}
			}
		}
		if logs := e.logText(); strings.Contains(logs, strings.TrimSuffix(f.own["calendar"], ".ics")) || strings.Contains(logs, f.own["reset"]) {
			t.Errorf("the log holds a calendar or reset code sent as /CALENDAR/… or /RESET/…")
		}
	})
}

// TestBodyLimitsByCaller sends every write of the table with a body over
// the caller's limit (issue 16 item 5): anonymous callers may send 64 KB to
// any route, logged-in callers and tokens 1 MB to any route but the
// uploads (files, and transcriptions with a scanned page). Each is 413,
// refused before anything reads the body.
func TestBodyLimitsByCaller(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		f := newAccessFixture(t, e)
		uploads := map[string]bool{"/people/:id/credentials": true, "/hr/import": true, "/programs/import": true}
		for _, p := range []string{"/enrollments/:id/transcribe/observation", "/enrollments/:id/transcribe/selflog", "/enrollments/:id/transcribe/hours",
			"/enrollments/:id/transcribe/test", "/enrollments/:id/transcribe/signoff", "/api/v1/enrollments/:id/transcriptions",
			"/api/v1/enrollments/:id/transcriptions/self-logs", "/api/v1/enrollments/:id/transcriptions/hours",
			"/api/v1/enrollments/:id/transcriptions/tests", "/api/v1/enrollments/:id/paper-signoffs"} {
			uploads[p] = true
		}
		for _, rule := range accessRules {
			if rule.method == "GET" {
				continue
			}
			path := rule.target()
			for _, r := range []role{anon, appr, token} {
				size := (64 << 10) + 1
				if r != anon {
					if uploads[rule.pattern] {
						continue
					}
					size = (1 << 20) + 1
				}
				c := f.clients[r]
				if rule.fresh {
					c = f.newClient(t, r, roleEmails[r])
				}
				form := url.Values{"_csrf": {c.csrf}, "pad": {strings.Repeat("x", size)}}
				h := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Csrf-Token": c.csrf}
				if r == token {
					h["Authorization"] = "Bearer " + f.bearer
				}
				before := snapshot(t, e.db)
				res := c.do(rule.method, f.expand(path, f.own), strings.NewReader(form.Encode()), h)
				if res.StatusCode != http.StatusRequestEntityTooLarge {
					t.Errorf("%s %s as %s with %d bytes: %d, want 413", rule.method, rule.pattern, roleNames[r], size, res.StatusCode)
				}
				if after := snapshot(t, e.db); after != before {
					t.Errorf("%s %s as %s: a refused body changed the database", rule.method, rule.pattern, roleNames[r])
				}
			}
		}
	})
}

// idpPosts are the routes an identity provider's page posts to: they run
// before sessions and CSRF (a cross-site post carries neither) and act for
// nobody until the provider's signed answer is checked (app/sso/saml).
var idpPosts = map[string]bool{"/auth/saml/acs": true}

// TestCSRFTokenIsBoundToItsPerson sends every write of the table as the
// apprentice (their own session cookie) but with another caller's CSRF
// cookie and token, a pair the attacker got from Skillgate for themselves
// and planted in the victim's browser (issue 16 item 14): logged in as
// someone else, or anonymous. Every one is refused with 403 and changes
// nothing; the apprentice's own pair still works.
func TestCSRFTokenIsBoundToItsPerson(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		f := newAccessFixture(t, e)
		for _, attacker := range []role{grad, anon} {
			pair := f.clients[attacker]
			for _, rule := range accessRules {
				if rule.method == "GET" || idpPosts[rule.pattern] {
					continue
				}
				path := rule.target()
				victim := f.clients[appr]
				if rule.fresh {
					victim = f.newClient(t, appr, roleEmails[appr])
				}
				own := victim.cookies["sg_csrf"]
				victim.cookies["sg_csrf"], victim.csrf = pair.cookies["sg_csrf"], pair.csrf
				before := snapshot(t, e.db)
				res := f.send(victim, appr, rule.method, f.expand(path, f.own))
				victim.cookies["sg_csrf"] = own
				victim.get("/account") // the victim's own token again
				if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, "This form has expired") {
					t.Errorf("%s %s as the apprentice with %s's CSRF pair: %d, want 403", rule.method, rule.pattern, roleNames[attacker], res.StatusCode)
				}
				if after := snapshot(t, e.db); after != before {
					t.Errorf("%s %s with %s's CSRF pair changed the database", rule.method, rule.pattern, roleNames[attacker])
				}
			}
		}
		if r := f.clients[appr].post("/notifications/read", nil); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("the apprentice's own token: %d", r.StatusCode)
		}
	})
}

// TestIDOR sends every row whose path holds an id with the id of what the
// caller must not reach: staff of Riverside get Northgate's apprentice
// (another site), Jordan gets Sam's (another apprentice of his own site),
// Casey Sam's too. The answer is 404, as for an id that does not exist (or
// 403 when the caller's role may not use the route at all), never the
// data; and a refused write changes nothing in the database.
func TestIDOR(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		f := newAccessFixture(t, e)
		names := map[role]string{appr: "Sam Carter", grad: "Sam Carter"}
		for _, r := range []role{prec, dir, hr, admin, token} {
			names[r] = "Riley Nguyen"
		}
		idParams := regexp.MustCompile(`\{(person|enrollment|record|signoff|selflog)\}`)
		for _, rule := range append(accessRules, idorExtras...) {
			if !idParams.MatchString(rule.path) {
				continue
			}
			wants := strings.Fields(rule.want)
			for _, r := range []role{appr, grad, prec, dir, hr, token} {
				other := f.otherIDs[r]
				path := f.expand(rule.path, other)
				write := rule.method != "GET"
				var before string
				if write {
					before = snapshot(t, e.db)
				}
				res := f.send(f.clients[r], r, rule.method, path)
				// 404; a caller refused with 403 on its own ids may get 403.
				if got := fmt.Sprint(res.StatusCode); got != "404" && (got != "403" || wants[r] != "403") {
					t.Errorf("%s %s as %s with another's id: got %s, want 404", rule.method, path, roleNames[r], got)
				}
				if strings.Contains(res.body, names[r]) {
					t.Errorf("%s %s as %s shows %s", rule.method, path, roleNames[r], names[r])
				}
				if write {
					if after := snapshot(t, e.db); after != before {
						t.Errorf("%s %s as %s with another's id changed the database", rule.method, path, roleNames[r])
					}
				}
			}
		}
		// Lists scoped by site: another site's people are not listed, and
		// asking for another site is a 404 (reports: 400, as for an unknown
		// site, with the message).
		for _, r := range []role{dir, hr, token} {
			c := f.clients[r]
			paths := []string{"/api/v1/people", "/api/v1/people?q=riley", "/reports/certifications"}
			if r != dir {
				paths = append(paths, "/hr")
			}
			for _, path := range paths {
				res := f.send(c, r, "GET", path)
				if res.StatusCode != 200 || strings.Contains(res.body, "Riley Nguyen") {
					t.Errorf("%s as %s: %d, lists another site's people: %v", path, roleNames[r], res.StatusCode, strings.Contains(res.body, "Riley Nguyen"))
				}
			}
			for _, path := range []string{"/api/v1/people?site=" + f.site["other"], "/api/v1/clearances?site=" + f.site["other"], "/sites/" + f.site["other"] + "/records.zip"} {
				if res := f.send(c, r, "GET", path); res.StatusCode != 404 || strings.Contains(res.body, "Riley Nguyen") {
					t.Errorf("%s as %s: %d, want 404", path, roleNames[r], res.StatusCode)
				}
			}
			for _, path := range []string{"/reports/clearances.xlsx?site=" + f.site["other"], "/reports/signoffs?site=" + f.site["other"]} {
				if res := f.send(c, r, "GET", path); res.StatusCode != 400 || !strings.Contains(res.body, "that you may see") || strings.Contains(res.body, "Riley Nguyen") {
					t.Errorf("%s as %s: %d, want 400 and a message", path, roleNames[r], res.StatusCode)
				}
			}
		}
	})
}

// idorExtras are requests outside the route table for the IDOR test: a
// visible person's URL with another person's record, and a visible
// enrollment's URL with another enrollment's sign-off.
var idorExtras = []accessRule{
	{"GET", "/people/:id/credentials/:rid/file", "/people/{own_person}/credentials/{record}/file", "L 200 404 200 200 200 200 200", false},
	{"POST", "/people/:id/credentials/:rid/verify", "/people/{own_person}/credentials/{record}/verify", "L 403 403 403 403 400 400 400", false},
	{"POST", "/enrollments/:id/signoffs/:so/revoke", "/enrollments/{own_enrollment}/signoffs/{signoff}/revoke", "L 403 403 403 400 403 403 403", false},
	{"GET", "/enrollments/:id/signoffs/:so/certificate.pdf", "/enrollments/{own_enrollment}/signoffs/{signoff}/certificate.pdf", "L 200 404 200 200 200 200 200", false},
	{"POST", "/api/v1/enrollments/:id/signoffs/:so/revocations", "/api/v1/enrollments/{own_enrollment}/signoffs/{signoff}/revocations", "401 403 403 403 400 403 403 403", false},
}

func newRecordWithFile(person string, today curriculum.Date, fileID string) credentials.NewRecord {
	return credentials.NewRecord{PersonID: person, TypeCode: "BLS", Number: "ACCESS-1", IssuedOn: today.AddDays(-10),
		ExpiresOn: today.AddMonths(20), FileID: fileID}
}

// snapshot is the content of every table a refused request must leave
// alone: all but sessions (last seen), API tokens (last used), the
// key-value store (CSRF tokens, rate-limit counters) and the audit trail
// (which may record the refusal itself).
func snapshot(t *testing.T, d *db.DB) string {
	t.Helper()
	ctx := context.Background()
	var tables []string
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	if d.Dialect().Name().String() == "pg" {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
	}
	if err := d.NewRaw(q).Scan(ctx, &tables); err != nil {
		t.Fatal(err)
	}
	sort.Strings(tables)
	var b strings.Builder
	for _, name := range tables {
		if slices.Contains([]string{"sessions", "api_tokens", "kv_store"}, name) || strings.Contains(name, "audit") {
			continue
		}
		var rows []map[string]any
		if err := d.NewRaw("SELECT * FROM "+name).Scan(ctx, &rows); err != nil {
			t.Fatalf("snapshot %s: %v", name, err)
		}
		lines := make([]string, len(rows))
		for i, row := range rows {
			lines[i] = fmt.Sprint(row)
		}
		sort.Strings(lines)
		fmt.Fprintf(&b, "%s\n%s\n", name, strings.Join(lines, "\n"))
	}
	return b.String()
}
