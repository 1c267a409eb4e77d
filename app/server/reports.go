package server

import (
	"slices"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/curriculum"
)

// The certifications report: every person × required credential, as a
// page and as the same rows in an .xlsx workbook. Who sees which rows is
// decided when the people are chosen: HR, admins and directors their
// sites, preceptors their assigned apprentices, apprentices themselves.

type certRow struct {
	PersonID, Person, EmployeeID, Site string
	Credential, Number                 string
	Issued, Expires                    curriculum.Date
	Status                             reports.Status
	VerifiedBy                         string
	VerifiedAt                         string
}

// reportSelection is who a report covers, decided in the query that
// loads them, batch after batch: admins everyone (or one site), HR and
// directors the apprentices of their sites, preceptors the apprentices of
// their enrollments, anyone else only themselves. The program filter keeps
// people with an enrollment in one of the program's versions.
func (s *Server) reportSelection(q *reportQuery) accounts.Selection {
	u := q.user
	var sel accounts.Selection
	switch {
	case u.HasAny(accounts.RoleAdmin, accounts.RoleHR, accounts.RoleDirector):
		sel.Role = accounts.RoleApprentice
		switch {
		case u.Has(accounts.RoleAdmin) && q.site == "":
		case u.Has(accounts.RoleAdmin):
			sel.SiteIDs = []string{q.site}
		case q.site == "":
			sel.SiteIDs = append([]string{}, u.SiteIDs...) // none: nobody
		case slices.Contains(u.SiteIDs, q.site):
			sel.SiteIDs = []string{q.site}
		default:
			sel.SiteIDs = []string{} // a site that is not theirs
		}
	case u.Has(accounts.RolePreceptor):
		sel.Among = append(sel.Among, s.evidence.Store.ApprenticesOf(evidence.EnrollmentFilter{PreceptorID: u.ID}))
		if q.site != "" {
			sel.SiteIDs = []string{q.site}
		}
	default:
		sel.IDs = []string{u.ID}
	}
	if q.program != nil {
		sel.Among = append(sel.Among, s.evidence.Store.ApprenticesOf(evidence.EnrollmentFilter{VersionIDs: q.versionIDs()}))
	}
	return sel
}

// eachReportBatch calls fn with the selected people, size at a time, in
// name order, all read by one statement (accounts.EachSelected).
func (s *Server) eachReportBatch(q *reportQuery, size int, fn func([]*accounts.Person) error) error {
	return s.accounts.EachSelected(q.ctx, s.reportSelection(q), size, fn)
}

// reportSet is a batch of people and their decisions on the as-of day,
// kept only when the enrollment in force that day is in the program asked
// for: what every report but the register starts from.
type reportSet struct {
	People  []*accounts.Person
	IDs     []string
	Results map[string]*clearance.Result
}

func (s *Server) reportSet(q *reportQuery, people []*accounts.Person) (reportSet, error) {
	set := reportSet{People: people, IDs: make([]string, len(people))}
	for i, p := range people {
		set.IDs[i] = p.ID
	}
	var err error
	if set.Results, err = s.clearance.ForPeople(q.ctx, set.IDs, q.asOf); err != nil {
		return set, err
	}
	for id, r := range set.Results {
		if !q.inProgram(r.Enrollment.VersionID) {
			delete(set.Results, id)
		}
	}
	return set, nil
}

var toneOf = map[string]reports.Tone{"status-ok": reports.Good, "status-warn": reports.Warn, "status-bad": reports.Bad}

// certificationRows: with a program filter, the people enrolled in that
// program on the as-of day (by the enrollment in force that day, as the
// clearance engine decides it) × the credentials that program's version
// requires. That is what an auditor of one program expects: its own
// roster and its own requirements. People who left the program, moved to
// another program or start later are not in it; a credential only another
// program requires is not listed; and a person enrolled in the program is
// listed even when a credential is missing (the row says "missing").
func (s *Server) certificationRows(q *reportQuery, people []*accounts.Person) ([]certRow, error) {
	// Credentials only: the standing (enrollment in force, credentials)
	// is what the clearance engine judges credentials on, without loading
	// evidence or deciding every task.
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.ID
	}
	res, err := s.clearance.Standings(q.ctx, ids, q.asOf)
	if err != nil {
		return nil, err
	}
	asOf, siteNames, loc := q.asOf, q.siteNames, s.cfg.Location()
	byID := map[string]credentials.Record{}
	for id, st := range res {
		if !q.inProgram(st.Enrollment.VersionID) {
			delete(res, id)
			continue
		}
		for _, r := range st.Stored {
			byID[r.ID] = r
		}
	}
	// Verifiers' names in one query per batch, remembered across batches.
	verifiers := q.names
	var verifierIDs []string
	for _, r := range byID {
		if _, known := verifiers[r.VerifiedBy]; r.VerifiedAt != nil && !known && !slices.Contains(verifierIDs, r.VerifiedBy) {
			verifierIDs = append(verifierIDs, r.VerifiedBy)
		}
	}
	if len(verifierIDs) > 0 {
		vs, err := s.accounts.ByIDs(q.ctx, verifierIDs)
		if err != nil {
			return nil, err
		}
		for _, id := range verifierIDs {
			verifiers[id] = "" // an unknown id is not asked for again
		}
		for _, v := range vs {
			verifiers[v.ID] = v.Name
		}
	}
	var rows []certRow
	for _, p := range people {
		r, ok := res[p.ID]
		if !ok {
			continue
		}
		prog := &r.Rules.Version().Program
		for _, st := range r.RequiredCredentials(asOf) {
			label, class := reports.CredentialLabel(st)
			tone := toneOf[class]
			if st.Status == curriculum.CredentialExpiring && st.DaysLeft > 30 {
				tone = reports.Good // amber is for 30 days or less
			}
			name := st.Credential
			if ct := prog.CredentialType(st.Credential); ct != nil {
				name = ct.Name
			}
			row := certRow{PersonID: p.ID, Person: p.Name, EmployeeID: p.EmployeeID, Site: siteNames[r.Enrollment.SiteID],
				Credential: name, Expires: st.Expires, Status: reports.Status{Text: label, Tone: tone}}
			if st.Record != nil {
				row.Number, row.Issued = st.Record.Number, st.Record.IssuedOn
				// A verification after the as-of day was not known then
				// (the status says "not verified yet"); times are shown in
				// the organisation's zone.
				if full, ok := byID[st.Record.ID]; ok && full.VerifiedAt != nil && !curriculum.DateOf(*full.VerifiedAt, loc).After(asOf) {
					row.VerifiedBy, row.VerifiedAt = verifiers[full.VerifiedBy], full.VerifiedAt.In(loc).Format("2006-01-02 15:04 MST")
				}
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}
