package reports

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/documents"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// The RAPIDS export: one row per registered apprenticeship (an enrollment,
// followed through moves to newer program versions), with the fields a
// sponsor enters in the Department of Labor's RAPIDS: the apprentice's
// identity and demographics, the occupation, program type, start date,
// OJL and RTI hours, status and its date, credential earned. Only HR and
// administrators may make it (it holds demographic fields); the server
// audits every export. docs/rapids.md maps each column to RAPIDS and says
// which fields are left for the sponsor.

// RAPIDSRow is one apprenticeship.
type RAPIDSRow struct {
	EnrollmentID, PersonID, Person, Email, EmployeeID, Site string
	HireDate                                                curriculum.Date
	Demographics                                            accounts.Demographics
	Program, ProgramType, RapidsCode, ONetCode              string
	StartDate                                               curriculum.Date
	// Probation is blank: programs define no probation period
	// (docs/rapids.md).
	Probation string
	// WageAtRegistration is the first step of the wage schedule of the
	// version the apprentice registered in, in dollars an hour;
	// JourneyworkerWage that version's journeyworker rate (nil when the
	// program does not tell).
	WageAtRegistration, JourneyworkerWage any
	OJLHours, RTIHours                    float64
	// Status is RAPIDS' word (Active, Suspension, Cancellation,
	// Completion), StatusDate the day it took effect, StatusReason the
	// reason the director recorded with the change.
	Status, StatusReason string
	StatusDate           curriculum.Date
	// Credential is the credential earned: the completion certificate's
	// title and the completion date, once completed by a signature.
	Credential string
}

// RAPIDSColumns are the export's columns, in order (docs/rapids.md).
var RAPIDSColumns = []Column{
	{Title: "Apprentice", Width: 24}, {Title: "Email", Width: 28}, {Title: "Employee ID", Width: 12}, {Title: "Site", Width: 20},
	{Title: "Hire date", Width: 12}, {Title: "Date of birth", Width: 12}, {Title: "Gender", Width: 12}, {Title: "Ethnicity", Width: 20},
	{Title: "Race", Width: 28}, {Title: "Veteran status", Width: 18}, {Title: "Disability", Width: 16}, {Title: "Education level", Width: 24},
	{Title: "Employment status", Width: 24}, {Title: "Program", Width: 32}, {Title: "Program type", Width: 16},
	{Title: "RAPIDS occupation code", Width: 10}, {Title: "O*NET code", Width: 12}, {Title: "Start date", Width: 12},
	{Title: "Probation", Width: 12}, {Title: "Wage at registration ($ an hour)", Width: 12},
	{Title: "Journeyworker wage ($ an hour)", Width: 12}, {Title: "OJL hours", Width: 10}, {Title: "RTI hours", Width: 10},
	{Title: "Status", Width: 14}, {Title: "Status date", Width: 12}, {Title: "Status reason", Width: 30}, {Title: "Credential earned", Width: 36},
	{Title: "Skillgate enrollment id", Width: 38},
}

// cells are the row's values in RAPIDSColumns' order, typed for a
// workbook.
func (r RAPIDSRow) cells() []any {
	d := r.Demographics
	dob, _ := curriculum.ParseDate(d.DateOfBirth) // zero (empty) when not recorded
	return []any{r.Person, r.Email, r.EmployeeID, r.Site, r.HireDate, dob, accounts.Label(accounts.Genders, d.Gender),
		accounts.Label(accounts.Ethnicities, d.Ethnicity), d.RaceLabel(), accounts.Label(accounts.VeteranStatuses, d.VeteranStatus),
		accounts.Label(accounts.Disabilities, d.Disability), accounts.Label(accounts.EducationLevels, d.EducationLevel),
		accounts.Label(accounts.EmploymentStatuses, d.EmploymentStatus), r.Program, r.ProgramType, r.RapidsCode, r.ONetCode, r.StartDate,
		r.Probation, r.WageAtRegistration, r.JourneyworkerWage, r.OJLHours, r.RTIHours, r.Status, r.StatusDate, r.StatusReason, r.Credential, r.EnrollmentID}
}

