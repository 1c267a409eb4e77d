package server

import (
	"fmt"
	"html/template"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/curriculum"
)

// The HR dashboard: expired, expiring and missing credentials by site,
// compliance per site, and expirations per month for the next year.

type hrRow struct {
	PersonID, Person, Role, Site, Credential, Label, Class string
	Sort                                                   int
}

type hrSite struct {
	Name                                  string
	People, Compliant, Percent            int
	Expired, Exp30, Exp60, Exp90, Missing int
	Grace, Unverified                     int
}

type hrView struct {
	Today   curriculum.Date
	Sites   []hrSite
	Rows    []hrRow
	Chart   template.HTML
	Filter  string
	Role    string
	Total   hrSite
	Filters []option
	Roles   []option
}

func (s *Server) hrDashboard(c *fiber.Ctx) error {
	u := currentUser(c)
	ctx := c.UserContext()
	today := curriculum.DateOf(s.now(), s.cfg.Location())
	sites, err := s.accounts.Sites(ctx)
	if err != nil {
		return err
	}
	v := hrView{Today: today, Filter: c.Query("status"), Role: c.Query("role"), Total: hrSite{Name: "All sites"},
		Roles: []option{{"", "Apprentices and preceptors"}, {"apprentice", "Apprentices"}, {"preceptor", "Preceptors"}}, Filters: []option{
			{"", "Everything needing attention"}, {"expired", "Expired"}, {"30", "Expiring within 30 days"}, {"60", "Expiring within 60 days"},
			{"90", "Expiring within 90 days"}, {"missing", "Missing"}, {"grace", "Missing, within grace"}, {"unverified", "Not verified"}}}
	months := make([]int, 12)
	// Everyone on the dashboard in a fixed number of queries: the visible
	// sites' apprentices and preceptors, their enrollments and credentials
	// (no evidence: credential states do not need it).
	var visible []string // nil: every site (admins)
	if !u.Has(accounts.RoleAdmin) {
		visible = []string{}
		for _, site := range sites {
			if canSeeSite(u, site.ID) {
				visible = append(visible, site.ID)
			}
		}
	}
	apprentices, err := s.accounts.Members(ctx, accounts.RoleApprentice, visible)
	if err != nil {
		return err
	}
	ids := make([]string, len(apprentices))
	for i, p := range apprentices {
		ids[i] = p.ID
	}
	res, err := s.clearance.Standings(ctx, ids, today)
	if err != nil {
		return err
	}
	precs, err := s.accounts.Members(ctx, accounts.RolePreceptor, visible)
	if err != nil {
		return err
	}
	precIDs := make([]string, len(precs))
	for i, p := range precs {
		precIDs[i] = p.ID
	}
	precRecs, err := s.evidence.Credentials.ForPeople(ctx, precIDs)
	if err != nil {
		return err
	}
	names := make(map[string]string, len(apprentices))
	bySite := map[string][]string{} // site -> apprentice ids, by name
	for _, p := range apprentices {
		names[p.ID] = p.Name
		for _, site := range p.SiteIDs {
			bySite[site] = append(bySite[site], p.ID)
		}
	}
	precsBySite := map[string][]*accounts.Person{}
	for _, p := range precs {
		for _, site := range p.SiteIDs {
			precsBySite[site] = append(precsBySite[site], p)
		}
	}
	for _, site := range sites {
		if !u.Has(accounts.RoleAdmin) && !canSeeSite(u, site.ID) {
			continue
		}
		ids := bySite[site.ID]
		st := hrSite{Name: site.Name}
		for _, id := range ids {
			r, ok := res[id]
			if !ok {
				continue
			}
			st.People++
			ok = true
			for _, cs := range r.RequiredCredentials(today) {
				ok = ok && cs.Satisfied()
				label, class := credentialLabel(cs)
				key, rank := "", 0
				switch cs.Status {
				case curriculum.CredentialExpired:
					st.Expired++
					key, rank = "expired", 1
				case curriculum.CredentialMissing:
					st.Missing++
					key, rank = "missing", 2
				case curriculum.CredentialExpiring:
					switch cs.Within {
					case 30:
						st.Exp30++
					case 60:
						st.Exp60++
					default:
						st.Exp90++
					}
					key, rank = itoa(cs.Within), 3
				case curriculum.CredentialMissingInGrace:
					st.Grace++
					key, rank = "grace", 4
				case curriculum.CredentialUnverified:
					st.Unverified++
					key, rank = "unverified", 5
				}
				if !cs.Expires.IsZero() && !cs.Expires.Before(today) {
					if m := monthsBetween(today, cs.Expires); m < 12 {
						months[m]++
					}
				}
				if key == "" || (v.Filter != "" && !matchesFilter(v.Filter, key)) || v.Role == "preceptor" {
					continue
				}
				v.Rows = append(v.Rows, hrRow{PersonID: id, Person: names[id], Role: "Apprentice", Site: site.Name, Credential: cs.Credential, Label: label, Class: class, Sort: rank})
			}
			if ok {
				st.Compliant++
			}
		}
		s.preceptorLicences(site, precsBySite[site.ID], precRecs, today, &st, &v)
		if st.People > 0 {
			st.Percent = st.Compliant * 100 / st.People
		}
		v.Sites = append(v.Sites, st)
		for _, p := range []struct{ to, from *int }{{&v.Total.People, &st.People}, {&v.Total.Compliant, &st.Compliant}, {&v.Total.Expired, &st.Expired},
			{&v.Total.Exp30, &st.Exp30}, {&v.Total.Exp60, &st.Exp60}, {&v.Total.Exp90, &st.Exp90}, {&v.Total.Missing, &st.Missing},
			{&v.Total.Grace, &st.Grace}, {&v.Total.Unverified, &st.Unverified}} {
			*p.to += *p.from
		}
	}
	if v.Total.People > 0 {
		v.Total.Percent = v.Total.Compliant * 100 / v.Total.People
	}
	sort.SliceStable(v.Rows, func(i, j int) bool {
		if v.Rows[i].Sort != v.Rows[j].Sort {
			return v.Rows[i].Sort < v.Rows[j].Sort
		}
		return v.Rows[i].Person < v.Rows[j].Person
	})
	v.Chart = expiryChart(today, months)
	return s.render(c, fiber.StatusOK, "hr", Page{Title: "Certifications", Nav: "hr", Data: v})
}

