package server

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// Editing a draft's wage schedule: the journeyworker rate and one row per
// step (plus blank rows for additions; a row left blank is dropped).

type wageStepRow struct {
	I                                                   int
	Title, Percent, HourlyRate, OJLHours, Count, Months string
	Competencies                                        string // codes, comma-separated
}

type wageScheduleView struct {
	URL, Action string
	Lock        int
	Rate        string
	Rows        []wageStepRow
	Fields      []option // each row's fields: name and label
}

// wageStepFields are a step row's fields, in order.
var wageStepFields = []option{{"title", "Title"}, {"percent", "Percent of the journeyworker rate"}, {"hourly_rate", "or hourly rate (dollars)"},
	{"ojl_hours", "Approved OJL hours"}, {"competencies_signed_off", "Number of competencies signed off"},
	{"competencies", "Competencies signed off (codes, separated by commas)"}, {"months_after_start", "Months after the start"}}

// Value is the row's value of field name.
func (r wageStepRow) Value(name string) string {
	return map[string]string{"title": r.Title, "percent": r.Percent, "hourly_rate": r.HourlyRate, "ojl_hours": r.OJLHours,
		"competencies_signed_off": r.Count, "competencies": r.Competencies, "months_after_start": r.Months}[name]
}

func numOrBlank(f float64) string {
	if f == 0 {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func (s *Server) editWagesPage(c *fiber.Ctx) error {
	p, v, err := s.loadDraftItem(c)
	if err != nil {
		return err
	}
	prog := &v.Version.Program
	view := wageScheduleView{URL: versionURL(p.ID, v.Number), Lock: v.LockVersion, Rate: numOrBlank(prog.Settings.JourneyworkerRate),
		Fields: wageStepFields}
	view.Action = view.URL + "/wages"
	for i, st := range prog.WageSchedule {
		view.Rows = append(view.Rows, wageStepRow{I: i, Title: st.Title, Percent: numOrBlank(st.Percent), HourlyRate: numOrBlank(st.HourlyRate),
			OJLHours: itoaOrBlank(st.OJLHours), Count: itoaOrBlank(st.CompetenciesSignedOff), Months: itoaOrBlank(st.MonthsAfterStart),
			Competencies: strings.Join(st.Competencies, ", ")})
	}
	for i := len(view.Rows); i < len(prog.WageSchedule)+blankRows; i++ {
		view.Rows = append(view.Rows, wageStepRow{I: i})
	}
	return s.render(c, fiber.StatusOK, "wage_schedule_edit", Page{Title: "Wage schedule of " + p.Title, Nav: "programs", Data: view})
}

// wageField maps a validation path under the schedule to its form field.
var wageField = regexp.MustCompile(`^program\.wage_schedule\[(\d+)\](?:\.([a-z_]+))?`)

func (s *Server) saveWages(c *fiber.Ctx) error {
	p, v, lock, err := s.draftFromForm(c)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	num := func(name string, whole bool) float64 {
		raw := strings.TrimSpace(c.FormValue(name))
		if raw == "" {
			return 0
		}
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || whole && f != float64(int(f)) {
			fields[name] = "Give a number, or leave it blank."
		}
		return f
	}
	rate := num("journeyworker_rate", false)
	var steps []curriculum.WageStep
	var rowOf []int // form row of each kept step
	for i := 0; c.Request().PostArgs().Has(fmt.Sprintf("title_%d", i)); i++ {
		k := func(n string) string { return fmt.Sprintf("%s_%d", n, i) }
		st := curriculum.WageStep{Title: strings.TrimSpace(c.FormValue(k("title"))), Percent: num(k("percent"), false),
			HourlyRate: num(k("hourly_rate"), false), OJLHours: int(num(k("ojl_hours"), true)),
			CompetenciesSignedOff: int(num(k("competencies_signed_off"), true)), MonthsAfterStart: int(num(k("months_after_start"), true))}
		for code := range strings.SplitSeq(c.FormValue(k("competencies")), ",") {
			if code = strings.ToUpper(strings.TrimSpace(code)); code != "" {
				st.Competencies = append(st.Competencies, code)
			}
		}
		if st.Title == "" && st.Percent == 0 && st.HourlyRate == 0 && !hasWageCondition(st) {
			continue
		}
		steps, rowOf = append(steps, st), append(rowOf, i)
	}
	if len(fields) > 0 {
		return errkind.WithFields(errkind.Malformed, "Some fields need attention.", fields)
	}
	edited := v.Version.Clone()
	err = edited.Edit(func(prog *curriculum.Program) error {
		prog.Settings.JourneyworkerRate, prog.WageSchedule = rate, steps
		var ve *curriculum.ValidationError
		if err := prog.Validate(); errors.As(err, &ve) {
			for _, pr := range ve.Problems {
				switch m := wageField.FindStringSubmatch(pr.Path); {
				case pr.Path == "program.settings.journeyworker_rate":
					fields["journeyworker_rate"] = pr.Message
				case m != nil:
					n, _ := strconv.Atoi(m[1])
					name := m[2]
					if name == "" {
						name = "title"
					}
					fields[fmt.Sprintf("%s_%d", name, rowOf[n])] = pr.Message
				case pr.Path == "program.wage_schedule":
					fields["title_0"] = pr.Message
				}
			}
		}
		if len(fields) > 0 {
			return errkind.WithFields(errkind.Invalid, "The wage schedule needs attention.", fields)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if _, err := s.programs.SaveDraft(c.UserContext(), v.ID, lock, edited); err != nil {
		return err
	}
	return c.Redirect(versionURL(p.ID, v.Number)+"?msg=draft-saved#wage-schedule", fiber.StatusSeeOther)
}

func hasWageCondition(st curriculum.WageStep) bool {
	return st.OJLHours != 0 || st.CompetenciesSignedOff != 0 || st.MonthsAfterStart != 0 || len(st.Competencies) > 0
}
