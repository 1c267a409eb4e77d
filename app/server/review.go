package server

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"

	"github.com/skillgate/skillgate/errkind"
)

// Self-logged performances and hours: the apprentice logs them, the named
// preceptor (hours: a preceptor or director) verifies or rejects them.

func (s *Server) ownEnrollment(c *fiber.Ctx) (*assessments.Records, error) {
	rec, p, err := s.visibleEnrollment(c)
	if err != nil {
		return nil, err
	}
	if p.ID != currentUser(c).ID {
		return nil, errkind.New(errkind.Forbidden, "Only the apprentice logs their own performances and hours.")
	}
	return rec, nil
}

func (s *Server) backToEnrollment(c *fiber.Ctx, id, msg string) error {
	return c.Redirect("/enrollments/"+url.PathEscape(id)+"?msg="+msg, fiber.StatusSeeOther)
}

func (s *Server) logPerformance(c *fiber.Ctx) error {
	rec, err := s.ownEnrollment(c)
	if err != nil {
		return err
	}
	on, err := curriculum.ParseDate(strings.TrimSpace(c.FormValue("performed_on")))
	if err != nil {
		return badInput(map[string]string{"performed_on": "Give the date as YYYY-MM-DD."})
	}
	_, _, err = s.evidence.LogPerformance(c.UserContext(), rec, evidence.ActorOf(currentUser(c)), assessments.SelfLogRequest{
		IdempotencyKey: c.FormValue("key"), Competency: c.FormValue("competency"), Variant: c.FormValue("variant"),
		PerformedOn: on, SupervisorID: c.FormValue("supervisor"), Comments: c.FormValue("comments")})
	if err != nil {
		return err
	}
	return s.backToEnrollment(c, rec.Enrollment.ID, "performance-logged")
}

func (s *Server) logHours(c *fiber.Ctx) error {
	rec, err := s.ownEnrollment(c)
	if err != nil {
		return err
	}
	on, err := curriculum.ParseDate(strings.TrimSpace(c.FormValue("worked_on")))
	if err != nil {
		return badInput(map[string]string{"worked_on": "Give the date as YYYY-MM-DD."})
	}
	mins, err := assessments.ParseHours(c.FormValue("hours"))
	if err != nil {
		return err
	}
	kind, code, _ := strings.Cut(c.FormValue("code"), ":")
	_, _, err = s.evidence.LogHours(c.UserContext(), rec, evidence.ActorOf(currentUser(c)), assessments.HoursRequest{
		IdempotencyKey: c.FormValue("key"), Kind: assessments.HoursKind(kind), Code: code, WorkedOn: on, Minutes: mins,
		SupervisorID: c.FormValue("supervisor"), Note: c.FormValue("note")})
	if err != nil {
		return err
	}
	return s.backToEnrollment(c, rec.Enrollment.ID, "hours-logged")
}

type pendingView struct {
	SelfLogs []pendingSelfLog
	Hours    []pendingHours
}

type pendingSelfLog struct {
	assessments.SelfLog
	Apprentice      string `json:"apprentice"`
	CompetencyTitle string `json:"competency_title"`
}

type pendingHours struct {
	assessments.HoursEntry
	Apprentice string `json:"apprentice"`
}

// reviewable returns the enrollments whose pending items the user may
// review: their assigned apprentices, and for directors every apprentice
// of their sites.
func (s *Server) reviewable(c *fiber.Ctx) ([]assessments.Enrollment, error) {
	u := currentUser(c)
	ens, err := s.evidence.Store.Enrollments(c.UserContext(), evidence.EnrollmentFilter{PreceptorID: u.ID})
	if err != nil {
		return nil, err
	}
	if u.Has(accounts.RoleDirector) {
		for _, site := range u.SiteIDs {
			more, err := s.evidence.Store.Enrollments(c.UserContext(), evidence.EnrollmentFilter{SiteID: site})
			if err != nil {
				return nil, err
			}
			ens = append(ens, more...)
		}
	}
	return ens, nil
}

// queue is the reviewer's queue (app/reports), over the enrollments they
// may review; search narrows it to apprentices by name.
func (s *Server) queue(c *fiber.Ctx, search string) (*reports.Queue, error) {
	ens, err := s.reviewable(c)
	if err != nil {
		return nil, err
	}
	return s.reports.Queue(c.UserContext(), evidence.ActorOf(currentUser(c)), ens, search)
}

// pendingOf is the queue's self-logs and hours as the API lists them.
func pendingOf(q *reports.Queue) pendingView {
	var v pendingView
	for _, l := range q.SelfLogs {
		v.SelfLogs = append(v.SelfLogs, pendingSelfLog{SelfLog: l.SelfLog, Apprentice: l.Apprentice, CompetencyTitle: l.CompetencyTitle})
	}
	for _, h := range q.Hours {
		v.Hours = append(v.Hours, pendingHours{HoursEntry: h.HoursEntry, Apprentice: h.Apprentice})
	}
	return v
}

type queueView struct {
	*reports.Queue
	Search string
	Zone   string
}

func (s *Server) reviewPage(c *fiber.Ctx) error {
	search := strings.TrimSpace(c.Query("q"))
	q, err := s.queue(c, search)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "review", Page{Title: "Waiting for you", Nav: "review",
		Data: queueView{Queue: q, Search: search, Zone: s.cfg.Location().String()}})
}

// review verifies or rejects one pending self-log or hours entry.
func (s *Server) review(c *fiber.Ctx) error {
	if err := s.decide(c, c.FormValue("decision"), c.FormValue("reason")); err != nil {
		return err
	}
	return c.Redirect("/review?msg=reviewed", fiber.StatusSeeOther)
}

type reviewBody struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

func (s *Server) apiReview(c *fiber.Ctx) error {
	var b reviewBody
	if err := c.BodyParser(&b); err != nil {
		return badInput(map[string]string{"": "The body must be JSON with decision (approve or reject) and, to reject, reason."})
	}
	if err := s.decide(c, b.Decision, b.Reason); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"id": c.Params("id"), "decision": b.Decision})
}

// decide applies a reviewer's decision on the :kind/:id in the URL.
func (s *Server) decide(c *fiber.Ctx, decision, reason string) error {
	kind, id := c.Params("kind"), c.Params("id")
	reason = strings.TrimSpace(reason)
	by := evidence.ActorOf(currentUser(c))
	// Only items of apprentices the reviewer may review.
	ens, err := s.reviewable(c)
	if err != nil {
		return err
	}
	p, err := s.evidence.PendingFor(c.UserContext(), by, ens)
	if err != nil {
		return err
	}
	// Which item first, then the decision: an id the reviewer may not
	// review is a 404 whatever the form says.
	found := false
	switch kind {
	case "selflogs":
		for _, l := range p.SelfLogs {
			found = found || l.ID == id
		}
	case "hours":
		for _, h := range p.Hours {
			found = found || h.ID == id
		}
	}
	if !found {
		return errkind.New(errkind.NotFound, "There is nothing waiting for your review with this id; it may have been reviewed already.")
	}
	if decision != "approve" && decision != "reject" {
		return badInput(map[string]string{"decision": "Choose verify (approve) or reject."})
	}
	if kind == "selflogs" {
		err = s.evidence.ReviewSelfLog(c.UserContext(), id, by, decision == "approve", reason)
	} else {
		err = s.evidence.ReviewHours(c.UserContext(), id, by, decision == "approve", reason)
	}
	if errors.Is(err, db.ErrNotFound) {
		return db.ErrNotFound.With("There is nothing waiting for your review with this id.")
	}
	return err
}
