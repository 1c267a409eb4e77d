package server

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// The sign-offs register: every electronic signature, shown as everywhere
// else (printed name, credential, date and time with its zone, meaning),
// with the evidence it rests on, whether it still verifies, and any
// revocation.

type signOffReportRow struct {
	PersonID, Person, Competency, Kind string
	Signer, Credential, SignedAt       string
	Meaning, Evidence                  string
	Verified                           reports.Status
	Revocation                         string
	SignedOn                           curriculum.Date
}

func (s *Server) signOffRows(c *fiber.Ctx, asOf curriculum.Date, site string) ([]signOffReportRow, error) {
	people, _, err := s.reportPeople(c, site)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(people))
	names := map[string]string{}
	for i, p := range people {
		ids[i], names[p.ID] = p.ID, p.Name
	}
	ens, err := s.evidence.Store.Enrollments(c.UserContext(), evidence.EnrollmentFilter{ApprenticeIDs: ids})
	if err != nil {
		return nil, err
	}
	recs, err := s.evidence.Store.Records(c.UserContext(), ens)
	if err != nil {
		return nil, err
	}
	var rows []signOffReportRow
	for _, e := range ens {
		rec := recs[e.ID]
		for i := range rec.SignOffs {
			so := rec.SignOffs[i]
			if so.SignedOn.After(asOf) {
				continue
			}
			sig := so.Signature
			ok := assessments.VerifySignature(&so, evidence.SignedEvidenceFor(rec, &so)) == nil
			v := reports.Status{Text: "Signature verifies", Tone: reports.Good}
			if !ok {
				v = reports.Status{Text: "DOES NOT VERIFY: do not rely on it", Tone: reports.Bad}
			}
			ev := strings.Join(sig.PerformanceIDs, ", ")
			if sig.TestResultID != "" {
				ev += "; test " + sig.TestResultID
			}
			row := signOffReportRow{PersonID: e.ApprenticeID, Person: names[e.ApprenticeID], Competency: so.Competency, Kind: string(so.Kind),
				Signer: sig.PrintedName, Credential: string(sig.Credential), SignedAt: sig.Local().Format("2006-01-02 15:04:05 MST"),
				Meaning: sig.Meaning, Evidence: ev, Verified: v, SignedOn: so.SignedOn}
			for _, r := range rec.Revocations {
				if r.SignOffID == so.ID && !r.RecordedAt.IsZero() && !curriculum.DateOf(r.RecordedAt, nil).After(asOf) {
					row.Revocation = "Revoked from " + r.EffectiveOn.String() + " by " + r.RevokerName + ": " + r.Reason
				}
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

type signOffReportView struct {
	Rows  []signOffReportRow
	AsOf  curriculum.Date
	Site  string
	Sites []accounts.Site
	XLSX  string
}

func (s *Server) signOffsReport(c *fiber.Ctx) error {
	asOf, err := s.asOfParam(c)
	if err != nil {
		return err
	}
	site := c.Query("site")
	rows, err := s.signOffRows(c, asOf, site)
	if err != nil {
		return err
	}
	q := url.Values{"as_of": {asOf.String()}}
	if site != "" {
		q.Set("site", site)
	}
	sites, err := s.accounts.Sites(c.UserContext())
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "report_signoffs", Page{Title: "Sign-offs register", Nav: "reports",
		Data: signOffReportView{Rows: rows, AsOf: asOf, Site: site, Sites: sites, XLSX: "/reports/signoffs.xlsx?" + q.Encode()}})
}

func (s *Server) signOffsXLSX(c *fiber.Ctx) error {
	asOf, err := s.asOfParam(c)
	if err != nil {
		return err
	}
	site := c.Query("site")
	rows, err := s.signOffRows(c, asOf, site)
	if err != nil {
		return err
	}
	w, err := reports.New("Sign-offs", []reports.Column{{Title: "Apprentice", Width: 24}, {Title: "Competency", Width: 14}, {Title: "Kind", Width: 14},
		{Title: "Signed on", Width: 12}, {Title: "Signer (printed name)", Width: 24}, {Title: "Credential", Width: 10}, {Title: "Signed at", Width: 24},
		{Title: "Meaning", Width: 70}, {Title: "Evidence ids", Width: 60}, {Title: "Signature check", Width: 22}, {Title: "Revocation", Width: 50}})
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := w.Add(r.Person, r.Competency, r.Kind, r.SignedOn, r.Signer, r.Credential, r.SignedAt, r.Meaning, r.Evidence, r.Verified, r.Revocation); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if err := w.Finish(&buf, reports.About{Report: "Sign-offs register: every electronic signature", Filters: []string{"site: " + map[bool]string{true: "all you may see", false: site}[site == ""]},
		AsOf: asOf, GeneratedAt: s.now(), GeneratedBy: currentUser(c).Name + " <" + currentUser(c).Email + ">"}); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, credentials.ContentDisposition("signoffs-"+asOf.String()+".xlsx"))
	return c.Send(buf.Bytes())
}
