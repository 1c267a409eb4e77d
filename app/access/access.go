// Package access is Skillgate's one rule of who may do what, as pure
// functions of the person asking and the object asked about: the route
// policies (by role) and the object rule (which people, enrollments and
// sites a person may see). It knows nothing of HTTP or storage, so it is
// tested without a server; the pages (app/server) and the JSON API
// (app/api) both apply it.
//
// The rule has two layers.
//
//  1. Every route names a Policy: who may call it at all, by role. The
//     policies are the values below; nothing else checks roles to let a
//     request in.
//  2. A route that takes an id loads the object and asks the object rule
//     (CanSeePerson, CanSeeEnrollment, CanSeeSite) whether the caller may
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
// (an auditor follows a change across sites). API tokens act as the person
// who made them, with the same roles and sites.
package access

import (
	"slices"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/assessments"
)

// Policy says who may call a route at all.
type Policy struct {
	// Name is how the policy reads in a route list.
	Name string
	// Public: no login needed (the route's secret, if any, is in its URL).
	Public bool
	// Roles: any one of them lets the request in; none means any
	// logged-in person (the object rule then decides).
	Roles []accounts.Role
}

var (
	// Public routes: login, password links, calendar feeds by secret URL,
	// the OpenAPI document.
	Public = Policy{Name: "public", Public: true}
	// LoggedIn: any logged-in person; what they see is scoped by the object
	// rule (their own records, or the people they may see).
	LoggedIn = Policy{Name: "logged in"}
	// Admins manage accounts.
	Admins = Policy{Name: "admin", Roles: []accounts.Role{accounts.RoleAdmin}}
	// HRStaff manage and verify credentials and import people.
	HRStaff = Policy{Name: "HR or admin", Roles: []accounts.Role{accounts.RoleHR, accounts.RoleAdmin}}
	// Directors enroll, move, change status and revoke.
	Directors = Policy{Name: "director", Roles: []accounts.Role{accounts.RoleDirector}}
	// Recorders observe, test, sign off and review.
	Recorders = Policy{Name: "preceptor or director", Roles: []accounts.Role{accounts.RolePreceptor, accounts.RoleDirector}}
	// Transcribers type in historical paper evidence (observations and
	// paper sign-offs): program directors and HR.
	Transcribers = Policy{Name: "director or HR", Roles: []accounts.Role{accounts.RoleDirector, accounts.RoleHR}}
	// WageApprovers approve apprentices' wage steps and read the wage
	// history: program directors and HR.
	WageApprovers = Policy{Name: "director or HR", Roles: []accounts.Role{accounts.RoleDirector, accounts.RoleHR}}
	// Designers write curricula.
	Designers = Policy{Name: "director or admin", Roles: []accounts.Role{accounts.RoleDirector, accounts.RoleAdmin}}
	// PeopleReaders list people (scoped to their sites).
	PeopleReaders = Policy{Name: "admin, HR or director", Roles: []accounts.Role{accounts.RoleAdmin, accounts.RoleHR, accounts.RoleDirector}}
	// DirectoryReaders find people in the directory: staff and admins,
	// each scoped by the object rule.
	DirectoryReaders = Policy{Name: "staff or admin", Roles: []accounts.Role{accounts.RoleAdmin, accounts.RoleHR, accounts.RoleDirector, accounts.RolePreceptor}}
)

// Allows says whether the policy lets u call the route (nil: anonymous).
func (p Policy) Allows(u *accounts.Person) bool {
	switch {
	case p.Public:
		return true
	case u == nil:
		return false
	case len(p.Roles) == 0:
		return true
	}
	return slices.ContainsFunc(p.Roles, u.Has)
}

// CanDesign says whether u may see and edit draft program versions.
func CanDesign(u *accounts.Person) bool { return Designers.Allows(u) }

// staff are the roles that see people by site.
var staff = []accounts.Role{accounts.RoleHR, accounts.RoleDirector, accounts.RolePreceptor}

// CanSeePerson is the object rule for people, from the person alone (see
// the package comment). A preceptor's assigned apprentices at other sites
// need the enrollments: the HTTP layer adds them (Server.maySeePerson).
func CanSeePerson(u, target *accounts.Person) bool {
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

// CanSeeWage says whether u may see target's wage steps (pay): the
// person, program directors, HR and admins, not preceptors. The caller
// also checks the person and enrollment rules.
func CanSeeWage(u, target *accounts.Person) bool {
	return u != nil && target != nil && (u.ID == target.ID || u.HasAny(accounts.RoleDirector, accounts.RoleHR, accounts.RoleAdmin))
}

// CanSeeEnrollment is the object rule for an enrollment (and everything
// recorded on it): the apprentice, their assigned preceptors, admins, and
// staff of the enrollment's site.
func CanSeeEnrollment(u *accounts.Person, e *assessments.Enrollment) bool {
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

// VisibleEnrollments keeps the enrollments u may see (CanSeeEnrollment).
func VisibleEnrollments(u *accounts.Person, ens []assessments.Enrollment) []assessments.Enrollment {
	return slices.DeleteFunc(ens, func(e assessments.Enrollment) bool { return !CanSeeEnrollment(u, &e) })
}

// CanSeeSite says whether a user may see a site's people at all.
func CanSeeSite(u *accounts.Person, siteID string) bool {
	if u == nil {
		return false
	}
	if u.Has(accounts.RoleAdmin) {
		return true
	}
	return u.HasAny(staff...) && slices.Contains(u.SiteIDs, siteID)
}

// CanSeeScans says whether u may download the scanned paper pages of an
// enrollment's transcriptions: staff (HR, directors, preceptors) of its
// site, and admins; not the apprentice, nor an assigned preceptor from
// another site.
func CanSeeScans(u *accounts.Person, e *assessments.Enrollment) bool {
	return e != nil && CanSeeSite(u, e.SiteID)
}

// VisibleSites returns the sites whose people u may list: nil for an admin
// (every site), else u's own sites when u is staff, else none.
func VisibleSites(u *accounts.Person) []string {
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
