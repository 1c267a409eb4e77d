package server

import (
	"strings"

	"github.com/skillgate/skillgate/app/accounts"
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

// signOffRows lists every sign-off of the people's enrollments (in the
// program asked for), recorded by the as-of day.
func (s *Server) signOffRows(q *reportQuery, people []*accounts.Person) ([]signOffReportRow, error) {
	asOf := q.asOf
	ids := make([]string, len(people))
	names := map[string]string{}
	for i, p := range people {
		ids[i], names[p.ID] = p.ID, p.Name
	}
	ens, err := s.evidence.Store.Enrollments(q.ctx, evidence.EnrollmentFilter{ApprenticeIDs: ids, VersionIDs: q.versionIDs()})
	if err != nil {
		return nil, err
	}
	recs, err := s.evidence.Store.Records(q.ctx, ens)
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
