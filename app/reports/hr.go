package reports

import (
	"context"
	"fmt"
	"maps"
	"slices"
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
func (st *HRSite) add(o HRSite) { st.addTimes(o, 1) }

// addTimes adds k times o's counts to st.
func (st *HRSite) addTimes(o HRSite, k int) {
	st.People += k * o.People
	st.Compliant += k * o.Compliant
	st.Expired += k * o.Expired
	st.Exp30 += k * o.Exp30
	st.Exp60 += k * o.Exp60
	st.Exp90 += k * o.Exp90
	st.Missing += k * o.Missing
	st.Grace += k * o.Grace
	st.Unverified += k * o.Unverified
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
	// The cache holds every site; this reader sees theirs. Rows name their
	// site by index: the loops below visit every row of the organisation
	// on every view, so they look up a slice, not a map of site ids.
	visible := make([]bool, len(org.sites))
	only := -1 // f.Site's index; len(org.sites) when it is no site shown
	for i, site := range org.sites {
		if f.Site != "" && site.id == f.Site {
			only = i
		}
		if f.Sites != nil && !slices.Contains(f.Sites, site.id) {
			continue
		}
		visible[i] = true
		v.Sites = append(v.Sites, site.counts)
		v.Total.add(site.counts)
		for i, n := range site.months {
			v.Months[i] += n
		}
	}
	if f.Site != "" && only < 0 {
		only = len(org.sites)
	}
	if v.Total.People > 0 {
		v.Total.Percent = v.Total.Compliant * 100 / v.Total.People
	}

	// The attention list is already in display order (rank, then name):
	// count what matches, then copy out only the requested page.
	inMonth := f.Month >= 1 && f.Month <= 12
	types, thisMonth := map[string]bool{}, map[string]int{}
	for _, r := range org.rows {
		if visible[r.site] {
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
		case !visible[r.site], only >= 0 && r.site != only:
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
	for _, r := range org.rows {
		if shown(r) {
			v.Matching++
		}
	}
	per := max(f.PerPage, 1)
	v.Page = min(max(f.Page, 1), max(1, (v.Matching+per-1)/per))
	skip := (v.Page - 1) * per
	for _, r := range org.rows {
		if len(v.Rows) == per {
			break
		}
		if shown(r) {
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

// hrPeople is who is where: every site, apprentice and preceptor, and
// where each person's share goes (their sites, and their place among the
// site's people, which orders rows of equal rank and name as the
// dashboard always has). It changes only with the 'people' change stamp.
type hrPeople struct {
	sites []accounts.Site
	// slots of each apprentice and each preceptor: site index and place.
	appr, prec map[string][]hrSlot
	names      map[string]string
	licence    map[string]string // a preceptor's licence type
}

type hrSlot struct{ site, member int }

// hrShare is one person's part of one site's figures.
type hrShare struct {
	site   int
	counts HRSite
	months [12]int
}

// seqOf orders rows of equal rank and name: by site, apprentices before
// preceptors, then the person's place at the site and the credential's
// place among theirs (the order the rows were once appended in before a
// stable sort).
func seqOf(slot hrSlot, preceptor bool, cred int) uint64 {
	r := uint64(0)
	if preceptor {
		r = 1
	}
	return uint64(slot.site)<<42 | r<<41 | uint64(slot.member)<<12 | uint64(cred)
}

// rowLess is the display order of the attention list: rank, name, then
// seqOf.
func rowLess(a, b *hrEntry) int {
	if a.Sort != b.Sort {
		return a.Sort - b.Sort
	}
	if a.Person != b.Person {
		if a.Person < b.Person {
			return -1
		}
		return 1
	}
	switch {
	case a.seq < b.seq:
		return -1
	case a.seq > b.seq:
		return 1
	}
	return 0
}

// readHRPeople reads every site, apprentice and preceptor (three queries).
func (s *Service) readHRPeople(ctx context.Context) (*hrPeople, error) {
	sites, err := s.Accounts.Sites(ctx)
	if err != nil {
		return nil, fmt.Errorf("hr dashboard: sites: %w", err)
	}
	apprentices, err := s.Accounts.Members(ctx, accounts.RoleApprentice, nil)
	if err != nil {
		return nil, fmt.Errorf("hr dashboard: apprentices: %w", err)
	}
	precs, err := s.Accounts.Members(ctx, accounts.RolePreceptor, nil)
	if err != nil {
		return nil, fmt.Errorf("hr dashboard: preceptors: %w", err)
	}
	siteIndex := make(map[string]int, len(sites))
	for i, site := range sites {
		siteIndex[site.ID] = i
	}
	pp := &hrPeople{sites: sites, appr: map[string][]hrSlot{}, prec: map[string][]hrSlot{}, names: map[string]string{}, licence: map[string]string{}}
	place := func(list []*accounts.Person, slots map[string][]hrSlot) {
		members := make([]int, len(sites))
		for _, p := range list {
			pp.names[p.ID] = p.Name
			for _, site := range p.SiteIDs {
				if i, ok := siteIndex[site]; ok {
					slots[p.ID] = append(slots[p.ID], hrSlot{site: i, member: members[i]})
					members[i]++
				}
			}
		}
	}
	place(apprentices, pp.appr)
	place(precs, pp.prec)
	for _, p := range precs {
		pp.licence[p.ID] = p.Credential
	}
	return pp, nil
}

// hrShares computes the shares and rows of the given people (all of them
// when ids is nil): their standings and the preceptors' licences, in a
// fixed number of queries.
func (s *Service) hrShares(ctx context.Context, pp *hrPeople, ids []string, today curriculum.Date) (map[string][]hrShare, []*hrEntry, error) {
	var appr, prec []string
	if ids == nil {
		appr, prec = slices.Sorted(maps.Keys(pp.appr)), slices.Sorted(maps.Keys(pp.prec))
	} else {
		for _, id := range ids {
			if _, ok := pp.appr[id]; ok {
				appr = append(appr, id)
			}
			if _, ok := pp.prec[id]; ok {
				prec = append(prec, id)
			}
		}
	}
	res, err := s.Clearance.Standings(ctx, appr, today)
	if err != nil {
		return nil, nil, fmt.Errorf("hr dashboard: standings of %d apprentices: %w", len(appr), err)
	}
	precRecs, err := s.Evidence.Credentials.ForPeople(ctx, prec)
	if err != nil {
		return nil, nil, fmt.Errorf("hr dashboard: licences of %d preceptors: %w", len(prec), err)
	}
	shares := make(map[string][]hrShare, len(appr)+len(prec))
	var rows []hrEntry
	for _, id := range appr {
		r, ok := res[id]
		if !ok {
			continue
		}
		creds := r.RequiredCredentials(today)
		for _, slot := range pp.appr[id] {
			site := pp.sites[slot.site]
			sh := hrShare{site: slot.site, counts: HRSite{People: 1}}
			st := &sh.counts
			ok := true
			for ci, cs := range creds {
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
						sh.months[m]++
						month = m
					}
				}
				if key == "" && month < 0 {
					continue
				}
				if key == "" {
					rank = 6 // in the chart only: after everything needing attention
				}
				rows = append(rows, hrEntry{site: slot.site, key: key, month: month, seq: seqOf(slot, false, ci), HRRow: HRRow{PersonID: id, Person: pp.names[id], Role: "Apprentice",
					Site: site.Name, Credential: cs.Credential, Label: label, Class: class, Sort: rank}})
			}
			if ok {
				st.Compliant++
			}
			shares[id] = append(shares[id], sh)
		}
	}
	for _, id := range prec {
		for _, slot := range pp.prec[id] {
			sh := hrShare{site: slot.site}
			if e := preceptorLicence(id, pp.names[id], pp.licence[id], pp.sites[slot.site], precRecs[id], today, &sh.counts); e != nil {
				e.site, e.seq = slot.site, seqOf(slot, true, 0)
				rows = append(rows, *e)
			}
			shares[id] = append(shares[id], sh)
		}
	}
	sorted := make([]*hrEntry, len(rows))
	for i := range rows {
		sorted[i] = &rows[i]
	}
	slices.SortFunc(sorted, rowLess)
	return shares, sorted, nil
}

// computeHR computes the dashboard for every site on today: everyone in a
// fixed number of queries (all apprentices and preceptors, their
// enrollments and credentials; no evidence, credential states do not need
// it).
func (s *Service) computeHR(ctx context.Context, today curriculum.Date) (*hrOrg, error) {
	pp, err := s.readHRPeople(ctx)
	if err != nil {
		return nil, err
	}
	shares, rows, err := s.hrShares(ctx, pp, nil, today)
	if err != nil {
		return nil, err
	}
	org := &hrOrg{today: today, people: pp, shares: shares, rows: rows, sites: make([]hrOrgSite, len(pp.sites))}
	for i, site := range pp.sites {
		org.sites[i] = hrOrgSite{id: site.ID, counts: HRSite{ID: site.ID, Name: site.Name}}
	}
	for _, list := range shares {
		org.addShares(list, 1)
	}
	org.percents()
	return org, nil
}

// addShares adds (sign 1) or takes away (-1) a person's shares.
func (org *hrOrg) addShares(list []hrShare, sign int) {
	for _, sh := range list {
		site := &org.sites[sh.site]
		site.counts.addTimes(sh.counts, sign)
		for m, n := range sh.months {
			site.months[m] += sign * n
		}
	}
}

func (org *hrOrg) percents() {
	for i := range org.sites {
		st := &org.sites[i].counts
		st.Percent = 0
		if st.People > 0 {
			st.Percent = st.Compliant * 100 / st.People
		}
	}
}

// updated is org with the given people's shares and rows replaced by
// theirs now (shares and rows as hrShares computed them): the rest of the
// organisation is not read again. org's shares map becomes the result's
// (changed in place: see hrOrg.shares); its sites and rows are left as
// they are for the requests still reading them.
func (org *hrOrg) updated(ids []string, shares map[string][]hrShare, rows []*hrEntry) *hrOrg {
	next := &hrOrg{today: org.today, people: org.people, sites: slices.Clone(org.sites), shares: org.shares}
	gone := make(map[string]bool, len(ids))
	for _, id := range ids {
		gone[id] = true
		next.addShares(org.shares[id], -1)
		next.addShares(shares[id], 1)
		if list, ok := shares[id]; ok {
			next.shares[id] = list
		} else {
			delete(next.shares, id)
		}
	}
	next.percents()
	// Both lists are in display order: merge them.
	next.rows = make([]*hrEntry, 0, len(org.rows)+len(rows))
	j := 0
	for _, old := range org.rows {
		if gone[old.PersonID] {
			continue
		}
		for j < len(rows) && rowLess(rows[j], old) < 0 {
			next.rows = append(next.rows, rows[j])
			j++
		}
		next.rows = append(next.rows, old)
	}
	next.rows = append(next.rows, rows[j:]...)
	return next
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

// preceptorLicence adds a preceptor's own professional licence (a
// lapsed licence stops them signing off) at a site to the counts, and
// returns its row when it needs attention (nil otherwise).
func preceptorLicence(id, name, licence string, site accounts.Site, recs []credentials.Record, today curriculum.Date, st *HRSite) *hrEntry {
	if licence == "" || licence == "none" {
		return nil
	}
	// The verified record that lasts longest counts (as the engine does:
	// a renewal wins, an old record never shortens a newer one).
	var exp curriculum.Date
	found, forever := false, false
	for _, r := range recs {
		if r.TypeCode != licence || !r.Verified() {
			continue
		}
		found = true
		if r.ExpiresOn.IsZero() {
			forever = true
		} else if r.ExpiresOn.After(exp) {
			exp = r.ExpiresOn
		}
	}
	state := curriculum.CredentialState{Credential: licence, Expires: exp}
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
		return nil
	}
	label, class := CredentialLabel(state)
	return &hrEntry{key: key, preceptor: true, month: -1, HRRow: HRRow{PersonID: id, Person: name,
		Role: "Preceptor (" + licence + " licence)", Site: site.Name, Credential: licence, Label: label, Class: class, Sort: rank}}
}
