package reports

import (
	"context"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/curriculum"
)

// The clearances report: every MA × task, cleared, direct supervision
// only, or not cleared, with the reasons and the lapse date — the "who may
// do what" matrix a clinic posts and an auditor checks. The decisions are
// the clearance engine's, as on every page.

// ClearanceRow is one MA × task.
type ClearanceRow struct {
	PersonID, Person, Site, Task string
	Status                       Status
	Reasons                      string
	LapsesOn                     curriculum.Date
}

// statusTone is how each status is shown.
var statusTone = map[curriculum.Status]Tone{curriculum.Cleared: Good, curriculum.IndirectSupervision: Warn, curriculum.DirectSupervision: Warn, curriculum.NotCleared: Bad}

// clearanceRows decides through the decision cache (DecideMany), as the
// site matrix and the API do: decisions nothing was written for since are
// not recomputed, and the rest are decided from the few fields decisions
// depend on rather than whole records.
func (s *Service) clearanceRows(ctx context.Context, q *Query, people []*accounts.Person) ([]ClearanceRow, error) {
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.ID
	}
	// Answers as known at an instant bypass the cache (DecideManyKnownAt).
	res, err := s.Clearance.DecideManyKnownAt(ctx, ids, q.AsOf, q.KnownAt, !q.bulk)
	if err != nil {
		return nil, err
	}
	siteNames := q.SiteNames
	var rows []ClearanceRow
	var buf []byte
	for _, p := range people {
		r, ok := res[p.ID]
		if !ok || !q.covers(r.Enrollment) {
			continue
		}
		ds, err := r.Decisions()
		if err != nil {
			return nil, err
		}
		if rows == nil {
			// A row per task, about the same number for everyone: one
			// allocation rather than a batch's worth of regrowing.
			rows = make([]ClearanceRow, 0, len(people)*len(ds))
		}
		for i := range ds {
			d := &ds[i]
			title := d.Task
			if t := r.Task(d.Task); t != nil {
				title = t.Title
			}
			tone := statusTone[d.Status]
			var why string
			why, buf = reasons(buf, d)
			rows = append(rows, ClearanceRow{PersonID: p.ID, Person: p.Name, Site: siteNames[r.Enrollment.SiteID], Task: title,
				Status: Status{Text: d.Status.Label(), Tone: tone}, Reasons: why, LapsesOn: d.LapsesOn})
		}
	}
	return rows, nil
}

// reasons returns d's messages joined by "; ", built in buf (returned
// for the next row to reuse) so that the text is allocated once.
func reasons(buf []byte, d *curriculum.Decision) (string, []byte) {
	if len(d.Reasons) == 1 {
		return d.Reasons[0].Message(), buf
	}
	buf = buf[:0]
	for i := range d.Reasons {
		if i > 0 {
			buf = append(buf, "; "...)
		}
		buf = append(buf, d.Reasons[i].Message()...)
	}
	return string(buf), buf
}

// Clearances is the clearances report.
var Clearances = &Report[ClearanceRow]{
	AsKnownAt: true,
	Title:     "Clearances: every MA × task (who may do what)", Sheet: "Clearances",
	Columns: []Column{{Title: "Person", Width: 24}, {Title: "Site", Width: 26}, {Title: "Task", Width: 40},
		{Title: "Status", Width: 26}, {Title: "Lapses on", Width: 12}, {Title: "Why, and what is missing", Width: 90}},
	rows: (*Service).clearanceRows,
	cells: func(r ClearanceRow) []any {
		return []any{r.Person, r.Site, r.Task, r.Status, r.LapsesOn, r.Reasons}
	},
}
