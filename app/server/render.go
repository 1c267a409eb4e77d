package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/web"
)

// Page is what every template receives.
type Page struct {
	Title   string
	Nav     string // which main navigation entry is current
	User    *accounts.Person
	CSRF    string
	Demo    bool
	Flashes []Flash
	// Errors maps form field names to messages shown next to the fields.
	Errors map[string]string
	// Form is the form that came back with a mistake (formstate.go); render
	// fills it.
	Form *FormState
	// Unread is the signed-in person's unread notifications, shown on the
	// navigation's Notifications entry.
	Unread int
	// Printed is when the page was made, in the organisation's zone: the
	// print stylesheet shows it with the person's name (print-head).
	Printed string
	Data    any
}

// Flash is a one-line message at the top of a page.
type Flash struct {
	Kind string // ok, error or info
	Text string
}

// views holds one parsed template set per page, each with the layout and
// partials, plus the content-hashed static assets.
type views struct {
	pages  map[string]*template.Template
	assets map[string]asset // by file name
}

type asset struct {
	body  []byte
	hash  string
	ctype string
}

// loadViews parses the templates; loc is the organisation's zone, in which
// the date and datetime helpers show every instant (a person reads days
// and times there, never in UTC).
func loadViews(loc *time.Location) (*views, error) {
	v := &views{pages: map[string]*template.Template{}, assets: map[string]asset{}}
	err := fs.WalkDir(web.Static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(web.Static, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = http.DetectContentType(b)
		}
		v.assets[strings.TrimPrefix(p, "static/")] = asset{body: b, hash: hex.EncodeToString(sum[:6]), ctype: ct}
		return nil
	})
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{
		"asset": func(name string) (string, error) {
			a, ok := v.assets[name]
			if !ok {
				return "", fmt.Errorf("no static asset %q", name)
			}
			return "/static/" + name + "?v=" + a.hash, nil
		},
		"field": newField,
		"add":   func(a, b int) int { return a + b },
		"deref": func(t *time.Time) time.Time {
			if t == nil {
				return time.Time{}
			}
			return *t
		},
		"recordArgs": func(r recordView, v progressView) recordArgs {
			return recordArgs{Record: r, CanRecord: v.CanRecord, URL: v.URL}
		},
		"paperMark": func(at time.Time, note, scanURL string) struct {
			At            time.Time
			Note, ScanURL string
		} {
			return struct {
				At            time.Time
				Note, ScanURL string
			}{at, note, scanURL}
		},
		"scanArgs": func(p Page, action, prefix string) struct {
			Page           Page
			Action, Prefix string
		} {
			return struct {
				Page           Page
				Action, Prefix string
			}{p, action, prefix}
		},
		"reauthArgs": func(p Page, action string, m SignerMethods, button string) reauthArgs {
			return reauthArgs{p, action, m, button}
		},
		"printHead": func(name, printed string) struct{ Name, Printed string } {
			return struct{ Name, Printed string }{name, printed}
		},
		"hasVariant": func(r curriculum.PerformanceRequirement) bool { return r.Variant != "" },
		"trimObserve": func(path string) string {
			if i := strings.Index(path, "/observe/"); i > 0 {
				return path[:i]
			}
			return path
		},
		"addItem": func(v versionView, kind, label string, p Page) addItemView {
			return addItemView{URL: v.URL, Kind: kind, Label: label, Page: p, Lock: v.Version.LockVersion, Domains: domainNames}
		},
		"demographicChoice": func(p Page, action, name, label string, choices []accounts.Choice, value string) demographicChoice {
			return demographicChoice{Page: p, Action: action, Name: name, Label: label, Choices: choices, Value: value}
		},
		"date":     func(t time.Time) string { return t.In(loc).Format("Jan 2, 2006") },
		"datetime": func(t time.Time) string { return t.In(loc).Format("Jan 2, 2006 15:04 MST") },
	}
	pages, err := fs.Glob(web.Templates, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(web.Templates, "templates/layout.html", "templates/partials/*.html", p)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		v.pages[name] = t
	}
	return v, nil
}

// fieldView is what the "field" partial renders.
type fieldView struct {
	Name, Label, Type, Value, Error, Autocomplete, Hint string
	Required                                            bool
}

func newField(name, label, typ, value string, errs map[string]string, autocomplete, hint string) fieldView {
	return fieldView{Name: name, Label: label, Type: typ, Value: value, Error: errs[name], Autocomplete: autocomplete, Hint: hint}
}

