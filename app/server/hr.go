package server

import (
	"context"
	"fmt"
	"html/template"
	"net/url"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/curriculum"
)

// The HR dashboard: expired, expiring and missing credentials by site,
// compliance per site, and expirations per month for the next year.
//
// The figures are computed for the whole organisation at once and cached
// (hr_cache.go): at scale that is tens of thousands of people and a
// hundred thousand credentials, far too much to read on every request.
// Each request then takes its share: the sites the user may see, the
// status and role filters, and one page of the attention list.

// hrPerPage is how many rows of the attention list a page shows.
const hrPerPage = 50

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

// add adds o's counts to st (not the name or the percentage).
func (st *hrSite) add(o hrSite) {
	st.People += o.People
	st.Compliant += o.Compliant
	st.Expired += o.Expired
	st.Exp30 += o.Exp30
	st.Exp60 += o.Exp60
	st.Exp90 += o.Exp90
	st.Missing += o.Missing
	st.Grace += o.Grace
	st.Unverified += o.Unverified
}

type hrView struct {
	Today curriculum.Date
	Sites []hrSite
	// Rows is one page of the attention list; First and Last number it
	// among the Matching rows (all pages, with the filters).
	Rows                  []hrRow
	First, Last, Matching int
	Pager                 pager
	Chart                 template.HTML
	Filter                string
	Role                  string
	Total                 hrSite
	Filters               []option
	Roles                 []option
}

func (s *Server) hrDashboard(c *fiber.Ctx) error {
	u := currentUser(c)
	today := curriculum.DateOf(s.now(), s.cfg.Location())
	org, err := s.hrOrganisation(c.UserContext(), today)
	if err != nil {
		return err
	}
	v := hrView{Today: today, Filter: c.Query("status"), Role: c.Query("role"), Total: hrSite{Name: "All sites"},
		Roles: []option{{"", "Apprentices and preceptors"}, {"apprentice", "Apprentices"}, {"preceptor", "Preceptors"}}, Filters: []option{
			{"", "Everything needing attention"}, {"expired", "Expired"}, {"30", "Expiring within 30 days"}, {"60", "Expiring within 60 days"},
			{"90", "Expiring within 90 days"}, {"missing", "Missing"}, {"grace", "Missing, within grace"}, {"unverified", "Not verified"}}}
	// The cache holds every site; this user sees theirs (admins all),
	// decided on every request from the user read with the session.
	visible := make(map[string]bool, len(org.sites))
	months := make([]int, 12)
	for _, site := range org.sites {
		if !canSeeSite(u, site.id) {
			continue
		}
		visible[site.id] = true
		v.Sites = append(v.Sites, site.counts)
		v.Total.add(site.counts)
		for i, n := range site.months {
			months[i] += n
		}
	}
	if v.Total.People > 0 {
		v.Total.Percent = v.Total.Compliant * 100 / v.Total.People
	}
	v.Chart = expiryChart(today, months)

	// The attention list is already in display order (rank, then name):
	// count what matches, then copy out only the requested page.
	shown := func(r *hrEntry) bool {
		switch {
		case !visible[r.siteID]:
			return false
		case v.Filter != "" && !matchesFilter(v.Filter, r.key):
			return false
		case v.Role == "preceptor" && !r.preceptor, v.Role == "apprentice" && r.preceptor:
			return false
		}
		return true
	}
	for i := range org.rows {
		if shown(&org.rows[i]) {
			v.Matching++
		}
	}
	// Past the last page shows the last page, as the reports do.
	page := min(pageParam(c), max(1, (v.Matching+hrPerPage-1)/hrPerPage))
	skip := (page - 1) * hrPerPage
	for i := range org.rows {
		if len(v.Rows) == hrPerPage {
			break
		}
		if r := &org.rows[i]; shown(r) {
			if skip > 0 {
				skip--
				continue
			}
			v.Rows = append(v.Rows, r.hrRow)
		}
	}
	if len(v.Rows) > 0 {
		v.First, v.Last = (page-1)*hrPerPage+1, (page-1)*hrPerPage+len(v.Rows)
	}
	q := url.Values{}
	for k, val := range map[string]string{"status": v.Filter, "role": v.Role} {
		if val != "" {
			q.Set(k, val)
		}
	}
	v.Pager = newPager("/hr", q, page, v.Matching, hrPerPage)
	return s.render(c, fiber.StatusOK, "hr", Page{Title: "Certifications", Nav: "hr", Data: v})
}

