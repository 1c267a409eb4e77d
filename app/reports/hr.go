package reports

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"

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
// Each request then takes its share: the sites the reader may see, the
// status and role filters, and one page of the attention list.

// HRRow is one credential needing attention.
type HRRow struct {
	PersonID, Person, Role, Site, Credential, Label, Class string
	Sort                                                   int
}

// HRSite is one site's figures (or the sum of several).
type HRSite struct {
	ID, Name                              string // ID is empty for a sum of sites
	People, Compliant, Percent            int
	Expired, Exp30, Exp60, Exp90, Missing int
	Grace, Unverified                     int
}

// add adds o's counts to st (not the name or the percentage).
func (st *HRSite) add(o HRSite) {
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

// HRFilter is what one reader asks of the dashboard.
type HRFilter struct {
	// Sites are the sites the reader may see; nil for every site.
	Sites []string
	// Status keeps rows of one status: "expired", "30", "60", "90"
	// (expiring within that many days), "31-60", "61-90" (the by-site
	// table's bands), "missing", "grace", "unverified";
	// "" keeps everything needing attention.
	Status string
	// Role keeps "apprentice" or "preceptor" rows; "" keeps both.
	Role string
	// Site keeps one site's rows (one of Sites); "" keeps all.
	Site string
	// Credential keeps one credential type's rows (e.g. BLS); "" keeps all.
	Credential string
	// Month, when 1 to 12, keeps the credentials expiring in that month
	// of the chart (1 is this month, from today on), whether or not they
	// need attention; 0 keeps the attention list.
	Month int
	// Page (from 1) of PerPage rows of the attention list; past the last
	// page is the last page.
	Page, PerPage int
}

// HRDashboard is the dashboard as one reader sees it.
type HRDashboard struct {
	Sites []HRSite
	Total HRSite // every site shown, named "All sites"
	// Months are the expirations per month, from this month on.
	Months [12]int
	// Rows is one page of the attention list; First and Last number it
	// among the Matching rows (all pages, with the filters).
	Rows                  []HRRow
	First, Last, Matching int
	Page                  int
	// Types are the credential types on the list or in the chart, sorted.
	Types []string
	// ThisMonth counts, by credential type, what expires this month
	// (from today on) at the sites shown.
	ThisMonth []HRTypeCount
}

// HRTypeCount is how many credentials of one type.
type HRTypeCount struct {
	Credential string
	N          int
}

// HR returns the dashboard on today for the sites f allows, filtered and
// paged. The whole organisation is computed at most once per change
// stamp and day (hr_cache.go).
func (s *Service) HR(ctx context.Context, today curriculum.Date, f HRFilter) (*HRDashboard, error) {
	org, err := s.hrOrganisation(ctx, today)
	if err != nil {
		return nil, err
	}
	v := &HRDashboard{Total: HRSite{Name: "All sites"}}
	// The cache holds every site; this reader sees theirs.
	visible := make(map[string]bool, len(org.sites))
	for _, site := range org.sites {
		if f.Sites != nil && !slices.Contains(f.Sites, site.id) {
			continue
		}
		visible[site.id] = true
		v.Sites = append(v.Sites, site.counts)
		v.Total.add(site.counts)
		for i, n := range site.months {
			v.Months[i] += n
		}
	}
	if v.Total.People > 0 {
		v.Total.Percent = v.Total.Compliant * 100 / v.Total.People
	}

	// The attention list is already in display order (rank, then name):
	// count what matches, then copy out only the requested page.
	inMonth := f.Month >= 1 && f.Month <= 12
	types, thisMonth := map[string]bool{}, map[string]int{}
	for i := range org.rows {
		if r := &org.rows[i]; visible[r.siteID] {
			types[r.Credential] = true
			if r.month == 0 {
				thisMonth[r.Credential]++
			}
		}
	}
	v.Types = slices.Sorted(maps.Keys(types))
	for _, t := range slices.Sorted(maps.Keys(thisMonth)) {
		v.ThisMonth = append(v.ThisMonth, HRTypeCount{Credential: t, N: thisMonth[t]})
	}
	shown := func(r *hrEntry) bool {
		switch {
		case !visible[r.siteID], f.Site != "" && r.siteID != f.Site:
			return false
		case inMonth && r.month != f.Month-1, !inMonth && !r.attention():
			return false
		case f.Credential != "" && r.Credential != f.Credential:
			return false
		case f.Status != "" && !matchesStatus(f.Status, r.key):
			return false
		case f.Role == "preceptor" && !r.preceptor, f.Role == "apprentice" && r.preceptor:
			return false
		}
		return true
	}
	for i := range org.rows {
		if shown(&org.rows[i]) {
			v.Matching++
		}
	}
	per := max(f.PerPage, 1)
	v.Page = min(max(f.Page, 1), max(1, (v.Matching+per-1)/per))
	skip := (v.Page - 1) * per
	for i := range org.rows {
		if len(v.Rows) == per {
			break
		}
		if r := &org.rows[i]; shown(r) {
			if skip > 0 {
				skip--
				continue
			}
			v.Rows = append(v.Rows, r.HRRow)
		}
	}
	if len(v.Rows) > 0 {
		v.First, v.Last = (v.Page-1)*per+1, (v.Page-1)*per+len(v.Rows)
	}
	return v, nil
}

// computeHR computes the dashboard for every site on today: everyone in a
// fixed number of queries (all apprentices and preceptors, their
// enrollments and credentials; no evidence, credential states do not need
// it).
func (s *Service) computeHR(ctx context.Context, today curriculum.Date) (*hrOrg, error) {
	sites, err := s.Accounts.Sites(ctx)
	if err != nil {
		return nil, fmt.Errorf("hr dashboard: sites: %w", err)
	}
	apprentices, err := s.Accounts.Members(ctx, accounts.RoleApprentice, nil)
	if err != nil {
		return nil, fmt.Errorf("hr dashboard: apprentices: %w", err)
	}
	ids := make([]string, len(apprentices))
	for i, p := range apprentices {
		ids[i] = p.ID
	}
	res, err := s.Clearance.Standings(ctx, ids, today)
	if err != nil {
		return nil, fmt.Errorf("hr dashboard: standings of %d apprentices: %w", len(ids), err)
	}
	precs, err := s.Accounts.Members(ctx, accounts.RolePreceptor, nil)
	if err != nil {
		return nil, fmt.Errorf("hr dashboard: preceptors: %w", err)
	}
	precIDs := make([]string, len(precs))
	for i, p := range precs {
		precIDs[i] = p.ID
	}
	precRecs, err := s.Evidence.Credentials.ForPeople(ctx, precIDs)
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
		os := hrOrgSite{id: site.ID, counts: HRSite{ID: site.ID, Name: site.Name}}
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
				label, class := CredentialLabel(cs)
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
					key, rank = strconv.Itoa(cs.Within), 3
				case curriculum.CredentialMissingInGrace:
					st.Grace++
					key, rank = "grace", 4
				case curriculum.CredentialUnverified:
					st.Unverified++
					key, rank = "unverified", 5
				}
				month := -1
				if !cs.Expires.IsZero() && !cs.Expires.Before(today) {
					if m := monthsBetween(today, cs.Expires); m < 12 {
						os.months[m]++
						month = m
					}
				}
				if key == "" && month < 0 {
					continue
				}
				if key == "" {
					rank = 6 // in the chart only: after everything needing attention
				}
				org.rows = append(org.rows, hrEntry{siteID: site.ID, key: key, month: month, HRRow: HRRow{PersonID: id, Person: names[id], Role: "Apprentice",
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

// matchesStatus says whether a row's status key is within the filter:
// "60" includes those expiring within 30 days too.
func matchesStatus(filter, key string) bool {
	switch filter {
	case "60":
		return key == "30" || key == "60"
	case "90":
		return key == "30" || key == "60" || key == "90"
	case "31-60": // one band of the by-site table
		return key == "60"
	case "61-90":
		return key == "90"
	}
	return filter == key
}

func monthsBetween(a, b curriculum.Date) int {
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
}

// preceptorLicences adds the site's preceptors' own professional licences
// (a lapsed licence stops them signing off) to the counts, and to rows
// those needing attention; it returns the longer rows.
func preceptorLicences(rows []hrEntry, site accounts.Site, precs []*accounts.Person, recs map[string][]credentials.Record, today curriculum.Date, st *HRSite) []hrEntry {
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
		label, class := CredentialLabel(state)
		rows = append(rows, hrEntry{siteID: site.ID, key: key, preceptor: true, month: -1, HRRow: HRRow{PersonID: p.ID, Person: p.Name,
			Role: "Preceptor (" + p.Credential + " licence)", Site: site.Name, Credential: p.Credential, Label: label, Class: class, Sort: rank}})
	}
	return rows
}
