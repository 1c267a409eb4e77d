package api

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/access"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/request"
	"github.com/skillgate/skillgate/app/wages"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// wageStepJSON is a wage step in force or approved.
type wageStepJSON struct {
	Step        int             `json:"step"`
	Title       string          `json:"title"`
	Wage        string          `json:"wage"`
	HourlyRate  float64         `json:"hourly_rate,omitempty"`
	EffectiveOn curriculum.Date `json:"effective_on"`
	ApprovedBy  string          `json:"approved_by,omitempty"`
	ApprovedAt  *time.Time      `json:"approved_at,omitempty"`
}

type nextWageJSON struct {
	Step     int      `json:"step"`
	Title    string   `json:"title"`
	Wage     string   `json:"wage"`
	Eligible bool     `json:"eligible"`
	Missing  []string `json:"missing"`
}

func toWageStepJSON(st *wages.Status, w wages.Step) wageStepJSON {
	out := wageStepJSON{Step: w.Step, Title: w.Title, Wage: st.Wage(w.Step), HourlyRate: w.Hourly(), EffectiveOn: w.EffectiveOn, ApprovedBy: w.ApprovedBy}
	if w.ID != "" {
		at := w.ApprovedAt
		out.ApprovedAt = &at
	}
	return out
}

// MountWages serves a person's wage step: GET /people/{id}/wage.
func MountWages(r Router, scope Scope, w *wages.Service) {
	r.Get(Prefix+"/people/:id/wage", access.LoggedIn, func(c *fiber.Ctx) error {
		p, err := scope.VisiblePerson(c, c.Params("id"))
		if err != nil {
			return err
		}
		if !access.CanSeeWage(request.User(c), p) {
			return errkind.New(errkind.Forbidden, "Wage steps are shown to the apprentice, program directors and HR.")
		}
		asOf, err := scope.AsOf(c)
		if err != nil {
			return err
		}
		res, err := scope.VisibleResult(c, p.ID, asOf)
		if errors.Is(err, clearance.ErrNotEnrolled) {
			return c.JSON(fiber.Map{"person_id": p.ID, "as_of": asOf, "scheduled": false, "history": []wageStepJSON{}})
		}
		if err != nil {
			return err
		}
		h, err := w.History(c.UserContext(), []string{res.Enrollment.ID})
		if err != nil {
			return err
		}
		st := wages.StatusOf(res, h[res.Enrollment.ID])
		out := fiber.Map{"person_id": p.ID, "as_of": asOf, "enrollment_id": res.Enrollment.ID, "scheduled": st.Scheduled()}
		history := []wageStepJSON{}
		if st.Scheduled() {
			out["current"] = toWageStepJSON(st, st.Current)
			first, _ := wages.Registration(st.Program, res.Enrollment)
			history = append(history, toWageStepJSON(st, first))
			for _, a := range st.History {
				history = append(history, toWageStepJSON(st, a))
			}
		}
		if st.Next != nil {
			out["next"] = nextWageJSON{Step: st.Next.Step, Title: st.Title(st.Next.Step), Wage: st.Wage(st.Next.Step), Eligible: st.Next.Eligible,
				Missing: NonNil(st.Next.Missing)}
		}
		out["history"] = history
		return c.JSON(out)
	})
}