// computeHR computes the dashboard for every site on today: everyone in a
// fixed number of queries (all apprentices and preceptors, their
// enrollments and credentials; no evidence, credential states do not need
// it).
func (s *Server) computeHR(ctx context.Context, today curriculum.Date) (*hrOrg, error) {
	sites, err := s.accounts.Sites(ctx)
	if err != nil {
		return nil, fmt.Errorf("hr dashboard: sites: %w", err)
	}
	apprentices, err := s.accounts.Members(ctx, accounts.RoleApprentice, nil)
	if err != nil {
		return nil, fmt.Errorf("hr dashboard: apprentices: %w", err)
	}
	ids := make([]string, len(apprentices))
	for i, p := range apprentices {
		ids[i] = p.ID
	}
	res, err := s.clearance.Standings(ctx, ids, today)
	if err != nil {
		return nil, fmt.Errorf("hr dashboard: standings of %d apprentices: %w", len(ids), err)
	}
	precs, err := s.accounts.Members(ctx, accounts.RolePreceptor, nil)
	if err != nil {
		return nil, fmt.Errorf("hr dashboard: preceptors: %w", err)
	}
	precIDs := make([]string, len(precs))
	for i, p := range precs {
		precIDs[i] = p.ID
	}
	precRecs, err := s.evidence.Credentials.ForPeople(ctx, precIDs)
	if err != nil {
		return nil, fmt.Errorf("hr dashboard: licences of %d preceptors: %w", len(precIDs), err)
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
	org := &hrOrg{today: today, sites: make([]hrOrgSite, 0, len(sites))}
	for _, site := range sites {
		os := hrOrgSite{id: site.ID, counts: hrSite{Name: site.Name}}
		st := &os.counts
		for _, id := range bySite[site.ID] {
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
						os.months[m]++
					}
				}
				if key == "" {
					continue
				}
				org.rows = append(org.rows, hrEntry{siteID: site.ID, key: key, hrRow: hrRow{PersonID: id, Person: names[id], Role: "Apprentice",
					Site: site.Name, Credential: cs.Credential, Label: label, Class: class, Sort: rank}})
			}
			if ok {
				st.Compliant++
			}
		}
		org.rows = preceptorLicences(org.rows, site, precsBySite[site.ID], precRecs, today, st)
		if st.People > 0 {
			st.Percent = st.Compliant * 100 / st.People
		}
		org.sites = append(org.sites, os)
	}
	// Stable, so equal names keep site order: a page of a filtered list
	// is then the same as sorting only the filtered rows would give.
	sort.SliceStable(org.rows, func(i, j int) bool {
		if org.rows[i].Sort != org.rows[j].Sort {
			return org.rows[i].Sort < org.rows[j].Sort
		}
		return org.rows[i].Person < org.rows[j].Person
	})
	return org, nil
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
// (a lapsed licence stops them signing off) to the counts, and to rows
// those needing attention; it returns the longer rows.
func preceptorLicences(rows []hrEntry, site accounts.Site, precs []*accounts.Person, recs map[string][]credentials.Record, today curriculum.Date, st *hrSite) []hrEntry {
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
		if key == "" {
			continue
		}
		label, class := credentialLabel(state)
		rows = append(rows, hrEntry{siteID: site.ID, key: key, preceptor: true, hrRow: hrRow{PersonID: p.ID, Person: p.Name,
			Role: "Preceptor (" + p.Credential + " licence)", Site: site.Name, Credential: p.Credential, Label: label, Class: class, Sort: rank}})
	}
	return rows
}
