// Package groupmap maps an identity provider's group names to Skillgate
// roles and sites: the SKILLGATE_SSO_GROUP_MAP setting, shared by OIDC and
// SAML login and by SCIM provisioning, so a group means the same thing
// however a person arrives.
//
// The text form is comma-separated group=role@site entries, where site is a
// site's name as Skillgate shows it or * for every site:
//
//	sg-rn=preceptor@Riverside Family Medicine,sg-hr=hr@*
//
// A group may appear in several entries (one role at two sites, or two
// roles). Group names are matched case-insensitively, because IdPs differ in
// how they case group names and object ids.
package groupmap

import (
	"slices"
	"strings"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/errkind"
)

// AllSites is the site written as * : the role at every site.
const AllSites = "*"

// ErrMalformed is returned by Parse for an entry that is not group=role@site
// or names an unknown role.
var ErrMalformed = errkind.New(errkind.Invalid, "The group mapping is not valid.")

// Entry is one group=role@site entry.
type Entry struct {
	Group string
	Role  accounts.Role
	// Site is a site's name, or AllSites.
	Site string
}

// String gives the entry in its text form.
func (e Entry) String() string { return e.Group + "=" + string(e.Role) + "@" + e.Site }

// Map is a parsed mapping. The zero Map maps nothing.
type Map struct {
	entries []Entry
}

// Parse reads the text form. Blank entries (a trailing comma, spaces) are
// ignored; an empty text is the empty Map. An entry without a group, role or
// site, or with an unknown role, is an ErrMalformed naming the entry.
func Parse(s string) (Map, error) {
	var m Map
	for raw := range strings.SplitSeq(s, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		group, rest, ok := strings.Cut(raw, "=")
		if !ok {
			return Map{}, ErrMalformed.Withf("The group mapping entry %q is not group=role@site.", raw)
		}
		// A role has no "@", so the first "@" ends it and a site's name
		// may hold anything but a comma.
		roleText, site, ok := strings.Cut(rest, "@")
		group, site = strings.TrimSpace(group), strings.TrimSpace(site)
		if !ok || group == "" || site == "" {
			return Map{}, ErrMalformed.Withf("The group mapping entry %q is not group=role@site.", raw)
		}
		role, err := accounts.ParseRole(roleText)
		if err != nil {
			return Map{}, ErrMalformed.Withf("The group mapping entry %q names an unknown role %q.", raw, strings.TrimSpace(roleText))
		}
		e := Entry{Group: group, Role: role, Site: site}
		if !slices.Contains(m.entries, e) {
			m.entries = append(m.entries, e)
		}
	}
	return m, nil
}

// MustParse is Parse for tests and constants; it panics on an error.
func MustParse(s string) Map {
	m, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return m
}

// Entries returns the entries in the order written.
func (m Map) Entries() []Entry { return slices.Clone(m.entries) }

// Empty reports whether the map has no entries.
func (m Map) Empty() bool { return len(m.entries) == 0 }

// String gives the text form Parse reads, so an admin page can show and
// store it.
func (m Map) String() string {
	parts := make([]string, len(m.entries))
	for i, e := range m.entries {
		parts[i] = e.String()
	}
	return strings.Join(parts, ",")
}

// Groups lists the distinct group names the map knows, in the order written.
func (m Map) Groups() []string {
	var out []string
	for _, e := range m.entries {
		if !slices.ContainsFunc(out, func(g string) bool { return strings.EqualFold(g, e.Group) }) {
			out = append(out, e.Group)
		}
	}
	return out
}

// Knows reports whether group appears in the map.
func (m Map) Knows(group string) bool {
	return slices.ContainsFunc(m.entries, func(e Entry) bool { return strings.EqualFold(e.Group, group) })
}

// Grant is what a set of groups gives a person.
type Grant struct {
	// Roles in accounts.AllRoles order, without repeats.
	Roles []accounts.Role
	// Sites are site names in the order the map names them, without
	// repeats; AllSites is not among them.
	Sites []string
	// AllSites is true when an entry with site * matched.
	AllSites bool
}

// Empty reports whether the grant gives nothing: no group was mapped, so a
// login must not create or admit the person on the strength of the map.
func (g Grant) Empty() bool { return len(g.Roles) == 0 }

// SiteIDs turns the grant's sites into ids with byName (a site's name to its
// id, as the sites store lists them); AllSites gives every id in byName.
// A site the map names that byName lacks is returned in missing, so the
// caller can refuse or report it rather than silently grant less.
func (g Grant) SiteIDs(byName map[string]string) (ids []string, missing []string) {
	if g.AllSites {
		for _, id := range byName {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return ids, nil
	}
	for _, name := range g.Sites {
		if id, ok := byName[name]; ok {
			ids = append(ids, id)
		} else {
			missing = append(missing, name)
		}
	}
	return ids, missing
}

// Resolve gives the roles and sites that groups map to. Groups the map does
// not know are ignored.
func (m Map) Resolve(groups []string) Grant {
	var g Grant
	for _, e := range m.entries {
		if !slices.ContainsFunc(groups, func(x string) bool { return strings.EqualFold(strings.TrimSpace(x), e.Group) }) {
			continue
		}
		if !slices.Contains(g.Roles, e.Role) {
			g.Roles = append(g.Roles, e.Role)
		}
		if e.Site == AllSites {
			g.AllSites = true
		} else if !slices.Contains(g.Sites, e.Site) {
			g.Sites = append(g.Sites, e.Site)
		}
	}
	slices.SortFunc(g.Roles, func(a, b accounts.Role) int {
		return slices.Index(accounts.AllRoles, a) - slices.Index(accounts.AllRoles, b)
	})
	return g
}
