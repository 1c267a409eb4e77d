package server

import (
	"errors"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// Who may do what: the one rule, in two layers.
//
//  1. Every route names a policy (server.go): who may call it at all, by
//     role. The policies are the values below; nothing else in the server
//     checks roles to let a request in.
//  2. A route that takes an id loads the object and asks the object rule
//     (canSeePerson, canSeeEnrollment, canSeeSite) whether the caller may
//     see it. When the answer is no the handler answers 404, exactly as for
//     an id that does not exist, so ids reveal nothing.
//
// The object rule, by role (a person may hold several roles; any one that
// allows is enough):
//
//   - everyone: themselves, their own enrollments and records;
//   - admin: every person, site and enrollment;
//   - HR and program director: the people of the sites they belong to,
//     and the enrollments at those sites;
//   - preceptor: the apprentices of their sites and the apprentices
//     assigned to them anywhere, and those apprentices' enrollments; not
//     other staff;
//   - apprentice (and graduate MA, the same role): only themselves.
//
// Programs (curricula) belong to the whole organisation: every logged-in
// person reads published versions; designers (directors, admins) also see
// and edit drafts. The audit trail is organisation-wide for HR and admins
// (an auditor follows a change across sites). API tokens act as the person who made them, with the
// same roles and sites.
type policy struct {
	// name is how the policy reads in the route list.
	name string
	// public: no login needed (the route's secret, if any, is in its URL).
	public bool
	// roles: any one of them lets the request in; none means any
	// logged-in person (the object rule then decides).
	roles []accounts.Role
}

var (
	// public routes: login, password links, calendar feeds by secret URL,
	// the OpenAPI document.
	public = policy{name: "public", public: true}
	// loggedIn: any logged-in person; what they see is scoped by the object
	// rule (their own records, or the people they may see).
	loggedIn = policy{name: "logged in"}
	// admins manage accounts.
	admins = policy{name: "admin", roles: []accounts.Role{accounts.RoleAdmin}}
	// hrStaff manage and verify credentials and import people.
	hrStaff = policy{name: "HR or admin", roles: []accounts.Role{accounts.RoleHR, accounts.RoleAdmin}}
	// directors enroll, move, change status and revoke.
	directors = policy{name: "director", roles: []accounts.Role{accounts.RoleDirector}}
	// recorders observe, test, sign off and review.
	recorders = policy{name: "preceptor or director", roles: []accounts.Role{accounts.RolePreceptor, accounts.RoleDirector}}
	// designers write curricula.
	designers = policy{name: "director or admin", roles: []accounts.Role{accounts.RoleDirector, accounts.RoleAdmin}}
	// peopleReaders list people (scoped to their sites).
	peopleReaders = policy{name: "admin, HR or director", roles: []accounts.Role{accounts.RoleAdmin, accounts.RoleHR, accounts.RoleDirector}}
	// directoryReaders find people in the directory: staff and admins,
	// each scoped by the object rule (directoryScope, people.go).
	directoryReaders = policy{name: "staff or admin", roles: []accounts.Role{accounts.RoleAdmin, accounts.RoleHR, accounts.RoleDirector, accounts.RolePreceptor}}
)

// allows says whether the policy lets u call the route (nil: anonymous).
func (p policy) allows(u *accounts.Person) bool {
	switch {
	case p.public:
		return true
	case u == nil:
		return false
	case len(p.roles) == 0:
		return true
	}
	return slices.ContainsFunc(p.roles, u.Has)
}

// guard is the middleware that enforces p: anonymous callers go to the
// login page (API: 401), callers without the role get 403.
func (s *Server) guard(p policy) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if p.public {
			return c.Next()
		}
		u := currentUser(c)
		if u == nil {
			return s.requireLogin(c)
		}
		if !p.allows(u) {
			return errForbidden
		}
		return c.Next()
	}
}

// handle registers a route under its policy; its body may be a form or
// JSON of formBody at most (limitBody, bodylimit.go).
func (s *Server) handle(method, path string, p policy, h ...fiber.Handler) {
	s.app.Add(method, path, append([]fiber.Handler{s.guard(p)}, h...)...)
}

// upload registers a POST route that takes a file: its body may be limit
// at most (limitBody, bodylimit.go).
func (s *Server) upload(path string, p policy, limit bodyLimit, h ...fiber.Handler) {
	s.uploads = append(s.uploads, uploadRoute{method: fiber.MethodPost, segments: strings.Split(strings.Trim(path, "/"), "/"), limit: limit})
	s.app.Add(fiber.MethodPost, path, append([]fiber.Handler{s.guard(p)}, h...)...)
}

func (s *Server) get(path string, p policy, h ...fiber.Handler) {
	s.handle(fiber.MethodGet, path, p, h...)
	s.handle(fiber.MethodHead, path, p, h...)
}

func (s *Server) post(path string, p policy, h ...fiber.Handler) {
	s.handle(fiber.MethodPost, path, p, h...)
}

func (s *Server) delete(path string, p policy, h ...fiber.Handler) {
	s.handle(fiber.MethodDelete, path, p, h...)
}

