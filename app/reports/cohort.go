package reports

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// The cohort matrix: every current apprentice of some sites × competency,
// counts against the requirement and sign-off state, as directors read it.

// Cohort is the matrix. Competencies are the first enrollment's program's;
// a competency another version lacks shows as such in its cell.
type Cohort struct {
	Program      string
	Competencies []curriculum.Competency
	Rows         []CohortRow // by name
}

// CohortRow is one apprentice's enrollment.
type CohortRow struct {
	Name, EnrollmentID string
	Percent            int
	Cells              []CohortCell // one per competency, in order
}

// CohortCell is one competency's state in words and symbol, with its
// status class.
type CohortCell struct {
	Text, Class, Title string
}

// Cohort returns the matrix of the current (not moved away from, not
// withdrawn) enrollments at the sites, summarised now.
func (s *Service) Cohort(ctx context.Context, siteIDs []string) (*Cohort, error) {
	ens, err := s.Evidence.Store.Enrollments(ctx, evidence.EnrollmentFilter{SiteIDs: siteIDs})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(ens))
	for i, e := range ens {
		ids[i] = e.ID
	}
	moves, err := s.Evidence.Store.Moves(ctx, ids)
	if err != nil {
		return nil, err
	}
	moved := map[string]bool{}
	for _, m := range moves {
		moved[m.From] = true
	}
	current := ens[:0]
	for _, e := range ens {
		if !moved[e.ID] && e.Status != assessments.EnrollmentWithdrawn {
			current = append(current, e)
		}
	}
	recs, err := s.Evidence.Load(ctx, current)
	if err != nil {
		return nil, err
	}
	v := &Cohort{}
	apprentices := make([]string, len(current))
	for i, e := range current {
		apprentices[i] = e.ApprenticeID
	}
	// One query for every name, not one per apprentice.
	list, err := s.Accounts.ByIDs(ctx, apprentices)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, p := range list {
		names[p.ID] = p.Name
	}
	now := s.now()
	for _, e := range current {
		rec := recs[e.ID]
		prog := rec.Enrollment.Version.Program()
		if v.Competencies == nil {
			v.Competencies, v.Program = prog.Competencies, prog.Title
		}
		pr := assessments.Summarize(rec, now)
		row := CohortRow{Name: names[e.ApprenticeID], EnrollmentID: e.ID, Percent: pr.Percent}
		for _, comp := range v.Competencies {
			cell := CohortCell{Text: "—", Class: "", Title: "not in this apprentice's version"}
			for _, cp := range pr.Competencies {
				if cp.Code != comp.Code {
					continue
				}
				done, need := 0, 0
				for _, vp := range cp.Variants {
					done, need = done+min(vp.Successful, vp.Required), need+vp.Required
				}
				switch {
				case cp.Current:
					cell = CohortCell{Text: "✓", Class: "status-ok", Title: "signed off " + cp.SignedOffOn.String()}
				case cp.SignedOff:
					cell = CohortCell{Text: "!", Class: "status-warn", Title: strings.Join(cp.Missing, "; ")}
				case need > 0:
					cell = CohortCell{Text: strconv.Itoa(done) + "/" + strconv.Itoa(need), Title: strings.Join(cp.Missing, "; ")}
				default:
					cell = CohortCell{Text: "·", Title: strings.Join(cp.Missing, "; ")}
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		v.Rows = append(v.Rows, row)
	}
	sort.Slice(v.Rows, func(i, j int) bool { return v.Rows[i].Name < v.Rows[j].Name })
	return v, nil
}
