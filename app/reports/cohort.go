package reports

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// The cohort matrix: every current apprentice of some sites × competency,
// counts against the requirement and sign-off state, as directors read it.

// Cohort is the matrix of one program. Competencies are the program's as
// its newest version in the cohort has them; a competency another version
// lacks shows as such in its cell.
type Cohort struct {
	Program, ProgramCode string
	// Programs are the programs the cohort's apprentices follow, by title:
	// the matrix shows one at a time.
	Programs     []CohortProgram
	Competencies []curriculum.Competency
	Rows         []CohortRow // in the order asked for
	// TooMany is how many apprentices there are when more than the
	// filter's Limit: no grid then, a site to choose.
	TooMany int
}

// CohortProgram is a program a cohort follows.
type CohortProgram struct{ Code, Title string }

// CohortRow is one apprentice's enrollment.
type CohortRow struct {
	Name, EnrollmentID string
	Percent            int
	Cells              []CohortCell // one per competency, in order
}

// CohortCell is one competency's state as a symbol or count, with its
// status class; Code names the competency (the cell links to its part of
// the enrollment page, which says the state in full).
type CohortCell struct {
	Code, Text, Class string
}

// CohortFilter says which part of the cohort to show, and in which order.
type CohortFilter struct {
	// SiteIDs are the sites the reader may see; SiteID, when set, one of
	// them.
	SiteIDs []string
	SiteID  string
	// Program is a program code; empty means the first by title.
	Program string
	// Sort is "name" (default) or "progress"; Desc reverses it.
	Sort string
	Desc bool
	// Limit, when positive, is the most apprentices one grid shows: a
	// larger cohort asks for a site instead (Cohort.TooMany).
	Limit int
}

// Cohort returns the matrix of the current (not moved away from, not
// withdrawn) enrollments at the sites f selects, summarised now.
func (s *Service) Cohort(ctx context.Context, f CohortFilter) (*Cohort, error) {
	siteIDs := f.SiteIDs
	if f.SiteID != "" {
		if !slices.Contains(f.SiteIDs, f.SiteID) {
			return &Cohort{}, nil
		}
		siteIDs = []string{f.SiteID}
	}
	ens, err := s.Evidence.Store.Enrollments(ctx, evidence.EnrollmentFilter{SiteIDs: siteIDs})
	if err != nil {
		return nil, err
	}
	ens, err = s.InForce(ctx, ens)
	if err != nil {
		return nil, err
	}
	current := ens[:0]
	for _, e := range ens {
		if e.Status != assessments.EnrollmentWithdrawn {
			current = append(current, e)
		}
	}
	if f.Limit > 0 && len(current) > f.Limit {
		return &Cohort{TooMany: len(current)}, nil
	}
	// The grid shows counts and sign-off states only: the records as the
	// clearance engine reads them (no steps, names or signatures) are
	// enough, and a fraction of the bytes.
	recs, err := s.Evidence.LoadScoped(ctx, current, evidence.DecisionFields)
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
	// The programs followed; the one asked for (else the first by title)
	// is shown, with the competencies of its newest version here.
	newest := map[string]*assessments.Records{}
	for _, e := range current {
		rec := recs[e.ID]
		prog := rec.Enrollment.Version.Program()
		if n, ok := newest[prog.Code]; !ok || rec.Enrollment.Version.Rules.Version().Number > n.Enrollment.Version.Rules.Version().Number {
			newest[prog.Code] = rec
		}
	}
	for code, rec := range newest {
		v.Programs = append(v.Programs, CohortProgram{Code: code, Title: rec.Enrollment.Version.Program().Title})
	}
	sort.Slice(v.Programs, func(i, j int) bool { return v.Programs[i].Title < v.Programs[j].Title })
	if len(v.Programs) == 0 {
		return v, nil
	}
	v.ProgramCode = v.Programs[0].Code
	if _, ok := newest[f.Program]; ok {
		v.ProgramCode = f.Program
	}
	shown := newest[v.ProgramCode].Enrollment.Version.Program()
	v.Program, v.Competencies = shown.Title, shown.Competencies
	now := s.now()
	for _, e := range current {
		rec := recs[e.ID]
		if rec.Enrollment.Version.Program().Code != v.ProgramCode {
			continue
		}
		pr := assessments.Summarize(rec, now)
		row := CohortRow{Name: names[e.ApprenticeID], EnrollmentID: e.ID, Percent: pr.Percent}
		for _, comp := range v.Competencies {
			cell := CohortCell{Code: comp.Code, Text: "—"} // not in this apprentice's version
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
					cell = CohortCell{Code: comp.Code, Text: "✓", Class: "status-ok"}
				case cp.SignedOff:
					cell = CohortCell{Code: comp.Code, Text: "!", Class: "status-warn"}
				case need > 0:
					cell = CohortCell{Code: comp.Code, Text: strconv.Itoa(done) + "/" + strconv.Itoa(need)}
				default:
					cell = CohortCell{Code: comp.Code, Text: "·"}
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		v.Rows = append(v.Rows, row)
	}
	less := func(a, b CohortRow) bool {
		if f.Sort == "progress" && a.Percent != b.Percent {
			return a.Percent < b.Percent
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.EnrollmentID < b.EnrollmentID
	}
	sort.Slice(v.Rows, func(i, j int) bool {
		if f.Desc {
			return less(v.Rows[j], v.Rows[i])
		}
		return less(v.Rows[i], v.Rows[j])
	})
	return v, nil
}

// VersionMember is an apprentice enrolled in an older version of a
// program: who a newer version would affect if moved.
type VersionMember struct {
	EnrollmentID, ApprenticeID, Name, Site string
	Version                                int
}

// OnOlderVersions lists, by name, the current enrollments (not moved away
// from, not withdrawn or completed) at the sites in versions of the
// program older than number, in one statement.
func (s *Service) OnOlderVersions(ctx context.Context, siteIDs []string, programID string, number int) ([]VersionMember, error) {
	var rows []struct {
		EnrollmentID string `bun:"enrollment_id"`
		ApprenticeID string `bun:"apprentice_id"`
		Name         string `bun:"name"`
		Site         string `bun:"site"`
		Version      int    `bun:"version"`
	}
	err := s.DB.NewRaw(`SELECT e.id AS enrollment_id, e.apprentice_id, u.name, st.name AS site, v.number AS version
		FROM enrollments AS e JOIN program_versions AS v ON v.id = e.version_id JOIN users AS u ON u.id = e.apprentice_id
		JOIN sites AS st ON st.id = e.site_id
		WHERE v.program_id = ? AND v.number < ? AND e.site_id IN (?) AND e.status IN (?, ?)
		AND NOT EXISTS (SELECT 1 FROM enrollment_moves AS m WHERE m.from_enrollment_id = e.id)
		ORDER BY u.name, e.id`, programID, number, db.IDs(siteIDs), string(assessments.EnrollmentActive), string(assessments.EnrollmentOnHold)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("enrollments on older versions: %w", db.Translate(err))
	}
	out := make([]VersionMember, len(rows))
	for i, r := range rows {
		out[i] = VersionMember{EnrollmentID: r.EnrollmentID, ApprenticeID: r.ApprenticeID, Name: r.Name, Site: r.Site, Version: r.Version}
	}
	return out, nil
}
