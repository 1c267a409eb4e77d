package reports

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

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
	// Overdue names the apprentice's overdue periodic evaluation
	// ("Evaluation 2 overdue since 2026-07-05"); empty when none is.
	Overdue string
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
	marks, versions, err := s.cohortMarks(ctx, current)
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
	newest := map[string]*assessments.ProgramVersion{}
	for _, e := range current {
		pv := versions[e.ID]
		code := pv.Program().Code
		if n, ok := newest[code]; !ok || pv.Rules.Version().Number > n.Rules.Version().Number {
			newest[code] = pv
		}
	}
	for code, pv := range newest {
		v.Programs = append(v.Programs, CohortProgram{Code: code, Title: pv.Program().Title})
	}
	sort.Slice(v.Programs, func(i, j int) bool { return v.Programs[i].Title < v.Programs[j].Title })
	if len(v.Programs) == 0 {
		return v, nil
	}
	v.ProgramCode = v.Programs[0].Code
	if _, ok := newest[f.Program]; ok {
		v.ProgramCode = f.Program
	}
	shown := newest[v.ProgramCode].Program()
	v.Program, v.Competencies = shown.Title, shown.Competencies
	// Where each shown competency is in each version's program.
	at := map[*assessments.ProgramVersion][]int{}
	for _, e := range current {
		pv := versions[e.ID]
		if pv.Program().Code != v.ProgramCode {
			continue
		}
		pos, ok := at[pv]
		if !ok {
			pos = make([]int, len(v.Competencies))
			for i, comp := range v.Competencies {
				pos[i] = slices.IndexFunc(pv.Program().Competencies, func(c curriculum.Competency) bool { return c.Code == comp.Code })
			}
			at[pv] = pos
		}
		ms := marks[e.ID]
		signed := 0
		for _, m := range ms {
			if m.SignedOff {
				signed++
			}
		}
		// As assessments.Progress.Percent: signed off of every competency
		// of the apprentice's version, rounded down.
		row := CohortRow{Name: names[e.ApprenticeID], EnrollmentID: e.ID, Cells: make([]CohortCell, len(v.Competencies))}
		if len(ms) > 0 {
			row.Percent = signed * 100 / len(ms)
		}
		for i, comp := range v.Competencies {
			row.Cells[i] = cohortCell(comp.Code, pos[i], ms)
		}
		v.Rows = append(v.Rows, row)
	}
	if err := s.overdueEvaluations(ctx, current, versions, v.Rows); err != nil {
		return nil, err
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

// overdueEvaluations marks the rows whose next periodic evaluation is
// overdue today (one query for all of them).
func (s *Service) overdueEvaluations(ctx context.Context, ens []assessments.Enrollment, versions map[string]*assessments.ProgramVersion, rows []CohortRow) error {
	if s.Evaluations == nil || len(rows) == 0 {
		return nil
	}
	byID := map[string]*assessments.Enrollment{}
	all := make([]*assessments.Enrollment, len(ens))
	for i := range ens {
		e := ens[i]
		e.Version = versions[e.ID]
		byID[e.ID], all[i] = &e, &e
	}
	done, err := s.Evaluations.Load(ctx, all...)
	if err != nil {
		return err
	}
	today := curriculum.DateOf(s.now(), s.location())
	for i := range rows {
		e := byID[rows[i].EnrollmentID]
		for _, st := range assessments.EvaluationsOf(e, done[e.ID], today) {
			if st.Status == assessments.EvaluationOverdue {
				rows[i].Overdue = fmt.Sprintf("Evaluation %d overdue since %s", st.Seq, st.DueOn.AddDays(1))
			}
		}
	}
	return nil
}

// cohortCell is the cell of competency code, at index i of the
// apprentice's marks (-1: not in the apprentice's version).
func cohortCell(code string, i int, ms []assessments.Mark) CohortCell {
	if i < 0 || i >= len(ms) {
		return CohortCell{Code: code, Text: "—"}
	}
	switch m := ms[i]; {
	case m.Current:
		return CohortCell{Code: code, Text: "✓", Class: "status-ok"}
	case m.SignedOff:
		return CohortCell{Code: code, Text: "!", Class: "status-warn"}
	case m.Need > 0:
		return CohortCell{Code: code, Text: strconv.Itoa(int(m.Done)) + "/" + strconv.Itoa(int(m.Need))}
	default:
		return CohortCell{Code: code, Text: "·"}
	}
}

// cohortMarks returns the competency marks of each enrollment today
// (assessments.Marks) and its program version, both by enrollment id. The
// marks come from the decision cache (clearance.DecideMany: the people's
// decision stamps in one statement, and the records only of those
// written for since) for every enrollment that is its apprentice's
// enrollment in force today, as nearly all current ones are; the rest
// (not started yet, or moved from on a later day) are marked from their
// records. Either way a fixed number of statements.
func (s *Service) cohortMarks(ctx context.Context, ens []assessments.Enrollment) (map[string][]assessments.Mark, map[string]*assessments.ProgramVersion, error) {
	now := s.now()
	versions := make(map[string]*assessments.ProgramVersion, len(ens))
	// Today is the program's day (as Summarize reads it), so usually one
	// day for everyone.
	byDay := map[curriculum.Date][]string{}
	for _, e := range ens {
		// Compiled once per process: no query after the first.
		pv, err := s.Evidence.Version(ctx, e.VersionID)
		if err != nil {
			return nil, nil, err
		}
		versions[e.ID] = pv
		day := pv.Day(now)
		if !slices.Contains(byDay[day], e.ApprenticeID) {
			byDay[day] = append(byDay[day], e.ApprenticeID)
		}
	}
	marks := make(map[string][]assessments.Mark, len(ens))
	for day, people := range byDay {
		decided, err := s.Clearance.DecideMany(ctx, people, day)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range ens {
			if d := decided[e.ApprenticeID]; d != nil && d.AsOf == day && d.Enrollment.ID == e.ID && d.Marks() != nil {
				marks[e.ID] = d.Marks()
			}
		}
	}
	var rest []assessments.Enrollment
	for _, e := range ens {
		if _, ok := marks[e.ID]; !ok {
			rest = append(rest, e)
		}
	}
	if err := s.marksFromRecords(ctx, rest, now, marks); err != nil {
		return nil, nil, err
	}
	return marks, versions, nil
}

// marksFromRecords adds to marks those of enrollments ens on the
// program's day of now, from their records as the clearance engine reads
// them (no steps, names or signatures).
func (s *Service) marksFromRecords(ctx context.Context, ens []assessments.Enrollment, now time.Time, marks map[string][]assessments.Mark) error {
	if len(ens) == 0 {
		return nil
	}
	recs, err := s.Evidence.LoadScoped(ctx, ens, evidence.DecisionFields)
	if err != nil {
		return err
	}
	for _, e := range ens {
		rec := recs[e.ID]
		pv := rec.Enrollment.Version
		marks[e.ID] = assessments.Marks(pv, assessments.BuildEvidence(rec), pv.Day(now))
	}
	return nil
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
