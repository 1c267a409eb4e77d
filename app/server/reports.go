package server

import (
	"slices"

	"github.com/gofiber/fiber/v2"

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

// reportPeople returns the apprentices the user may report on, by site.
func (s *Server) reportPeople(c *fiber.Ctx, siteFilter string) ([]*accounts.Person, map[string]string, error) {
	ctx := c.UserContext()
	u := currentUser(c)
	sites, err := s.accounts.Sites(ctx)
	if err != nil {
		return nil, nil, err
	}
	siteNames := map[string]string{}
	for _, st := range sites {
		siteNames[st.ID] = st.Name
	}
	var people []*accounts.Person
	switch {
	case u.HasAny(accounts.RoleAdmin, accounts.RoleHR, accounts.RoleDirector):
		// Every apprentice of the sites in scope, in three queries.
		var scope []string // nil: every site (admins, no filter)
		if siteFilter != "" || !u.Has(accounts.RoleAdmin) {
			scope = []string{}
			for _, st := range sites {
				if (siteFilter == "" || st.ID == siteFilter) && (u.Has(accounts.RoleAdmin) || slices.Contains(u.SiteIDs, st.ID)) {
					scope = append(scope, st.ID)
				}
			}
		}
		if people, err = s.accounts.Members(ctx, accounts.RoleApprentice, scope); err != nil {
			return nil, nil, err
		}
	case u.Has(accounts.RolePreceptor):
		ens, err := s.evidence.Store.Enrollments(ctx, evidence.EnrollmentFilter{PreceptorID: u.ID})
		if err != nil {
			return nil, nil, err
		}
		ids := make([]string, 0, len(ens))
		for _, e := range ens {
			ids = append(ids, e.ApprenticeID)
		}
		if people, err = s.accounts.ByIDs(ctx, ids); err != nil {
			return nil, nil, err
		}
	default:
		people = []*accounts.Person{u}
	}
	return people, siteNames, nil
}

// reportSet is the people a report covers and their decisions on the
// as-of day: what every report starts from.
type reportSet struct {
	People    []*accounts.Person
	IDs       []string
	SiteNames map[string]string
	Results   map[string]*clearance.Result
}

func (s *Server) reportSet(c *fiber.Ctx, asOf curriculum.Date, site string) (reportSet, error) {
	people, siteNames, err := s.reportPeople(c, site)
	if err != nil {
		return reportSet{}, err
	}
	set := reportSet{People: people, SiteNames: siteNames, IDs: make([]string, len(people))}
	for i, p := range people {
		set.IDs[i] = p.ID
	}
	set.Results, err = s.clearance.ForPeople(c.UserContext(), set.IDs, asOf)
	return set, err
}

func (s *Server) certificationRows(c *fiber.Ctx, asOf curriculum.Date, site string) ([]certRow, error) {
	set, err := s.reportSet(c, asOf, site)
	if err != nil {
		return nil, err
	}
	people, siteNames, res := set.People, set.SiteNames, set.Results
	recs, err := s.evidence.Credentials.ForPeople(c.UserContext(), set.IDs)
	if err != nil {
		return nil, err
	}
	byID := map[string]credentials.Record{}
	for _, rs := range recs {
		for _, r := range rs {
			byID[r.ID] = r
		}
	}
	// Verifiers' names in one query.
	var verifierIDs []string
	for _, r := range byID {
		if r.VerifiedAt != nil && !slices.Contains(verifierIDs, r.VerifiedBy) {
			verifierIDs = append(verifierIDs, r.VerifiedBy)
		}
	}
	verifiers := map[string]string{}
	if len(verifierIDs) > 0 {
		vs, err := s.accounts.ByIDs(c.UserContext(), verifierIDs)
		if err != nil {
			return nil, err
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
		prog := r.Program()
		for _, st := range r.RequiredCredentials(asOf) {
			label, class := credentialLabel(st)
			tone := map[string]reports.Tone{"status-ok": reports.Good, "status-warn": reports.Warn, "status-bad": reports.Bad}[class]
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
				if full, ok := byID[st.Record.ID]; ok && full.VerifiedAt != nil {
					row.VerifiedBy, row.VerifiedAt = verifiers[full.VerifiedBy], full.VerifiedAt.UTC().Format("2006-01-02 15:04 UTC")
				}
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}
