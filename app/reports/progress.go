package reports

import (
	"context"
	"fmt"
	"strings"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// The progress report: per apprentice, each competency's count against
// the requirement, sign-off date and signer, re-verification due, and the
// apprentice's hours and percent complete. The hours report: OJL and RTI
// hours per apprentice, work process or course, and month.

// ProgressRow is one apprentice × competency.
type ProgressRow struct {
	PersonID, Person, Competency, Counts string
	Required, Done                       int
	SignedOn                             curriculum.Date
	SignedBy                             string
	Due                                  curriculum.Date
	Status                               Status
	Percent                              int
	OJL, RTI                             string
}

func (s *Service) progressRows(ctx context.Context, q *Query, people []*accounts.Person) ([]ProgressRow, error) {
	set, err := s.reportSet(ctx, q, people)
	if err != nil {
		return nil, err
	}
	asOf, res := q.AsOf, set.Results
	var rows []ProgressRow
	for _, p := range people {
		r, ok := res[p.ID]
		if !ok {
			continue
		}
		// Summarize as of the end of the as-of day in the organisation's zone.
		at := asOf.AddDays(1).Time(r.Enrollment.Version.Location()).Add(-1)
		pr := assessments.Summarize(r.Records, at)
		ojl := fmt.Sprintf("%s of %s h", pr.Hours.OJL.Counted, pr.Hours.OJL.Target)
		rti := fmt.Sprintf("%s of %s h", pr.Hours.RTI.Counted, pr.Hours.RTI.Target)
		for _, cp := range pr.Competencies {
			row := ProgressRow{PersonID: p.ID, Person: p.Name, Competency: cp.Title + " (" + cp.Code + ")", SignedOn: cp.SignedOffOn,
				SignedBy: cp.SignedOffBy, Due: cp.ReverificationDue, Percent: pr.Percent, OJL: ojl, RTI: rti}
			var counts []string
			for _, v := range cp.Variants {
				row.Required += v.Required
				row.Done += min(v.Successful, v.Required)
				label := v.Title
				if label == "" {
					label = v.Variant
				}
				if label != "" {
					counts = append(counts, fmt.Sprintf("%s %d of %d", label, v.Successful, v.Required))
				}
			}
			row.Counts = strings.Join(counts, "; ")
			switch {
			case cp.Current:
				row.Status = Status{Text: "Signed off and current", Tone: Good}
			case cp.SignedOff:
				row.Status = Status{Text: "Signed off, not current: " + strings.Join(cp.Missing, "; "), Tone: Warn}
			default:
				row.Status = Status{Text: "Not signed off: " + strings.Join(cp.Missing, "; "), Tone: Bad}
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// Progress is the progress report.
var Progress = &Report[ProgressRow]{
	Title: "Progress: every apprentice × competency", Sheet: "Progress",
	Columns: []Column{{Title: "Apprentice", Width: 24}, {Title: "Competency", Width: 40}, {Title: "Successful", Width: 11},
		{Title: "Required", Width: 10}, {Title: "By variant", Width: 36}, {Title: "Signed off on", Width: 13}, {Title: "Signed off by", Width: 22},
		{Title: "Re-verification due", Width: 13}, {Title: "Status", Width: 60}, {Title: "Percent complete", Width: 10},
		{Title: "OJL hours", Width: 18}, {Title: "RTI hours", Width: 18}},
	rows:      (*Service).progressRows,
	AsKnownAt: true,
	cells: func(r ProgressRow) []any {
		return []any{r.Person, r.Competency, r.Done, r.Required, r.Counts, r.SignedOn, r.SignedBy, r.Due, r.Status, r.Percent, r.OJL, r.RTI}
	},
}

// HoursRow is one apprentice × work process or course × month.
type HoursRow struct {
	PersonID, Person, Kind, Code, Title, Month string
	Hours                                      float64
	// Paper: of Hours, those transcribed from paper timesheets.
	Paper float64
}

func (s *Service) hoursRows(ctx context.Context, q *Query, people []*accounts.Person) ([]HoursRow, error) {
	set, err := s.reportSet(ctx, q, people)
	if err != nil {
		return nil, err
	}
	asOf, res := q.AsOf, set.Results
	var rows []HoursRow
	for _, p := range people {
		r, ok := res[p.ID]
		if !ok {
			continue
		}
		prog := r.Program()
		sums, paper := map[[3]string]assessments.Minutes{}, map[[3]string]assessments.Minutes{}
		var keys [][3]string
		for _, h := range r.Records.Hours {
			// Approved hours worked on or before the as-of day count,
			// whenever approved or transcribed (as the engine counts
			// them; known_at leaves out what was not yet approved).
			if h.Status != assessments.HoursApproved || h.WorkedOn.After(asOf) {
				continue
			}
			k := [3]string{string(h.Kind), h.Code, fmt.Sprintf("%04d-%02d", h.WorkedOn.Year(), int(h.WorkedOn.Month()))}
			if _, seen := sums[k]; !seen {
				keys = append(keys, k)
			}
			sums[k] += h.Minutes
			if h.TranscribedBy != "" {
				paper[k] += h.Minutes
			}
		}
		for _, k := range keys {
			title := k[1]
			if k[0] == string(assessments.OJL) {
				for _, wp := range prog.WorkProcesses {
					if wp.Code == k[1] {
						title = wp.Title
					}
				}
			} else {
				for _, rc := range prog.RTICourses {
					if rc.Code == k[1] {
						title = rc.Title
					}
				}
			}
			rows = append(rows, HoursRow{PersonID: p.ID, Person: p.Name, Kind: strings.ToUpper(k[0]), Code: k[1], Title: title,
				Month: k[2], Hours: sums[k].Hours(), Paper: paper[k].Hours()})
		}
	}
	return rows, nil
}

// Hours is the hours report.
var Hours = &Report[HoursRow]{
	Title: "Hours: approved OJL and RTI hours per apprentice, work process or course, and month", Sheet: "Hours",
	Columns: []Column{{Title: "Apprentice", Width: 24}, {Title: "Kind", Width: 6}, {Title: "Code", Width: 16}, {Title: "Work process or course", Width: 44},
		{Title: "Month", Width: 10}, {Title: "Hours", Width: 8}, {Title: "Of which transcribed from paper", Width: 14}},
	rows:      (*Service).hoursRows,
	AsKnownAt: true,
	cells:     func(r HoursRow) []any { return []any{r.Person, r.Kind, r.Code, r.Title, r.Month, r.Hours, r.Paper} },
}
