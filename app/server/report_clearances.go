package server

import (
	"strings"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/curriculum"
)

// The clearances report: every MA × task, cleared, direct supervision
// only, or not cleared, with the reasons and the lapse date — the "who may
// do what" matrix a clinic posts and an auditor checks. The decisions are
// the clearance engine's, as on every page.

type clearanceReportRow struct {
	PersonID, Person, Site, Task string
	Status                       reports.Status
	Reasons                      string
	LapsesOn                     curriculum.Date
}

// statusTone is how each status is shown.
var statusTone = map[curriculum.Status]reports.Tone{curriculum.Cleared: reports.Good, curriculum.DirectSupervision: reports.Warn, curriculum.NotCleared: reports.Bad}

// clearanceRows decides through the decision cache (DecideMany), as the
// site matrix and the API do: decisions nothing was written for since are
// not recomputed, and the rest are decided from the few fields decisions
// depend on rather than whole records.
func (s *Server) clearanceRows(q *reportQuery, people []*accounts.Person) ([]clearanceReportRow, error) {
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.ID
	}
	decide := s.clearance.DecideMany
	if q.bulk {
		decide = s.clearance.DecideManyReadOnly
	}
	res, err := decide(q.ctx, ids, q.asOf)
	if err != nil {
		return nil, err
	}
	siteNames := q.siteNames
	var rows []clearanceReportRow
	for _, p := range people {
		r, ok := res[p.ID]
		if !ok || !q.inProgram(r.Enrollment.VersionID) {
			continue
		}
		ds, err := r.Decisions()
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			title := d.Task
			if t := r.Task(d.Task); t != nil {
				title = t.Title
			}
			tone := statusTone[d.Status]
			rows = append(rows, clearanceReportRow{PersonID: p.ID, Person: p.Name, Site: siteNames[r.Enrollment.SiteID], Task: title,
				Status: reports.Status{Text: d.Status.Label(), Tone: tone}, Reasons: strings.Join(d.Messages(), "; "), LapsesOn: d.LapsesOn})
		}
	}
	return rows, nil
}
