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

func (s *Server) clearanceRows(q *reportQuery, people []*accounts.Person) ([]clearanceReportRow, error) {
	set, err := s.reportSet(q, people)
	if err != nil {
		return nil, err
	}
	siteNames, res := q.siteNames, set.Results
	var rows []clearanceReportRow
	for _, p := range people {
		r, ok := res[p.ID]
		if !ok {
			continue
		}
		for _, d := range r.Decisions {
			title := d.Task
			if t := r.Task(d.Task); t != nil {
				title = t.Title
			}
			tone := map[curriculum.Status]reports.Tone{curriculum.Cleared: reports.Good, curriculum.DirectSupervision: reports.Warn, curriculum.NotCleared: reports.Bad}[d.Status]
			rows = append(rows, clearanceReportRow{PersonID: p.ID, Person: p.Name, Site: siteNames[r.Enrollment.SiteID], Task: title,
				Status: reports.Status{Text: d.Status.Label(), Tone: tone}, Reasons: strings.Join(d.Messages(), "; "), LapsesOn: d.LapsesOn})
		}
	}
	return rows, nil
}