// matchesFilter says whether a row's status key is within the filter:
// "60" includes those expiring within 30 days too.
func matchesFilter(filter, key string) bool {
	switch filter {
	case "60":
		return key == "30" || key == "60"
	case "90":
		return key == "30" || key == "60" || key == "90"
	}
	return filter == key
}

func monthsBetween(a, b curriculum.Date) int {
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
}

// expiryChart draws expirations per month as an inline SVG bar chart
// (server-rendered, no script), with the numbers written on the bars.
func expiryChart(today curriculum.Date, counts []int) template.HTML {
	maxN := 1
	for _, n := range counts {
		maxN = max(maxN, n)
	}
	// top leaves room for the count above the tallest bar.
	const w, h, bar, top = 600, 180, 40, 18
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title" class="chart"><title id="chart-title">Credential expirations per month, next 12 months</title>`, w, top+h+24)
	for i, n := range counts {
		month := today.AddMonths(i)
		bh := n * h / maxN
		x := 10 + i*(bar+8)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" class="bar"><title>%s %d: %d</title></rect>`, x, top+h-bh, bar, bh, month.Month().String()[:3], month.Year(), n)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="n">%d</text>`, x+bar/2, top+h-bh-4, n)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="m">%s</text>`, x+bar/2, top+h+16, month.Month().String()[:3])
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from numbers and month names only
}

// preceptorLicences adds the site's preceptors' own professional licences
// (a lapsed licence stops them signing off) to the counts and the list.
func (s *Server) preceptorLicences(site accounts.Site, precs []*accounts.Person, recs map[string][]credentials.Record, today curriculum.Date, st *hrSite, v *hrView) {
	for _, p := range precs {
		if p.Credential == "" || p.Credential == "none" {
			continue
		}
		// The verified record that lasts longest counts (as the engine does:
		// a renewal wins, an old record never shortens a newer one).
		var exp curriculum.Date
		found, forever := false, false
		for _, r := range recs[p.ID] {
			if r.TypeCode != p.Credential || !r.Verified() {
				continue
			}
			found = true
			if r.ExpiresOn.IsZero() {
				forever = true
			} else if r.ExpiresOn.After(exp) {
				exp = r.ExpiresOn
			}
		}
		state := curriculum.CredentialState{Credential: p.Credential, Expires: exp}
		key, rank := "", 0
		switch left := today.DaysUntil(exp); {
		case !found:
			state.Status, key, rank = curriculum.CredentialMissing, "missing", 2
			st.Missing++
		case forever:
			state.Status = curriculum.CredentialValid
		case left < 0:
			state.Status, key, rank = curriculum.CredentialExpired, "expired", 1
			st.Expired++
		case left <= 90:
			state.Status, state.DaysLeft = curriculum.CredentialExpiring, left
			switch {
			case left <= 30:
				key = "30"
				st.Exp30++
			case left <= 60:
				key = "60"
				st.Exp60++
			default:
				key = "90"
				st.Exp90++
			}
			rank = 3
		default:
			state.Status = curriculum.CredentialValid
		}
		if key == "" || (v.Filter != "" && !matchesFilter(v.Filter, key)) || v.Role == "apprentice" {
			continue
		}
		label, class := credentialLabel(state)
		v.Rows = append(v.Rows, hrRow{PersonID: p.ID, Person: p.Name, Role: "Preceptor (" + p.Credential + " licence)", Site: site.Name,
			Credential: p.Credential, Label: label, Class: class, Sort: rank})
	}
}