// RAPIDSQuery is one request for the export: the report filters (scope,
// site, program; AsOf ends the date range) and From, the range's first
// day (zero: from the beginning).
type RAPIDSQuery struct {
	*Query
	From curriculum.Date
}

// rapidsStatus is each enrollment status in RAPIDS' words.
var rapidsStatus = map[assessments.EnrollmentStatus]string{
	assessments.EnrollmentActive: "Active", assessments.EnrollmentOnHold: "Suspension",
	assessments.EnrollmentWithdrawn: "Cancellation", assessments.EnrollmentCompleted: "Completion",
}

// programTypes are the program types in RAPIDS' words.
var programTypes = map[curriculum.ApprenticeshipType]string{
	curriculum.TimeBased: "Time-based", curriculum.CompetencyBased: "Competency-based", curriculum.Hybrid: "Hybrid",
}

// statusChange is one stored status change with its reason.
type statusChange struct {
	EnrollmentID string    `bun:"enrollment_id"`
	Status       string    `bun:"status"`
	ChangedAt    time.Time `bun:"changed_at"`
	Reason       string    `bun:"reason"`
}

// RAPIDSRows returns the apprenticeships the query covers, by apprentice
// name: every enrollment at the sites in scope (and the site and program
// asked for) that started on or before AsOf and had not ended (completed
// or withdrawn) before From. An enrollment moved to a newer version is
// one apprenticeship with its successor: the row is the latest one's,
// with the first one's start date and the hours of all of them. Status,
// status date and hours are as of the end of AsOf.
func (s *Service) RAPIDSRows(ctx context.Context, q RAPIDSQuery) ([]RAPIDSRow, error) {
	f := evidence.EnrollmentFilter{SiteIDs: q.Scope.SiteIDs, VersionIDs: q.versionIDs()}
	if q.Site != "" {
		f.SiteID = q.Site
	}
	st := s.Evidence.Store
	ens, err := st.Enrollments(ctx, f)
	if err != nil {
		return nil, err
	}
	byID := map[string]*assessments.Enrollment{}
	var ids []string
	for i := range ens {
		byID[ens[i].ID], ids = &ens[i], append(ids, ens[i].ID)
	}
	// Moves: drop enrollments moved on (their successor is the row) and
	// find each one's predecessors, loading those outside the filters.
	prev, moved := map[string]string{}, map[string]bool{}
	for frontier := ids; len(frontier) > 0; {
		ms, err := st.Moves(ctx, frontier)
		if err != nil {
			return nil, err
		}
		var missing []string
		for _, m := range ms {
			moved[m.From], prev[m.To] = true, m.From
			if byID[m.From] == nil && !slices.Contains(missing, m.From) {
				missing = append(missing, m.From)
			}
		}
		frontier = nil
		if len(missing) > 0 {
			more, err := st.Enrollments(ctx, evidence.EnrollmentFilter{IDs: missing})
			if err != nil {
				return nil, err
			}
			for i := range more {
				byID[more[i].ID], frontier = &more[i], append(frontier, more[i].ID)
			}
		}
	}
	chain := func(id string) []string { // the enrollment and its predecessors, first one last
		out := []string{id}
		for p, ok := prev[id]; ok && !slices.Contains(out, p); p, ok = prev[p] {
			out = append(out, p)
		}
		return out
	}
	all := make([]string, 0, len(byID))
	for id := range byID {
		all = append(all, id)
	}
	changes := map[string][]statusChange{}
	if len(ids) > 0 {
		var list []statusChange
		if err := s.DB.NewSelect().Table("enrollment_status_changes").Column("enrollment_id", "status", "changed_at", "reason").
			Where("enrollment_id IN (?)", db.IDs(ids)).Order("changed_at", "id").Scan(ctx, &list); err != nil {
			return nil, fmt.Errorf("status changes: %w", db.Translate(err))
		}
		for _, c := range list {
			changes[c.EnrollmentID] = append(changes[c.EnrollmentID], c)
		}
	}
	hours, err := s.approvedHours(ctx, all, q.AsOf)
	if err != nil {
		return nil, err
	}
	var people []string
	for _, e := range ens {
		if !moved[e.ID] && !slices.Contains(people, e.ApprenticeID) {
			people = append(people, e.ApprenticeID)
		}
	}
	who, err := s.Accounts.ByIDs(ctx, people)
	if err != nil {
		return nil, err
	}
	persons := map[string]*accounts.Person{}
	for _, p := range who {
		persons[p.ID] = p
	}
	demo, err := accounts.DemographicsOf(ctx, s.DB, people)
	if err != nil {
		return nil, err
	}
	var rows []RAPIDSRow
	var completed []int // rows completed by the last day
	for i := range ens {
		e := &ens[i]
		if moved[e.ID] {
			continue
		}
		pv, err := s.Evidence.Version(ctx, e.VersionID)
		if err != nil {
			return nil, err
		}
		e.Version = pv
		prog := pv.Rules.Version().Program
		reasons := map[time.Time]string{}
		for _, c := range changes[e.ID] {
			e.History = append(e.History, assessments.StatusChange{Status: assessments.EnrollmentStatus(c.Status), At: c.ChangedAt.UTC()})
			reasons[c.ChangedAt.UTC()] = c.Reason
		}
		links := chain(e.ID)
		start, registered := e.StartDate, prog
		if first := byID[links[len(links)-1]]; first != nil && first != e {
			start = first.StartDate
			fv, err := s.Evidence.Version(ctx, first.VersionID)
			if err != nil {
				return nil, err
			}
			registered = fv.Rules.Version().Program
		}
		status, since := e.StatusOn(q.AsOf)
		ended := status == assessments.EnrollmentCompleted || status == assessments.EnrollmentWithdrawn
		if start.After(q.AsOf) || (ended && !q.From.IsZero() && since.Before(q.From)) {
			continue
		}
		p := persons[e.ApprenticeID]
		if p == nil {
			continue
		}
		hire, _ := curriculum.ParseDate(p.HireDate) // zero when none on file
		r := RAPIDSRow{EnrollmentID: e.ID, PersonID: p.ID, Person: p.Name, Email: p.Email, EmployeeID: p.EmployeeID, Site: q.SiteNames[e.SiteID],
			HireDate: hire, Demographics: demo[p.ID], Program: prog.Title + " (" + prog.Code + ")", ProgramType: programTypes[prog.Type],
			RapidsCode: prog.RapidsCode, ONetCode: prog.ONetCode, StartDate: start, Status: rapidsStatus[status], StatusDate: since}
		if wage, ok := registered.WageRate(0); ok {
			r.WageAtRegistration = wage
		}
		if registered.Settings.JourneyworkerRate > 0 {
			r.JourneyworkerWage = registered.Settings.JourneyworkerRate
		}
		if status == assessments.EnrollmentActive {
			r.StatusDate = start // registered and active since the start
		} else {
			for _, c := range e.History {
				if c.Status == status && pv.Day(c.At).Equal(since) {
					r.StatusReason = reasons[c.At]
				}
			}
		}
		if status == assessments.EnrollmentCompleted {
			completed = append(completed, len(rows))
		}
		for _, id := range links {
			r.OJLHours += hours[id][string(assessments.OJL)].Hours()
			r.RTIHours += hours[id][string(assessments.RTI)].Hours()
		}
		rows = append(rows, r)
	}
	if err := s.credentialsEarned(ctx, rows, completed); err != nil {
		return nil, err
	}
	slices.SortStableFunc(rows, func(a, b RAPIDSRow) int {
		if a.Person != b.Person {
			if a.Person < b.Person {
				return -1
			}
			return 1
		}
		return a.StartDate.Compare(b.StartDate)
	})
	return rows, nil
}

