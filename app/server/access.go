package server

import (
	"slices"

	"github.com/skillgate/skillgate/app/accounts"
)

// canSeePerson is the one rule for whose records a user may see: their
// own; an admin everyone's; HR, program directors and preceptors the
// people of the sites they belong to. Apprentices see only themselves.
// Handlers answer 404 (not 403) when it says no, so ids reveal nothing.
func canSeePerson(u, target *accounts.Person) bool {
	switch {
	case u == nil || target == nil:
		return false
	case u.ID == target.ID, u.Has(accounts.RoleAdmin):
		return true
	case u.HasAny(accounts.RoleHR, accounts.RoleDirector, accounts.RolePreceptor):
		return sharesSite(u, target.SiteIDs)
	}
	return false
}

// canSeeSite says whether a user may see a site's people at all.
func canSeeSite(u *accounts.Person, siteID string) bool {
	if u == nil {
		return false
	}
	if u.Has(accounts.RoleAdmin) {
		return true
	}
	return u.HasAny(accounts.RoleHR, accounts.RoleDirector, accounts.RolePreceptor) && slices.Contains(u.SiteIDs, siteID)
}

func sharesSite(u *accounts.Person, sites []string) bool {
	for _, s := range sites {
		if slices.Contains(u.SiteIDs, s) {
			return true
		}
	}
	return false
}
