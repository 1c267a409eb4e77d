package server

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/access"
	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// Who may do what: the policies and the object rule are app/access (pure
// functions of the person and the object). Here they are applied to
// requests: every route names a policy (server.go), and a route that takes
// an id loads the object and answers 404 for what the caller may not see.
// The short names keep the route list and the handlers readable.
type policy = access.Policy

var (
	public           = access.Public
	loggedIn         = access.LoggedIn
	admins           = access.Admins
	hrStaff          = access.HRStaff
	directors        = access.Directors
	transcribers     = access.Transcribers
	wageApprovers    = access.WageApprovers
	recorders        = access.Recorders
	designers        = access.Designers
	directoryReaders = access.DirectoryReaders
	peopleReaders    = access.PeopleReaders

	canSeePerson     = access.CanSeePerson
	canSeeEnrollment = access.CanSeeEnrollment
	canSeeSite       = access.CanSeeSite
	canSeeScans      = access.CanSeeScans
	visibleSites     = access.VisibleSites
	canDesign        = access.CanDesign
)

// guard is the middleware that enforces p: anonymous callers go to the
// login page (API: 401), callers without the role get 403.
func (s *Server) guard(p policy) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if p.Public {
			return c.Next()
		}
		u := currentUser(c)
		if u == nil {
			return s.requireLogin(c)
		}
		if !p.Allows(u) {
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

func (s *Server) patch(path string, p policy, h ...fiber.Handler) {
	s.handle(fiber.MethodPatch, path, p, h...)
}

func (s *Server) put(path string, p policy, h ...fiber.Handler) {
	s.handle(fiber.MethodPut, path, p, h...)
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
	return s.visibleResultKnownAt(c, personID, asOf, time.Time{})
}

// visibleResultKnownAt is visibleResult answering as known at knownAt
// (zero: now; see clearance.Service.ForPeopleKnownAt).
func (s *Server) visibleResultKnownAt(c *fiber.Ctx, personID string, asOf curriculum.Date, knownAt time.Time) (*clearance.Result, error) {
	m, err := s.clearance.ForPeopleKnownAt(c.UserContext(), []string{personID}, asOf, knownAt)
	var res *clearance.Result
	if err == nil {
		if res = m[personID]; res == nil {
			err = clearance.ErrNotEnrolled
		}
	}
	if errors.Is(err, clearance.ErrNotEnrolled) || err == nil && !canSeeEnrollment(currentUser(c), res.Enrollment) {
		return nil, errNotEnrolled // one answer for both
	}
	if err != nil {
		return nil, err
	}
	return res, nil
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