// credentialsEarned fills the credential earned of the rows at the given
// indexes (completed by the last day) from their completion signatures:
// the completion certificate's title as printed and the completion date as
// recorded. A completion without a signature (marked completed before
// completions were signed) has no certificate and stays blank.
func (s *Service) credentialsEarned(ctx context.Context, rows []RAPIDSRow, completed []int) error {
	ids := make([]string, len(completed))
	for i, n := range completed {
		ids[i] = rows[n].EnrollmentID
	}
	done, err := s.Evidence.Store.Completions(ctx, ids)
	if err != nil {
		return fmt.Errorf("completions: %w", err)
	}
	for _, n := range completed {
		c := done[rows[n].EnrollmentID]
		if c == nil {
			continue
		}
		pv, err := s.Evidence.Version(ctx, c.VersionID)
		if err != nil {
			return err
		}
		cert := documents.CompletionFrom(rows[n].Person, pv, c, documents.Stamp{})
		rows[n].Credential = cert.Title() + ", completed on " + cert.CompletedOn
	}
	return nil
}

// approvedHours sums, per enrollment and kind (ojl, rti), the approved
// hours worked on or before asOf and approved by the end of it.
func (s *Service) approvedHours(ctx context.Context, enrollments []string, asOf curriculum.Date) (map[string]map[string]assessments.Minutes, error) {
	out := map[string]map[string]assessments.Minutes{}
	if len(enrollments) == 0 {
		return out, nil
	}
	var sums []struct {
		EnrollmentID string `bun:"enrollment_id"`
		Kind         string `bun:"kind"`
		Minutes      int64  `bun:"minutes"`
	}
	end := asOf.AddDays(1).Time(s.location()).UTC()
	if err := s.DB.NewSelect().Table("hours_entries").Column("enrollment_id", "kind").ColumnExpr("SUM(minutes) AS minutes").
		Where("enrollment_id IN (?)", db.IDs(enrollments)).Where("status = ?", string(assessments.HoursApproved)).
		Where("worked_on <= ?", asOf.String()).Where("reviewed_at < ?", end).
		Group("enrollment_id", "kind").Scan(ctx, &sums); err != nil {
		return nil, fmt.Errorf("approved hours: %w", db.Translate(err))
	}
	for _, x := range sums {
		if out[x.EnrollmentID] == nil {
			out[x.EnrollmentID] = map[string]assessments.Minutes{}
		}
		out[x.EnrollmentID][x.Kind] += assessments.Minutes(x.Minutes)
	}
	return out, nil
}

