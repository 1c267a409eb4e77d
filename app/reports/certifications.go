package reports

import (
	"context"
	"slices"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/curriculum"
)

// The certifications report: every person × required credential, as a
// page and as the same rows in an .xlsx workbook. Who sees which rows is
// decided when the people are chosen: HR, admins and directors their
// sites, preceptors their assigned apprentices, apprentices themselves.

// CertificationRow is one person × required credential.
type CertificationRow struct {
	PersonID, Person, EmployeeID, Site string
	Credential, Number                 string
	Issued, Expires                    curriculum.Date
	Status                             Status
	VerifiedBy                         string
	VerifiedAt                         string    // for the page, in the organisation's zone
	VerifiedTime                       time.Time // for the workbook
}

// reportSet is a batch of people and their decisions on the as-of day,
// kept only when the enrollment in force that day is in the program asked
// for: what every report but the register starts from.
type reportSet struct {
	People  []*accounts.Person
	IDs     []string
	Results map[string]*clearance.Result
}

func (s *Service) reportSet(ctx context.Context, q *Query, people []*accounts.Person) (reportSet, error) {
	set := reportSet{People: people, IDs: make([]string, len(people))}
	for i, p := range people {
		set.IDs[i] = p.ID
	}
	var err error
	// As known at an instant when the report honours it (zero: now).
	if set.Results, err = s.Clearance.ForPeopleKnownAt(ctx, set.IDs, q.AsOf, q.KnownAt); err != nil {
		return set, err
	}
	for id, r := range set.Results {
		if !q.covers(r.Enrollment) {
			delete(set.Results, id)
		}
	}
	return set, nil
}

var toneOf = map[string]Tone{"status-ok": Good, "status-warn": Warn, "status-bad": Bad}

// certificationRows: with a program filter, the people enrolled in that
// program on the as-of day (by the enrollment in force that day, as the
// clearance engine decides it) × the credentials that program's version
// requires. That is what an auditor of one program expects: its own
// roster and its own requirements. People who left the program, moved to
// another program or start later are not in it; a credential only another
// program requires is not listed; and a person enrolled in the program is
// listed even when a credential is missing (the row says "missing").
func (s *Service) certificationRows(ctx context.Context, q *Query, people []*accounts.Person) ([]CertificationRow, error) {
	// Credentials only: the standing (enrollment in force, credentials)
	// is what the clearance engine judges credentials on, without loading
	// evidence or deciding every task.
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.ID
	}
	res, err := s.Clearance.StandingsKnownAt(ctx, ids, q.AsOf, q.KnownAt)
	if err != nil {
		return nil, err
	}
	asOf, siteNames, loc := q.AsOf, q.SiteNames, s.location()
	byID := map[string]credentials.Record{}
	for id, st := range res {
		if !q.covers(st.Enrollment) {
			delete(res, id)
			continue
		}
		for _, r := range st.Stored {
			byID[r.ID] = r
		}
	}
	// Verifiers' names in one query per batch.
	verifiers := map[string]string{}
	var verifierIDs []string
	for _, r := range byID {
		if _, known := verifiers[r.VerifiedBy]; r.VerifiedAt != nil && !known && !slices.Contains(verifierIDs, r.VerifiedBy) {
			verifierIDs = append(verifierIDs, r.VerifiedBy)
		}
	}
	if len(verifierIDs) > 0 {
		vs, err := s.Accounts.ByIDs(ctx, verifierIDs)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			verifiers[v.ID] = v.Name
		}
	}
	var rows []CertificationRow
	for _, p := range people {
		r, ok := res[p.ID]
		if !ok {
			continue
		}
		prog := &r.Rules.Version().Program
		for _, st := range r.RequiredCredentials(asOf) {
			label, class := CredentialLabel(st)
			tone := toneOf[class]
			if st.Status == curriculum.CredentialExpiring && st.DaysLeft > 30 {
				tone = Good // amber is for 30 days or less
			}
			name := st.Credential
			if ct := prog.CredentialType(st.Credential); ct != nil {
				name = ct.Name
			}
			row := CertificationRow{PersonID: p.ID, Person: p.Name, EmployeeID: p.EmployeeID, Site: siteNames[r.Enrollment.SiteID],
				Credential: name, Expires: st.Expires, Status: Status{Text: label, Tone: tone}}
			if st.Record != nil {
				row.Number, row.Issued = st.Record.Number, st.Record.IssuedOn
				// A verification after the as-of day was not known then
				// (the status says "not verified yet"); times are shown in
				// the organisation's zone.
				if full, ok := byID[st.Record.ID]; ok && full.VerifiedAt != nil && !curriculum.DateOf(*full.VerifiedAt, loc).After(asOf) {
					row.VerifiedBy, row.VerifiedAt = verifiers[full.VerifiedBy], full.VerifiedAt.In(loc).Format("2006-01-02 15:04 MST")
					row.VerifiedTime = *full.VerifiedAt
				}
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// Certifications is the certifications report.
var Certifications = &Report[CertificationRow]{
	Title: "Certifications: every person × required credential", Sheet: "Certifications",
	Columns: []Column{{Title: "Person", Width: 24}, {Title: "Employee id", Width: 14}, {Title: "Site", Width: 26},
		{Title: "Credential", Width: 34}, {Title: "Number", Width: 16}, {Title: "Issued", Width: 12}, {Title: "Expires", Width: 12},
		{Title: "Status", Width: 36}, {Title: "Verified by", Width: 22}, {Title: "Verified at", Width: 20, Zoned: true}},
	rows:      (*Service).certificationRows,
	AsKnownAt: true,
	// It reads people, enrollments and credentials, no evidence: a batch
	// of 2,000 is about a megabyte, and PostgreSQL may well scan the
	// credentials table once per batch rather than probe its index.
	batch: 2000,
	cells: func(r CertificationRow) []any {
		return []any{r.Person, r.EmployeeID, r.Site, r.Credential, r.Number, r.Issued, r.Expires, r.Status, r.VerifiedBy, r.VerifiedTime}
	},
}
