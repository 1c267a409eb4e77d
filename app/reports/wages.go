package reports

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/wages"
	"github.com/skillgate/skillgate/curriculum"
)

// The wage history report: every person's wage steps on their program's
// progressive wage schedule (the first, at registration, from the
// enrollment's start; then each approved step with its effective date and
// approver), and what the next step still needs. As of a day it lists the
// steps effective by then, including one approved later with an earlier
// effective date (back pay); as known at an instant, only the steps
// approved by then.

// WageRow is one step of one person's wage history.
type WageRow struct {
	PersonID, Person, EmployeeID, Site string
	Step                               int
	Title, Wage                        string
	Hourly                             float64 // dollars; 0 when not known
	Effective                          curriculum.Date
	ApprovedBy                         string // "" for the step at registration
	ApprovedAt                         string // for the page, in the organisation's zone
	ApprovedTime                       time.Time
	// Current marks the step in force on the as-of day; Next, on that
	// row, says what the next step still needs ("eligible" when nothing).
	Current bool
	Next    string
}

func (s *Service) wageRows(ctx context.Context, q *Query, people []*accounts.Person) ([]WageRow, error) {
	set, err := s.reportSet(ctx, q, people)
	if err != nil {
		return nil, err
	}
	var ens []string
	for _, r := range set.Results {
		ens = append(ens, r.Enrollment.ID)
	}
	hist, err := s.Wages.History(ctx, ens)
	if err != nil {
		return nil, err
	}
	if !q.KnownAt.IsZero() {
		// As known at an instant: a step approved later, whatever its
		// effective date, was not on file then.
		for id, steps := range hist {
			hist[id] = slices.DeleteFunc(steps, func(st wages.Step) bool { return st.ApprovedAt.After(q.KnownAt) })
		}
	}
	var approverIDs []string
	for _, h := range hist {
		for _, st := range h {
			approverIDs = append(approverIDs, st.ApprovedBy)
		}
	}
	names := map[string]string{}
	if len(approverIDs) > 0 {
		ps, err := s.Accounts.ByIDs(ctx, approverIDs)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			names[p.ID] = p.Name
		}
	}
	loc := s.location()
	var rows []WageRow
	for _, p := range people {
		r, ok := set.Results[p.ID]
		if !ok || len(r.Program().WageSchedule) == 0 {
			continue
		}
		st := wages.StatusOf(r, hist[r.Enrollment.ID])
		first, _ := wages.Registration(st.Program, r.Enrollment)
		steps := append([]wages.Step{first}, st.History...)
		for _, w := range steps {
			if w.EffectiveOn.After(q.AsOf) {
				continue
			}
			row := WageRow{PersonID: p.ID, Person: p.Name, EmployeeID: p.EmployeeID, Site: q.SiteNames[r.Enrollment.SiteID],
				Step: w.Step, Title: w.Title, Wage: st.Wage(w.Step), Hourly: w.Hourly(), Effective: w.EffectiveOn,
				Current: w.Step == st.Current.Step}
			if w.ID != "" {
				row.ApprovedBy, row.ApprovedTime = names[w.ApprovedBy], w.ApprovedAt
				row.ApprovedAt = w.ApprovedAt.In(loc).Format("2006-01-02 15:04 MST")
			}
			if row.Current {
				row.Next = "last step"
				if st.Next != nil {
					row.Next = st.Title(st.Next.Step) + ": eligible"
					if !st.Next.Eligible {
						row.Next = st.Title(st.Next.Step) + " needs " + strings.Join(st.Next.Missing, "; ")
					}
				}
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// Wages is the wage history report.
var Wages = &Report[WageRow]{
	Title: "Wage steps: every apprentice's progressive wage history", Sheet: "Wage steps",
	Columns: []Column{{Title: "Person", Width: 24}, {Title: "Employee id", Width: 14}, {Title: "Site", Width: 26},
		{Title: "Step", Width: 6}, {Title: "Title", Width: 16}, {Title: "Wage", Width: 44}, {Title: "Hourly rate ($)", Width: 14},
		{Title: "Effective", Width: 12}, {Title: "Approved by", Width: 22}, {Title: "Approved at", Width: 20, Zoned: true},
		{Title: "In force", Width: 9}, {Title: "Next step", Width: 60}},
	rows:      (*Service).wageRows,
	AsKnownAt: true,
	cells: func(r WageRow) []any {
		inForce := ""
		if r.Current {
			inForce = "yes"
		}
		var hourly any = ""
		if r.Hourly > 0 {
			hourly = r.Hourly
		}
		return []any{r.Person, r.EmployeeID, r.Site, r.Step, r.Title, r.Wage, hourly, r.Effective, r.ApprovedBy, r.ApprovedTime, inForce, r.Next}
	},
}