// staff are the roles that see people by site.
var staff = []accounts.Role{accounts.RoleHR, accounts.RoleDirector, accounts.RolePreceptor}

// canSeePerson is the object rule for people, from the person alone (see
// the package comment above). A preceptor's assigned apprentices at other
// sites need the enrollments: Server.maySeePerson adds them.
func canSeePerson(u, target *accounts.Person) bool {
	switch {
	case u == nil || target == nil:
		return false
	case u.ID == target.ID, u.Has(accounts.RoleAdmin):
		return true
	case u.HasAny(accounts.RoleHR, accounts.RoleDirector) && sharesSite(u, target.SiteIDs):
		return true
	case u.Has(accounts.RolePreceptor) && target.Has(accounts.RoleApprentice) && sharesSite(u, target.SiteIDs):
		return true
	}
	return false
}

// canSeeEnrollment is the object rule for an enrollment (and everything
// recorded on it): the apprentice, their assigned preceptors, admins, and
// staff of the enrollment's site.
func canSeeEnrollment(u *accounts.Person, e *assessments.Enrollment) bool {
	switch {
	case u == nil || e == nil:
		return false
	case u.ID == e.ApprenticeID, u.Has(accounts.RoleAdmin):
		return true
	case u.Has(accounts.RolePreceptor) && slices.Contains(e.PreceptorIDs, u.ID):
		return true
	}
	return u.HasAny(staff...) && slices.Contains(u.SiteIDs, e.SiteID)
}

// Person-level routes (/people/{id}/…, ?person=) pick an enrollment for
// the person (the one in force on a day, or all of them): a person may
// belong to several sites, and staff of one of them must not reach the
// enrollment at another through the person. These apply canSeeEnrollment
// to what was picked; an enrollment the caller may not see reads as no
// enrollment at all, exactly as an id one may not see reads as none.

// visibleResult is clearance.For for a person the caller may see:
// errNotEnrolled (a clearance.ErrNotEnrolled) when no enrollment is in
// force or it is not one the caller may see.
func (s *Server) visibleResult(c *fiber.Ctx, personID string, asOf curriculum.Date) (*clearance.Result, error) {
	res, err := s.clearance.For(c.UserContext(), personID, asOf)
	if errors.Is(err, clearance.ErrNotEnrolled) || err == nil && !canSeeEnrollment(currentUser(c), res.Enrollment) {
		return nil, errNotEnrolled // one answer for both
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// visibleEnrollments keeps the enrollments the caller may see.
func visibleEnrollments(u *accounts.Person, ens []assessments.Enrollment) []assessments.Enrollment {
	return slices.DeleteFunc(ens, func(e assessments.Enrollment) bool { return !canSeeEnrollment(u, &e) })
}

// canSeeSite says whether a user may see a site's people at all.
func canSeeSite(u *accounts.Person, siteID string) bool {
	if u == nil {
		return false
	}
	if u.Has(accounts.RoleAdmin) {
		return true
	}
	return u.HasAny(staff...) && slices.Contains(u.SiteIDs, siteID)
}

// visibleSites returns the sites whose people u may list: nil for an admin
// (every site), else u's own sites when u is staff, else none.
func visibleSites(u *accounts.Person) []string {
	if u.Has(accounts.RoleAdmin) {
		return nil
	}
	if u.HasAny(staff...) {
		return slices.Clone(u.SiteIDs)
	}
	return []string{}
}

func sharesSite(u *accounts.Person, sites []string) bool {
	for _, s := range sites {
		if slices.Contains(u.SiteIDs, s) {
			return true
		}
	}
	return false
}

// maySeePerson is canSeePerson plus the preceptor's assigned apprentices
// (at any site), which only the enrollments know.
func (s *Server) maySeePerson(c *fiber.Ctx, u, target *accounts.Person) (bool, error) {
	if canSeePerson(u, target) {
		return true, nil
	}
	if u == nil || !u.Has(accounts.RolePreceptor) || !target.Has(accounts.RoleApprentice) {
		return false, nil
	}
	ens, err := s.evidence.Store.Enrollments(c.UserContext(), evidence.EnrollmentFilter{ApprenticeIDs: []string{target.ID}, PreceptorID: u.ID})
	if err != nil {
		return false, err
	}
	return len(ens) > 0, nil
}

// errNoPerson is the answer for a person id the caller may not see.
var errNoPerson = errkind.New(errkind.NotFound, "There is no person with this id that you may see.")

// visiblePerson loads a person the current user may see; anything else,
// including an unknown id, is a 404.
func (s *Server) visiblePerson(c *fiber.Ctx, id string) (*accounts.Person, error) {
	var p *accounts.Person
	var err error
	if pre, ok := c.Locals(localSubject).(*accounts.Person); ok && pre.ID == id {
		p = pre // read with the API token, in this request
	} else {
		p, err = s.accounts.ByID(c.UserContext(), id)
	}
	if errors.Is(err, db.ErrNotFound) {
		return nil, errNoPerson
	}
	if err != nil {
		return nil, err
	}
	ok, err := s.maySeePerson(c, currentUser(c), p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNoPerson
	}
	return p, nil
}
