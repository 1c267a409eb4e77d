package server

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/curriculum"

	"github.com/skillgate/skillgate/errkind"
)

// asOfParam reads ?as_of=YYYY-MM-DD, defaulting to today in the
// organisation's zone.
func (s *Server) asOfParam(c *fiber.Ctx) (curriculum.Date, error) {
	raw := strings.TrimSpace(c.Query("as_of"))
	if raw == "" {
		return curriculum.DateOf(s.now(), s.cfg.Location()), nil
	}
	d, err := curriculum.ParseDate(raw)
	if err != nil {
		return curriculum.Date{}, badInput(map[string]string{"as_of": "Give the date as YYYY-MM-DD (for example 2026-03-14): " + err.Error()})
	}
	return d, nil
}

// knownAtParam reads ?known_at, the instant whose knowledge answers the
// question: RFC 3339 (2026-03-14T17:00:00Z), or a local date and time in
// the organisation's zone as a datetime-local field sends it
// (2026-03-14T12:00). Absent, or not before now, it is zero: everything on
// file now.
func (s *Server) knownAtParam(c *fiber.Ctx) (time.Time, error) {
	raw := strings.TrimSpace(c.Query("known_at"))
	if raw == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		t, err = time.ParseInLocation("2006-01-02T15:04", raw, s.cfg.Location())
	}
	if err != nil {
		return time.Time{}, badInput(map[string]string{"known_at": "Give the moment as 2026-03-14T17:00:00Z (RFC 3339) or 2026-03-14T12:00 (the organisation's time)."})
	}
	if !t.Before(s.now()) {
		return time.Time{}, nil
	}
	return t.UTC(), nil
}

// errNotEnrolled answers for a person without an enrollment in force, and
// for one whose enrollment in force is at a site the caller may not see
// (access.go): the two read the same, so the answer reveals nothing.
var errNotEnrolled = clearance.ErrNotEnrolled

type personDecisionsJSON struct {
	PersonID  string                    `json:"person_id"`
	Name      string                    `json:"name"`
	AsOf      curriculum.Date           `json:"as_of"`
	KnownAt   *time.Time                `json:"known_at,omitempty"`
	Program   string                    `json:"program"`
	Version   int                       `json:"version"`
	Decisions []curriculum.DecisionJSON `json:"decisions"`
}

// apiClearances answers "may this person do this task on this day":
// ?person=ID[&task=CODE][&as_of=YYYY-MM-DD][&known_at=INSTANT], or a site
// matrix with ?site=ID.
func (s *Server) apiClearances(c *fiber.Ctx) error {
	asOf, err := s.asOfParam(c)
	if err != nil {
		return err
	}
	knownAt, err := s.knownAtParam(c)
	if err != nil {
		return err
	}
	person, site := c.Query("person"), c.Query("site")
	switch {
	case person != "" && site != "":
		return badInput(map[string]string{"site": "Ask for one person or one site, not both."})
	case site != "":
		return s.apiSiteMatrix(c, site, asOf, knownAt)
	case person == "":
		return badInput(map[string]string{"person": "Give the person's id (?person=…) or a site (?site=…)."})
	}
	p, err := s.visiblePerson(c, person)
	if err != nil {
		return err
	}
	// Decide serves from the per-process cache when p's decision stamp,
	// read just now with p, shows nothing was written since (never for a
	// known_at question).
	res, err := s.clearance.DecideKnownAt(c.UserContext(), p, asOf, knownAt)
	if errors.Is(err, clearance.ErrNotEnrolled) || err == nil && !canSeeEnrollment(currentUser(c), res.Enrollment) {
		return errNotEnrolled
	}
	if err != nil {
		return err
	}
	if task := c.Query("task"); task != "" {
		d, ok, err := res.Decision(task)
		if err != nil {
			return err
		}
		if !ok {
			return errkind.New(errkind.NotFound, "The person's program has no task "+task+".")
		}
		return c.JSON(d.JSON())
	}
	ds, err := res.Decisions()
	if err != nil {
		return err
	}
	v := res.Rules.Version()
	return c.JSON(personDecisionsJSON{PersonID: p.ID, Name: p.Name, AsOf: asOf, KnownAt: instant(knownAt), Program: v.Program.Code, Version: v.Number, Decisions: curriculum.DecisionsJSON(ds)})
}

// instant is t for JSON: nil when zero.
func instant(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

type matrixJSON struct {
	SiteID  string            `json:"site_id"`
	AsOf    curriculum.Date   `json:"as_of"`
	KnownAt *time.Time        `json:"known_at,omitempty"`
	People  []matrixPersonRow `json:"people"`
}

type matrixPersonRow struct {
	PersonID  string                    `json:"person_id"`
	Name      string                    `json:"name"`
	Decisions []curriculum.DecisionJSON `json:"decisions"`
}

// siteMatrix decides every enrolled person of a site (a fixed number of
// queries, however many people), from the decision cache where nothing
// was written since.
func (s *Server) siteMatrix(c *fiber.Ctx, siteID string, asOf curriculum.Date, knownAt time.Time) ([]*accounts.Person, map[string]*clearance.Decided, error) {
	if !canSeeSite(currentUser(c), siteID) {
		return nil, nil, errkind.New(errkind.NotFound, "There is no site with this id that you may see.")
	}
	people, err := s.accounts.SelectAll(c.UserContext(), accounts.Selection{Role: accounts.RoleApprentice, SiteIDs: []string{siteID}})
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.ID
	}
	res, err := s.clearance.DecideManyKnownAt(c.UserContext(), ids, asOf, knownAt, true)
	return people, res, err
}

