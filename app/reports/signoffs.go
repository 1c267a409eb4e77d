package reports

import (
	"context"
	"strings"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// The sign-offs register: every electronic signature, shown as everywhere
// else (printed name, credential, date and time with its zone, meaning),
// with the evidence it rests on, whether it still verifies, and any
// revocation; and every paper sign-off transcribed from historical
// records, marked as such (no signing time, nothing to verify).

// SignOffRow is one electronic signature.
type SignOffRow struct {
	PersonID, Person, Competency, Kind string
	Signer, Credential, SignedAt       string // SignedAt for the page, in the organisation's zone
	SignedTime                         time.Time
	Meaning, Evidence                  string
	Verified                           Status
	Revocation                         string
	SignedOn                           curriculum.Date
}

// signOffRows lists every sign-off of the people's enrollments (in the
// program asked for), recorded by the as-of day.
func (s *Service) signOffRows(ctx context.Context, q *Query, people []*accounts.Person) ([]SignOffRow, error) {
	asOf := q.AsOf
	ids := make([]string, len(people))
	names := map[string]string{}
	for i, p := range people {
		ids[i], names[p.ID] = p.ID, p.Name
	}
	ens, err := s.Evidence.Store.Enrollments(ctx, evidence.EnrollmentFilter{ApprenticeIDs: ids, VersionIDs: q.versionIDs()})
	if err != nil {
		return nil, err
	}
	recs, err := s.Evidence.Store.Records(ctx, ens)
	if err != nil {
		return nil, err
	}
	var rows []SignOffRow
	for _, e := range ens {
		if !q.covers(&e) || (!q.KnownAt.IsZero() && e.CreatedAt.After(q.KnownAt)) {
			continue // not this report's, or not on file yet as known at that instant
		}
		rec := recs[e.ID]
		// As known at an instant: only sign-offs, revocations and paper
		// sign-offs recorded by then. A signature is still checked against
		// everything on file (what it signed was recorded before it).
		known := rec
		if !q.KnownAt.IsZero() {
			known = rec.KnownAt(q.KnownAt)
		}
		for i := range known.SignOffs {
			so := known.SignOffs[i]
			if so.SignedOn.After(asOf) {
				continue
			}
			sig := so.Signature
			ok := assessments.VerifySignature(&so, evidence.SignedEvidenceFor(rec, &so)) == nil
			v := Status{Text: "Signature verifies", Tone: Good}
			if !ok {
				v = Status{Text: "DOES NOT VERIFY: do not rely on it", Tone: Bad}
			}
			ev := strings.Join(sig.PerformanceIDs, ", ")
			if sig.TestResultID != "" {
				ev += "; test " + sig.TestResultID
			}
			row := SignOffRow{PersonID: e.ApprenticeID, Person: names[e.ApprenticeID], Competency: so.Competency, Kind: string(so.Kind),
				Signer: sig.PrintedName, Credential: string(sig.Credential), SignedAt: sig.SignedAt.In(s.location()).Format("2006-01-02 15:04:05 MST"), SignedTime: sig.SignedAt,
				Meaning: sig.Meaning, Evidence: ev, Verified: v, SignedOn: so.SignedOn}
			for _, r := range known.Revocations {
				if r.SignOffID == so.ID && !r.RecordedAt.IsZero() && !curriculum.DateOf(r.RecordedAt, nil).After(asOf) {
					row.Revocation = "Revoked from " + r.EffectiveOn.String() + " by " + r.RevokerName + ": " + r.Reason
				}
			}
			rows = append(rows, row)
		}
		// Paper sign-offs transcribed by the as-of day, marked as such:
		// evidence of a paper signature, not an electronic one.
		for _, p := range known.PaperSignOffs {
			if p.SignedOn.After(asOf) || curriculum.DateOf(p.RecordedAt, s.location()).After(asOf) {
				continue
			}
			pv, err := s.Evidence.Version(ctx, e.VersionID) // compiled once per process
			if err != nil {
				return nil, err
			}
			counts := "It counts: the program allows paper sign-offs for this competency."
			if !p.Counts(pv) {
				counts = "It does not count: the program requires an electronic sign-off for this competency."
			}
			row := SignOffRow{PersonID: e.ApprenticeID, Person: names[e.ApprenticeID], Competency: p.Competency,
				Kind: string(p.Kind) + " (transcribed from paper)", Signer: p.PrintedName, Credential: string(p.Credential),
				Meaning:  "Paper sign-off transcribed from paper on " + p.RecordedAt.In(s.location()).Format("2006-01-02 15:04 MST") + "; not an electronic signature. " + counts,
				Evidence: p.SourceNote, Verified: Status{Text: "Paper signature (transcribed): nothing electronic to check", Tone: Warn}, SignedOn: p.SignedOn}
			for _, r := range known.Revocations {
				if r.SignOffID == p.ID && !curriculum.DateOf(r.RecordedAt, s.location()).After(asOf) {
					row.Revocation = "Revoked from " + r.EffectiveOn.String() + " by " + r.RevokerName + ": " + r.Reason
				}
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// SignOffs is the sign-offs register.
var SignOffs = &Report[SignOffRow]{
	Title: "Sign-offs register: every electronic signature (and paper sign-offs transcribed from paper)", Sheet: "Sign-offs",
	Columns: []Column{{Title: "Apprentice", Width: 24}, {Title: "Competency", Width: 14}, {Title: "Kind", Width: 14},
		{Title: "Signed on", Width: 12}, {Title: "Signer (printed name)", Width: 24}, {Title: "Credential", Width: 10}, {Title: "Signed at", Width: 24, Zoned: true},
		{Title: "Meaning", Width: 70}, {Title: "Evidence ids", Width: 60}, {Title: "Signature check", Width: 22}, {Title: "Revocation", Width: 50}},
	rows:      (*Service).signOffRows,
	AsKnownAt: true,
	cells: func(r SignOffRow) []any {
		return []any{r.Person, r.Competency, r.Kind, r.SignedOn, r.Signer, r.Credential, r.SignedTime, r.Meaning, r.Evidence, r.Verified, r.Revocation}
	},
}