// render writes page name with status.
func (s *Server) render(c *fiber.Ctx, status int, name string, p Page) error {
	t, ok := s.views.pages[name]
	if !ok {
		return fmt.Errorf("render: no template %q", name)
	}
	if p.User == nil {
		p.User = currentUser(c)
	}
	p.CSRF = csrfToken(c)
	if p.User != nil && name != "error" {
		n, err := s.reminders.Unread(c.UserContext(), p.User.ID)
		if err != nil {
			return err
		}
		p.Unread = n
	}
	p.Demo = s.cfg.Demo
	p.Printed = s.now().In(s.cfg.Location()).Format("Jan 2, 2006 15:04 MST")
	if f := formStateOf(c); f != nil {
		// A form route's page, shown again for its form (s.form).
		status, p.Form = f.Status, f
		if len(p.Errors) == 0 {
			p.Errors = f.Errors
		}
	} else if c.Method() == fiber.MethodPost && status >= 400 && p.Form == nil && name != "error" {
		// A handler that renders its own form with a mistake.
		p.Form = newFormState(c, status, "", p.Errors)
	}
	if p.Errors == nil {
		p.Errors = map[string]string{}
	}
	if msg := flashFor(c.Query("msg")); msg.Text != "" {
		p.Flashes = append(p.Flashes, msg)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Send(buf.Bytes())
}

// flashes are fixed messages chosen by a code in the redirect URL, so a
// link cannot put arbitrary text on a page.
var flashes = map[string]Flash{
	"password-changed":         {"ok", "Your password has been changed. Other sessions were logged out."},
	"password-set":             {"ok", "Your password is set. Log in with it now."},
	"must-change":              {"info", "Please choose a new password before you continue."},
	"passkey-added":            {"ok", "The passkey was added. You can log in and sign with it."},
	"passkey-removed":          {"ok", "The passkey was removed."},
	"session-ended":            {"ok", "The session was ended: that browser is logged out."},
	"must-enrol":               {"info", "Your role needs a second factor. Set up an authenticator app to continue."},
	"factor-removed":           {"info", "Your authenticator app was removed by two administrators or HR staff. Set up a new one below; tell your administrator if you did not ask for this."},
	"approval-code-sent":       {"ok", "A code was sent to your email address. Type it below."},
	"factor-approved":          {"ok", "The authenticator app is confirmed and now counts as a second factor."},
	"factor-removal-started":   {"ok", "Removal started. A second administrator or HR must confirm it; until then the authenticator app stays."},
	"factor-removed-by-you":    {"ok", "The authenticator app was removed; the person was told and sets up a new one at next login."},
	"token-revoked":            {"ok", "The token has been revoked."},
	"scim-token-revoked":       {"ok", "The SCIM token has been revoked: the identity provider can no longer provision with it."},
	"person-created":           {"ok", "The person has been added. Give them the password link below."},
	"person-disabled":          {"ok", "The account is disabled and its sessions have ended."},
	"person-enabled":           {"ok", "The account is enabled again."},
	"person-unlocked":          {"ok", "Login is unlocked."},
	"webhook-saved":            {"ok", "The webhook has been saved."},
	"webhook-deleted":          {"ok", "The webhook has been deleted; nothing more is sent to it."},
	"webhook-resent":           {"ok", "The delivery will be sent again in a moment, with the same webhook-id."},
	"sso-unlinked":             {"ok", "The link to the identity provider was removed. The person's next sign-in there links or creates an account as a first one does."},
	"sso-saved":                {"ok", "The single sign-on mapping is saved; it applies from the next sign-in and SCIM change."},
	"hire-date-changed":        {"ok", "The hire date has been changed; credential grace periods count from it on every day."},
	"demographics-saved":       {"ok", "The demographic fields are saved."},
	"wage-step-approved":       {"ok", "The wage step has been approved and recorded."},
	"logged-out":               {"ok", "You have logged out."},
	"session-expired":          {"info", "Your session expired. Please log in again."},
	"reset-link-issued":        {"ok", "A new password link has been created; earlier links no longer work."},
	"draft-imported":           {"ok", "The file was imported as a draft. Review it, then publish."},
	"draft-started":            {"ok", "A new draft was started from the published version. Published versions stay as they are."},
	"draft-saved":              {"ok", "Saved to the draft."},
	"draft-discarded":          {"ok", "The draft was discarded."},
	"moved":                    {"ok", "Moved to the new version. Evidence that still applies carried over."},
	"observation-saved":        {"ok", "Observation saved: successful."},
	"observation-unsuccessful": {"info", "Observation saved: unsuccessful, because a critical step was not met. It is on record but does not count."},
	"performance-logged":       {"ok", "Sent for verification. It counts once your preceptor verifies it."},
	"hours-logged":             {"ok", "Hours logged. They count once approved."},
	"reviewed":                 {"ok", "Done."},
	"revoked":                  {"ok", "The sign-off is revoked from the date given; it stays on record."},
	"status-changed":           {"ok", "The enrollment's status is changed."},
	"completed":                {"ok", "Completed. The completion is signed and dated; its certificate can be printed from this page."},
	"calendar-revoked":         {"ok", "The calendar link is stopped."},
	"credential-added":         {"ok", "Credential added."},
	"credential-verified":      {"ok", "Marked verified."},
	"enrolled":                 {"ok", "Enrolled."},
	"test-recorded":            {"ok", "Test result recorded."},
	"transcribed":              {"ok", "Transcribed from paper. It is on record, marked as transcribed, and counts from the day on the paper."},
	"signed":                   {"ok", "Signed. The signature is recorded and bound to the evidence."},
	"version-published":        {"ok", "Published. Apprentices stay on their current version until they are moved to this one."},
	"cohort-moved":             {"ok", "Moved. Everyone listed is on this version now; their records that still apply carried over."},
}

func flashFor(code string) Flash { return flashes[code] }

func (s *Server) static() {
	s.app.Get("/static/:name", func(c *fiber.Ctx) error {
		a, ok := s.views.assets[c.Params("name")]
		if !ok {
			return fiber.ErrNotFound
		}
		c.Set(fiber.HeaderContentType, a.ctype)
		if c.Query("v") == a.hash {
			// The URL changes whenever the content does.
			c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
		} else {
			c.Set(fiber.HeaderCacheControl, "public, max-age=300")
		}
		return c.Send(a.body)
	})
}

// addItemView is what the "add-item" partial renders.
type addItemView struct {
	URL, Kind, Label string
	Page             Page // for the CSRF token and the form's state
	Lock             int
	Domains          []string
}
