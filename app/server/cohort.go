package server

import (
	"net/url"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// revoke records a director's revocation of a sign-off, with a reason and
// an effective date; the signature stays on record.
func (s *Server) revoke(c *fiber.Ctx) error {
	rec, _, err := s.visibleEnrollment(c)
	if err != nil {
		return err
	}
	eff := curriculum.Date{}
	if raw := strings.TrimSpace(c.FormValue("effective_on")); raw != "" {
		if eff, err = curriculum.ParseDate(raw); err != nil {
			return badInput(map[string]string{"effective_on": "Give the date as YYYY-MM-DD."})
		}
	}
	_, _, err = s.evidence.Revoke(c.UserContext(), rec, c.Params("so"), evidence.ActorOf(currentUser(c)),
		assessments.RevocationRequest{IdempotencyKey: c.FormValue("key"), Reason: c.FormValue("reason"), EffectiveOn: eff})
	if err != nil {
		return err
	}
	return c.Redirect("/enrollments/"+url.PathEscape(rec.Enrollment.ID)+"?msg=revoked", fiber.StatusSeeOther)
}

type cohortView struct {
	Competencies []curriculum.Competency
	Rows         []cohortRow
	Program      string
}

type cohortRow struct {
	Name, EnrollmentURL string
	Percent             int
	Cells               []cohortCell
}

type cohortCell struct {
	Text, Class, Title string
}

// cohortPage shows every apprentice of the director's sites × competency:
// counts against the requirement and sign-off state.
func (s *Server) cohortPage(c *fiber.Ctx) error {
	u := currentUser(c)
	ens, err := s.evidence.Store.Enrollments(c.UserContext(), evidence.EnrollmentFilter{SiteIDs: u.SiteIDs})
	if err != nil {
		return err
	}
	moves, err := s.evidence.Store.Moves(c.UserContext(), enrollmentIDs(ens))
	if err != nil {
		return err
	}
	moved := map[string]bool{}
	for _, m := range moves {
		moved[m.From] = true
	}
	current := ens[:0]
	for _, e := range ens {
		if !moved[e.ID] && e.Status != assessments.EnrollmentWithdrawn {
			current = append(current, e)
		}
	}
	recs, err := s.evidence.Load(c.UserContext(), current)
	if err != nil {
		return err
	}
	var v cohortView
	ids := make([]string, len(current))
	for i, e := range current {
		ids[i] = e.ApprenticeID
	}
	// One query for every name, not one per apprentice.
	list, err := s.accounts.ByIDs(c.UserContext(), ids)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, p := range list {
		names[p.ID] = p.Name
	}
	people := map[string]string{}
	for _, e := range current {
		people[e.ID] = names[e.ApprenticeID]
	}
	for _, e := range current {
		rec := recs[e.ID]
		prog := rec.Enrollment.Version.Program()
		if v.Competencies == nil {
			v.Competencies, v.Program = prog.Competencies, prog.Title
		}
		pr := assessments.Summarize(rec, s.now())
		row := cohortRow{Name: people[e.ID], EnrollmentURL: "/enrollments/" + url.PathEscape(e.ID), Percent: pr.Percent}
		for _, comp := range v.Competencies {
			cell := cohortCell{Text: "—", Class: "", Title: "not in this apprentice's version"}
			for _, cp := range pr.Competencies {
				if cp.Code != comp.Code {
					continue
				}
				done, need := 0, 0
				for _, vp := range cp.Variants {
					done, need = done+min(vp.Successful, vp.Required), need+vp.Required
				}
				switch {
				case cp.Current:
					cell = cohortCell{Text: "✓", Class: "status-ok", Title: "signed off " + cp.SignedOffOn.String()}
				case cp.SignedOff:
					cell = cohortCell{Text: "!", Class: "status-warn", Title: strings.Join(cp.Missing, "; ")}
				case need > 0:
					cell = cohortCell{Text: itoa(done) + "/" + itoa(need), Title: strings.Join(cp.Missing, "; ")}
				default:
					cell = cohortCell{Text: "·", Title: strings.Join(cp.Missing, "; ")}
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		v.Rows = append(v.Rows, row)
	}
	sort.Slice(v.Rows, func(i, j int) bool { return v.Rows[i].Name < v.Rows[j].Name })
	return s.render(c, fiber.StatusOK, "cohort", Page{Title: "Cohort", Nav: "cohort", Data: v})
}

func enrollmentIDs(ens []assessments.Enrollment) []string {
	out := make([]string, len(ens))
	for i, e := range ens {
		out[i] = e.ID
	}
	return out
}

// changeStatus puts an enrollment on hold, completes or withdraws it.
func (s *Server) changeStatus(c *fiber.Ctx) error {
	rec, _, err := s.visibleEnrollment(c)
	if err != nil {
		return err
	}
	var b struct {
		Status string `json:"status" form:"status"`
		Reason string `json:"reason" form:"reason"`
	}
	if err := c.BodyParser(&b); err != nil {
		return badInput(map[string]string{"status": "Send the new status (active, on_hold, completed or withdrawn)."})
	}
	to := assessments.EnrollmentStatus(b.Status)
	if err := s.evidence.ChangeStatus(c.UserContext(), rec.Enrollment.ID, evidence.ActorOf(currentUser(c)), to, b.Reason); err != nil {
		return err
	}
	if isAPI(c) {
		return c.JSON(fiber.Map{"id": rec.Enrollment.ID, "status": to})
	}
	return c.Redirect("/enrollments/"+url.PathEscape(rec.Enrollment.ID)+"?msg=status-changed", fiber.StatusSeeOther)
}
