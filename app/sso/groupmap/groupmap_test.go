package groupmap

import (
	"errors"
	"slices"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
)

func TestParseAndResolve(t *testing.T) {
	m, err := Parse(" sg-rn=preceptor@Riverside Family Medicine, sg-hr=HR@*,,sg-rn=apprentice@North Clinic ,sg-dir=director@Riverside Family Medicine")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.String(), "sg-rn=preceptor@Riverside Family Medicine,sg-hr=hr@*,sg-rn=apprentice@North Clinic,sg-dir=director@Riverside Family Medicine"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if again, err := Parse(m.String()); err != nil || again.String() != m.String() {
		t.Errorf("round trip: %v %q", err, again.String())
	}
	if got := m.Groups(); !slices.Equal(got, []string{"sg-rn", "sg-hr", "sg-dir"}) {
		t.Errorf("Groups = %v", got)
	}

	g := m.Resolve([]string{"SG-RN", "unmapped", "sg-dir"})
	if !slices.Equal(g.Roles, []accounts.Role{accounts.RoleDirector, accounts.RolePreceptor, accounts.RoleApprentice}) {
		t.Errorf("Roles = %v", g.Roles)
	}
	if !slices.Equal(g.Sites, []string{"Riverside Family Medicine", "North Clinic"}) || g.AllSites {
		t.Errorf("Sites = %v all=%v", g.Sites, g.AllSites)
	}
	byName := map[string]string{"Riverside Family Medicine": "s1", "South": "s2"}
	ids, missing := g.SiteIDs(byName)
	if !slices.Equal(ids, []string{"s1"}) || !slices.Equal(missing, []string{"North Clinic"}) {
		t.Errorf("SiteIDs = %v missing %v", ids, missing)
	}

	hr := m.Resolve([]string{"sg-hr"})
	if ids, _ := hr.SiteIDs(byName); !hr.AllSites || !slices.Equal(ids, []string{"s1", "s2"}) {
		t.Errorf("* grant = %+v ids %v", hr, ids)
	}
	if !m.Resolve([]string{"other"}).Empty() || !(Map{}).Resolve([]string{"sg-rn"}).Empty() {
		t.Error("unmapped groups must grant nothing")
	}
}

func TestParseRefuses(t *testing.T) {
	for _, s := range []string{"sg-rn", "sg-rn=preceptor", "=preceptor@X", "sg=preceptor@", "sg=nurse@X"} {
		if _, err := Parse(s); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q) = %v, want ErrMalformed", s, err)
		}
	}
	if m, err := Parse("  "); err != nil || !m.Empty() {
		t.Errorf("blank: %v %v", m, err)
	}
}
