package server

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// Editing a draft's periodic evaluation schedule and form: one form, the
// scale and the items one per line, as typed.

type evaluationForm struct {
	EveryMonths, DueWindow string
	CommentsRequired       bool
	AtWageSteps            bool
	// Scale is "VALUE = LABEL" per line; Items "CODE: TEXT" per line.
	Scale, Items string
}

type evaluationEditView struct {
	URL  string
	Lock int
	Form evaluationForm
}

func evaluationFormOf(e *curriculum.EvaluationSchedule) evaluationForm {
	if e == nil {
		return evaluationForm{}
	}
	f := evaluationForm{EveryMonths: itoaOrBlank(e.EveryMonths), DueWindow: itoaOrBlank(e.DueWindowDays), CommentsRequired: e.CommentsRequired, AtWageSteps: e.AtWageSteps}
	var b strings.Builder
	for _, l := range e.Scale {
		fmt.Fprintf(&b, "%d = %s\n", l.Value, l.Label)
	}
	f.Scale = b.String()
	b.Reset()
	for _, it := range e.Items {
		fmt.Fprintf(&b, "%s: %s\n", it.Code, it.Text)
	}
	f.Items = b.String()
	return f
}

func (s *Server) editEvaluationsPage(c *fiber.Ctx) error {
	p, v, err := s.loadDraftItem(c)
	if err != nil {
		return err
	}
	return s.renderEvaluationEdit(c, fiber.StatusOK, p, v, evaluationFormOf(v.Version.Program.Evaluations), v.LockVersion, nil)
}

func (s *Server) renderEvaluationEdit(c *fiber.Ctx, status int, p *programs.Program, v *programs.StoredVersion, f evaluationForm, lock int, errs map[string]string) error {
	view := evaluationEditView{URL: versionURL(p.ID, v.Number), Lock: lock, Form: f}
	return s.render(c, status, "evaluation_edit", Page{Title: "Edit the evaluation schedule", Nav: "programs", Errors: errs, Data: view})
}

// parse reads the form into a schedule (nil: no evaluations, when the
// interval is left blank); lines that do not read become messages.
func (f evaluationForm) parse() (*curriculum.EvaluationSchedule, map[string]string) {
	errs := map[string]string{}
	if f.EveryMonths == "" {
		return nil, errs
	}
	e := &curriculum.EvaluationSchedule{CommentsRequired: f.CommentsRequired, AtWageSteps: f.AtWageSteps}
	var err error
	if e.EveryMonths, err = strconv.Atoi(f.EveryMonths); err != nil {
		errs["every_months"] = "Give the interval as a whole number of months, for example 3, or leave it blank for no evaluations."
	}
	if f.DueWindow != "" {
		if e.DueWindowDays, err = strconv.Atoi(f.DueWindow); err != nil {
			errs["due_window"] = "Give the due window as a whole number of days, or leave it blank."
		}
	}
	for i, line := range lines(f.Scale) {
		v, label, ok := strings.Cut(line, "=")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if !ok || err != nil {
			errs["scale"] = fmt.Sprintf("Line %d of the scale: write each level as a number, =, and its label, for example 3 = Meets expectations.", i+1)
			break
		}
		e.Scale = append(e.Scale, curriculum.RatingLevel{Value: n, Label: strings.TrimSpace(label)})
	}
	for i, line := range lines(f.Items) {
		code, text, ok := strings.Cut(line, ":")
		if !ok {
			errs["items"] = fmt.Sprintf("Line %d of the items: write each item as its code, a colon and its text, for example SAFETY: Patient safety.", i+1)
			break
		}
		e.Items = append(e.Items, curriculum.EvaluationItem{Code: strings.ToUpper(strings.TrimSpace(code)), Text: strings.TrimSpace(text)})
	}
	return e, errs
}

// lines are the non-blank lines of s, trimmed.
func lines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// evaluationFields puts validation problems beside the form's fields.
func evaluationFields(problems []curriculum.Problem) map[string]string {
	out := map[string]string{}
	for _, p := range problems {
		rest := strings.TrimPrefix(p.Path, "program.evaluations.")
		name, _, _ := strings.Cut(rest, ".")
		name, _, _ = strings.Cut(name, "[")
		field := map[string]string{"every_months": "every_months", "due_window_days": "due_window", "scale": "scale", "items": "items", "at_wage_steps": "at_wage_steps"}[name]
		msg := p.Message
		if i := strings.Index(rest, "["); i >= 0 && field != "" {
			idx, _, _ := strings.Cut(rest[i+1:], "]")
			if n, err := strconv.Atoi(idx); err == nil {
				msg = fmt.Sprintf("Line %d: %s", n+1, msg)
			}
		}
		if field == "" {
			field = "every_months"
		}
		if out[field] == "" {
			out[field] = msg
		}
	}
	return out
}

func (s *Server) saveEvaluations(c *fiber.Ctx) error {
	p, v, lock, err := s.draftFromForm(c)
	if err != nil {
		return err
	}
	f := evaluationForm{EveryMonths: strings.TrimSpace(c.FormValue("every_months")), DueWindow: strings.TrimSpace(c.FormValue("due_window")),
		CommentsRequired: c.FormValue("comments_required") != "", AtWageSteps: c.FormValue("at_wage_steps") != "", Scale: c.FormValue("scale"), Items: c.FormValue("items")}
	sched, errs := f.parse()
	if len(errs) > 0 {
		return s.renderEvaluationEdit(c, statusFor(errkind.Malformed), p, v, f, lock, errs)
	}
	edited := v.Version.Clone()
	if err := edited.Edit(func(prog *curriculum.Program) error {
		prog.Evaluations = sched
		return problemsAt(prog.Validate(), "program.evaluations")
	}); err != nil {
		var ve *curriculum.ValidationError
		if errors.As(err, &ve) {
			return s.renderEvaluationEdit(c, statusFor(errkind.Invalid), p, v, f, lock, evaluationFields(ve.Problems))
		}
		return err
	}
	if _, err := s.programs.SaveDraft(c.UserContext(), v.ID, lock, edited); err != nil {
		if ke := formError(err); ke != nil {
			return s.renderEvaluationEdit(c, statusOf(err), p, v, f, lock, map[string]string{"": ke.Message})
		}
		return err
	}
	return c.Redirect(versionURL(p.ID, v.Number)+"?msg=draft-saved#evaluations", fiber.StatusSeeOther)
}
