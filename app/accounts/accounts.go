// Package accounts holds people, their roles and sites, how they log in
// (passwords, server-side sessions, personal API tokens) and how an admin
// starts a password reset. Storage is through bun on either engine.
package accounts

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// Role is what a person does in Skillgate; a person may have several.
type Role string

// The roles.
const (
	RoleAdmin      Role = "admin"
	RoleDirector   Role = "director"
	RolePreceptor  Role = "preceptor"
	RoleApprentice Role = "apprentice"
	RoleHR         Role = "hr"
)

// AllRoles lists the roles in the order pages show them.
var AllRoles = []Role{RoleAdmin, RoleDirector, RolePreceptor, RoleApprentice, RoleHR}

// Label is the role's name for people.
func (r Role) Label() string {
	switch r {
	case RoleAdmin:
		return "Administrator"
	case RoleDirector:
		return "Program director"
	case RolePreceptor:
		return "Preceptor"
	case RoleApprentice:
		return "Apprentice"
	case RoleHR:
		return "HR auditor"
	}
	return string(r)
}

// ParseRole accepts a role name as stored or as typed ("HR", "director").
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(AllRoles, r) {
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q (use admin, director, preceptor, apprentice or hr)", s)
}

// Credentials are the professional credential types a person may hold,
// which decide who may observe and sign off competencies: "none" and the
// curriculum's list.
var Credentials = func() []string {
	out := []string{"none"}
	for _, c := range curriculum.ProfessionalCredentials {
		out = append(out, string(c))
	}
	return out
}()

// ParseCredential accepts a credential type, case-insensitively; empty is "none".
func ParseCredential(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "none", nil
	}
	for _, c := range Credentials {
		if strings.EqualFold(c, s) {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown credential %q (use one of %s)", s, strings.Join(Credentials, ", "))
}

// Person is someone with an account.
type Person struct {
	ID         string
	Email      string
	Name       string
	EmployeeID string
	// HireDate is YYYY-MM-DD, or empty when not on file.
	HireDate           string
	Credential         string
	Roles              []Role
	SiteIDs            []string
	MustChangePassword bool
	DisabledAt         *time.Time
	FailedLogins       int
	LockedUntil        *time.Time
	CreatedAt          time.Time
	// DecisionStamp changes whenever something is written that can change
	// the person's clearance decisions (evidence, enrollments, moves,
	// credentials: database triggers keep it, see migration 0008). It is
	// read with the person, so a cache of decisions can be checked against
	// it without another round trip.
	DecisionStamp int64
}

// Has reports whether the person holds role r.
func (p *Person) Has(r Role) bool { return slices.Contains(p.Roles, r) }

// HasAny reports whether the person holds at least one of roles.
func (p *Person) HasAny(roles ...Role) bool {
	for _, r := range roles {
		if p.Has(r) {
			return true
		}
	}
	return false
}

// Disabled reports whether the account has been disabled.
func (p *Person) Disabled() bool { return p.DisabledAt != nil }

// NormalizeEmail lower-cases and trims an email address, so lookups and
// the unique index agree.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