// rapidsFilters are the filters in words, for the About sheet.
func (q RAPIDSQuery) filters() []string {
	from := "From: the beginning"
	if !q.From.IsZero() {
		from = "From: " + q.From.String() + " (apprenticeships that ended before it are left out)"
	}
	return append(q.Filters(), from, "To: "+q.AsOf.String()+" (status and hours as of the end of this day)")
}

// WriteRAPIDSXLSX writes rows as the RAPIDS workbook (times are Excel
// dates) with its About sheet.
func (s *Service) WriteRAPIDSXLSX(q RAPIDSQuery, rows []RAPIDSRow, out io.Writer) error {
	w, err := NewIn("RAPIDS", RAPIDSColumns, s.location())
	if err != nil {
		return err
	}
	defer w.Close()
	for _, r := range rows {
		if err := w.Add(r.cells()...); err != nil {
			return err
		}
	}
	return w.Finish(out, About{Report: RAPIDSTitle, Filters: q.filters(), AsOf: q.AsOf, GeneratedAt: s.now(), GeneratedBy: q.GeneratedBy})
}

// RAPIDSTitle names the export.
const RAPIDSTitle = "RAPIDS: apprentice registration, status and completion (one row per apprenticeship)"

// WriteRAPIDSCSV writes rows as CSV with the workbook's columns, dates as
// YYYY-MM-DD, hours as decimals.
func WriteRAPIDSCSV(rows []RAPIDSRow, out io.Writer) error {
	w, err := csvWithHeader(out, RAPIDSColumns)
	if err != nil {
		return err
	}
	for _, r := range rows {
		cells := r.cells()
		rec := make([]string, len(cells))
		for i, c := range cells {
			switch x := c.(type) {
			case string:
				rec[i] = csvSafe(x)
			case curriculum.Date:
				if !x.IsZero() {
					rec[i] = x.String()
				}
			case float64:
				rec[i] = strconv.FormatFloat(x, 'f', -1, 64)
			case nil:
			default:
				rec[i] = fmt.Sprint(x)
			}
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}
