package server

import (
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// revoke records a director's revocation of a sign-off, with a reason and
// an effective date; the signature stays on record.
func (s *Server) revoke(c *fiber.Ctx) error {
	return s.revokeWith(c, func(rec *assessments.Records, by assessments.Actor, req assessments.RevocationRequest) error {
		_, _, err := s.evidence.Revoke(c.UserContext(), rec, c.Params("so"), by, req)
		return err
	})
}

// revokeWith reads a revocation form (reason, effective day) and records
// it with save.
func (s *Server) revokeWith(c *fiber.Ctx, save func(rec *assessments.Records, by assessments.Actor, req assessments.RevocationRequest) error) error {
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
	err = save(rec, evidence.ActorOf(currentUser(c)), assessments.RevocationRequest{IdempotencyKey: c.FormValue("key"), Reason: c.FormValue("reason"), EffectiveOn: eff})
	if err != nil {
		return err
	}
	return c.Redirect("/enrollments/"+url.PathEscape(rec.Enrollment.ID)+"?msg=revoked", fiber.StatusSeeOther)
}

// cohortMaxRows is the most apprentices one grid shows (a grid of 43
// competencies stays readable, and its page small); a larger cohort asks
// for one site at a time. Server.caps holds it (tests lower it).
const cohortMaxRows = 400

// cohortView is what the cohort template receives.
type cohortView struct {
	*reports.Cohort
	sorting
	Site  string
	Sites []accounts.Site
}

// Body is the grid's rows, one per apprentice: the name (a link to the
// enrollment), the percentage signed off and a cell per competency, each
// a link to that competency on the enrollment page. Written here rather
// than by the template: 400 apprentices × 43 competencies are 17,200
// cells, and html/template's escaping of each cell's five values through
// reflection was four fifths of the page's time (45 of 55 ms of CPU a
// page of 100 apprentices, profiled with the bench's scaled data). Every
// value is escaped as the template would have: path segments with
// url.PathEscape, then the attribute and text with HTMLEscapeString.
func (v cohortView) Body() template.HTML {
	var b strings.Builder
	if len(v.Rows) > 0 {
		b.Grow(len(v.Rows) * (150 + len(v.Rows[0].Cells)*150))
	}
	esc := template.HTMLEscapeString
	for _, r := range v.Rows {
		href := esc("/enrollments/" + url.PathEscape(r.EnrollmentID))
		overdue := ""
		if r.Overdue != "" {
			overdue = ` <a class="status status-bad" href="` + href + `#evaluations">` + esc(r.Overdue) + `</a>`
		}
		for _, s := range []string{`<tr><th scope="row"><a href="`, href, `">`, esc(r.Name), `</a>`, overdue, `</th><td>`, strconv.Itoa(r.Percent), "%</td>\n"} {
			b.WriteString(s)
		}
		for _, c := range r.Cells {
			for _, s := range [...]string{`<td class="`, esc(c.Class), `"><a href="`, href, "#c-", esc(url.PathEscape(c.Code)), `">`, esc(c.Text),
				`<span class="sr-only"> `, esc(c.Code), `</span></a></td>`} {
				b.WriteString(s)
			}
		}
		b.WriteString("</tr>\n")
	}
	return template.HTML(b.String()) // every value escaped above
}

// cohortPage shows the apprentices of the director's sites × the
// competencies of one program: counts against the requirement and
// sign-off state, each cell a link to its part of the enrollment. It is
// filtered by program and site and sorted by name or progress on the
// server (?program=, ?site=, ?sort=name|progress, ?dir=desc).
func (s *Server) cohortPage(c *fiber.Ctx) error {
	ctx, u := c.UserContext(), currentUser(c)
	f := reports.CohortFilter{SiteIDs: u.SiteIDs, SiteID: strings.TrimSpace(c.Query("site")), Program: strings.TrimSpace(c.Query("program")),
		Sort: c.Query("sort"), Desc: c.Query("dir") == "desc", Limit: s.caps.cohortMaxRows}
	if f.Sort != "progress" {
		f.Sort = "name"
	}
	if f.SiteID != "" && !slices.Contains(u.SiteIDs, f.SiteID) {
		return errkind.New(errkind.Malformed, "That site is not one of yours; choose one from the list.")
	}
	v, err := s.reports.Cohort(ctx, f)
	if err != nil {
		return err
	}
	sites, err := s.accounts.Sites(ctx)
	if err != nil {
		return err
	}
	sites = slices.DeleteFunc(sites, func(st accounts.Site) bool { return !slices.Contains(u.SiteIDs, st.ID) })
	filters := url.Values{}
	if f.SiteID != "" {
		filters.Set("site", f.SiteID)
	}
	if v.ProgramCode != "" && f.Program != "" {
		filters.Set("program", v.ProgramCode)
	}
	view := cohortView{Cohort: v, sorting: sorting{base: "/cohort", filters: filters, sort: f.Sort, desc: f.Desc}, Site: f.SiteID, Sites: sites}
	return s.render(c, fiber.StatusOK, "cohort", Page{Title: "Cohort", Nav: "cohort", Data: view})
}

// changeStatus puts an enrollment on hold, back to active, or withdraws
// it (completing is the director's signature: completion.go).
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
