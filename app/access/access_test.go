package access

import (
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/assessments"
)

func person(id string, roles []accounts.Role, sites ...string) *accounts.Person {
	return &accounts.Person{ID: id, Roles: roles, SiteIDs: sites}
}

var (
	admin      = person("admin", []accounts.Role{accounts.RoleAdmin})
	hr         = person("hr", []accounts.Role{accounts.RoleHR}, "north")
	director   = person("dir", []accounts.Role{accounts.RoleDirector}, "north")
	preceptor  = person("pre", []accounts.Role{accounts.RolePreceptor}, "north")
	apprentice = person("app", []accounts.Role{accounts.RoleApprentice}, "north")
	farAway    = person("far", []accounts.Role{accounts.RoleApprentice}, "south")
	otherStaff = person("hr2", []accounts.Role{accounts.RoleHR}, "north")
)

// TestPolicies: who gets past each route policy, by role.
func TestPolicies(t *testing.T) {
	cases := []struct {
		p    Policy
		u    *accounts.Person
		want bool
	}{
		{Public, nil, true},
		{LoggedIn, nil, false},
		{LoggedIn, apprentice, true},
		{Admins, hr, false},
		{Admins, admin, true},
		{HRStaff, hr, true},
		{HRStaff, director, false},
		{Directors, director, true},
		{Directors, admin, false},
		{Recorders, preceptor, true},
		{Recorders, apprentice, false},
		{Designers, admin, true},
		{Designers, preceptor, false},
		{PeopleReaders, preceptor, false},
		{DirectoryReaders, preceptor, true},
		{DirectoryReaders, apprentice, false},
	}
	for _, c := range cases {
		name := "anonymous"
		if c.u != nil {
			name = c.u.ID
		}
		if got := c.p.Allows(c.u); got != c.want {
			t.Errorf("%s.Allows(%s) = %v, want %v", c.p.Name, name, got, c.want)
		}
	}
}

// TestObjectRule: who sees which person, enrollment and site.
func TestObjectRule(t *testing.T) {
	people := []struct {
		u, target *accounts.Person
		want      bool
	}{
		{apprentice, apprentice, true},
		{apprentice, farAway, false},
		{admin, farAway, true},
		{hr, apprentice, true},
		{hr, otherStaff, true},
		{hr, farAway, false},
		{preceptor, apprentice, true},
		{preceptor, otherStaff, false}, // a preceptor sees apprentices, not staff
		{preceptor, farAway, false},    // unless assigned: the enrollments decide
		{nil, apprentice, false},
	}
	for _, c := range people {
		if got := CanSeePerson(c.u, c.target); got != c.want {
			t.Errorf("CanSeePerson(%v, %s) = %v, want %v", c.u, c.target.ID, got, c.want)
		}
	}

	assigned := &assessments.Enrollment{ApprenticeID: farAway.ID, SiteID: "south", PreceptorIDs: []string{preceptor.ID}}
	enrollments := []struct {
		u    *accounts.Person
		e    *assessments.Enrollment
		want bool
	}{
		{farAway, assigned, true},
		{apprentice, assigned, false},
		{preceptor, assigned, true}, // assigned at another site
		{hr, assigned, false},
		{director, &assessments.Enrollment{ApprenticeID: apprentice.ID, SiteID: "north"}, true},
		{admin, assigned, true},
		{nil, assigned, false},
	}
	for _, c := range enrollments {
		if got := CanSeeEnrollment(c.u, c.e); got != c.want {
			t.Errorf("CanSeeEnrollment(%v, %+v) = %v, want %v", c.u, c.e, got, c.want)
		}
	}

	if !CanSeeSite(hr, "north") || CanSeeSite(hr, "south") || CanSeeSite(apprentice, "north") || !CanSeeSite(admin, "south") || CanSeeSite(nil, "north") {
		t.Error("CanSeeSite: staff see their own sites, admins every site, apprentices and anonymous none")
	}
	if VisibleSites(admin) != nil || len(VisibleSites(apprentice)) != 0 || VisibleSites(apprentice) == nil {
		t.Error("VisibleSites: nil (every site) for an admin, an empty list for an apprentice")
	}
	if got := VisibleSites(director); len(got) != 1 || got[0] != "north" {
		t.Errorf("VisibleSites(director) = %v, want [north]", got)
	}
}