func (s *Server) apiSiteMatrix(c *fiber.Ctx, siteID string, asOf curriculum.Date, knownAt time.Time) error {
	people, res, err := s.siteMatrix(c, siteID, asOf, knownAt)
	if err != nil {
		return err
	}
	out := matrixJSON{SiteID: siteID, AsOf: asOf, KnownAt: instant(knownAt), People: []matrixPersonRow{}}
	u := currentUser(c)
	for _, p := range people {
		// A person of this site enrolled at another is not on its matrix.
		if r, ok := res[p.ID]; ok && canSeeEnrollment(u, r.Enrollment) {
			ds, err := r.Decisions()
			if err != nil {
				return err
			}
			out.People = append(out.People, matrixPersonRow{PersonID: p.ID, Name: p.Name, Decisions: curriculum.DecisionsJSON(ds)})
		}
	}
	return c.JSON(out)
}

type clearanceView struct {
	Person  *accounts.Person
	AsOf    curriculum.Date
	IsToday bool
	// KnownAt is the instant the answer is as known at (zero: now), and
	// KnownAtField its value for the datetime-local field, in the
	// organisation's zone.
	KnownAt      time.Time
	KnownAtField string
	Result       *clearance.Result
	Rows         []clearanceRow
	clearance.Tally
	Enrolled bool
	URL      string
	// Newer is a newer published version a director may move the person to.
	Newer *programs.VersionInfo
	// Enroll is the enrollment form, for directors, when not enrolled.
	Enroll *enrollFormView
	// Mine is the apprentice's own view (cards grouped by how far each
	// task is, shared credential blockers once at the top), filtered by
	// Q, the jump-to-task search.
	Mine *reports.Apprentice
	Q    string
}

// CountMatches counts a group's tasks that match the search.
func (v clearanceView) CountMatches(g reports.TaskGroup) int {
	n := 0
	for _, t := range g.Tasks {
		if v.Matches(t) {
			n++
		}
	}
	return n
}

// CountAll counts the tasks that match the search, in every group.
func (v clearanceView) CountAll() int {
	n := 0
	for _, g := range v.Mine.Tasks {
		n += v.CountMatches(g)
	}
	return n
}

// Matches reports whether a task matches the search (title or code).
func (v clearanceView) Matches(t reports.TaskItem) bool {
	q := strings.ToLower(strings.TrimSpace(v.Q))
	return q == "" || strings.Contains(strings.ToLower(t.Title), q) || strings.Contains(strings.ToLower(t.Code), q)
}

type clearanceRow struct {
	Task     *curriculum.Task
	Decision curriculum.Decision
	Class    string
}

func statusClass(s curriculum.Status) string {
	switch s {
	case curriculum.Cleared:
		return "status-ok"
	case curriculum.DirectSupervision, curriculum.IndirectSupervision:
		return "status-warn"
	}
	return "status-bad"
}

// clearancePage shows what a person may do on a day, and why.
func (s *Server) clearancePage(c *fiber.Ctx) error {
	id := c.Params("id")
	if id == "" {
		id = currentUser(c).ID
	}
	p, err := s.visiblePerson(c, id)
	if err != nil {
		return err
	}
	asOf, err := s.asOfParam(c)
	if err != nil {
		if ke := errkind.As(err); ke != nil && ke.Fields["as_of"] != "" {
			return errkind.New(ke.Kind, ke.Fields["as_of"])
		}
		return err
	}
	knownAt, err := s.knownAtParam(c)
	if err != nil {
		if ke := errkind.As(err); ke != nil && ke.Fields["known_at"] != "" {
			return errkind.New(ke.Kind, ke.Fields["known_at"])
		}
		return err
	}
	v := clearanceView{Person: p, AsOf: asOf, IsToday: asOf == curriculum.DateOf(s.now(), s.cfg.Location()),
		KnownAt: knownAt, URL: "/people/" + url.PathEscape(p.ID) + "/clearance"}
	if !knownAt.IsZero() {
		v.KnownAtField = knownAt.In(s.cfg.Location()).Format("2006-01-02T15:04")
	}
	res, err := s.visibleResultKnownAt(c, p.ID, asOf, knownAt)
	switch {
	case errors.Is(err, clearance.ErrNotEnrolled):
		if directors.Allows(currentUser(c)) && p.Has(accounts.RoleApprentice) {
			if v.Enroll, err = s.enrollForm(c, p); err != nil {
				return err
			}
		}
	case err != nil:
		return err
	default:
		v.Enrolled, v.Result = true, res
		for _, d := range res.Decisions {
			v.Rows = append(v.Rows, clearanceRow{Task: res.Task(d.Task), Decision: d, Class: statusClass(d.Status)})
		}
		v.Tally = clearance.Counts(res.Decisions)
		if p.ID == currentUser(c).ID {
			v.Mine, v.Q = s.apprenticeView(res), c.Query("q")
		}
		if directors.Allows(currentUser(c)) && v.IsToday && knownAt.IsZero() {
			if v.Newer, err = s.newerVersion(c, res); err != nil {
				return err
			}
		}
	}
	return s.render(c, fiber.StatusOK, "clearance", Page{Title: "Clearances: " + p.Name, Nav: "clearance", Data: v})
}
