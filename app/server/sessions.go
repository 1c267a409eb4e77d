package server

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// Skills-lab sessions: one preceptor observes several apprentices on one
// competency (a group validation) and records each result on one screen.
// Every attempt is its own observation with its own steps and the
// critical-step rule; evidence.ObserveSession stores the screen all or
// nothing. Sign-offs stay one signature each, on the usual page.

type sessionChoice struct{ Code, Title string }

type sessionApprentice struct {
	EnrollmentID, Name string
	Chosen             bool
}

// sessionRow is one apprentice on the recording screen.
type sessionRow struct {
	EnrollmentID, Name string
	// Result is "skip" (not observed), "all" (all steps met) or "except"
	// (the steps in Not were not met).
	Result  string
	Not     map[int]bool
	Problem string
	// After a save: the apprentice's counts and whether they may be signed
	// off now.
	Counts  []assessments.VariantProgress
	SignOff assessments.Readiness
}

// NotMet reports whether step i was flagged not met (for re-rendering).
func (r sessionRow) NotMet(i int) bool { return r.Not[i] }

type sessionView struct {
	Competencies []sessionChoice
	Apprentices  []sessionApprentice
	Code         string
	Competency   *curriculum.Competency
	Rows         []sessionRow
	Key          string
	Date, Today  string
	Variant      string
	Problem      string
	// Saved, Successful: after a save, how many were recorded and how many
	// were successful.
	Saved, Successful int
	Draft, Zone       string
}

// sessionScope is what the user may run a session on: their apprentices'
// enrollments in force, with names, and the competencies they may observe
// in those enrollments' program versions.
func (s *Server) sessionScope(c *fiber.Ctx) ([]assessments.Enrollment, map[string]string, []sessionChoice, error) {
	ens, err := s.reviewable(c)
	if err != nil {
		return nil, nil, nil, err
	}
	if ens, err = s.reports.InForce(c.UserContext(), ens); err != nil {
		return nil, nil, nil, err
	}
	ens = slices.DeleteFunc(ens, func(e assessments.Enrollment) bool { return !e.AcceptsEvidence() })
	ids := make([]string, len(ens))
	for i, e := range ens {
		ids[i] = e.ApprenticeID
	}
	people, err := s.accounts.ByIDs(c.UserContext(), ids)
	if err != nil {
		return nil, nil, nil, err
	}
	names := map[string]string{}
	for _, p := range people {
		names[p.ID] = p.Name
	}
	slices.SortStableFunc(ens, func(a, b assessments.Enrollment) int {
		return strings.Compare(names[a.ApprenticeID], names[b.ApprenticeID])
	})
	me := evidence.ActorOf(currentUser(c))
	var creds []curriculum.ProfessionalCredential
	if me.Credential != "" {
		creds = append(creds, me.Credential)
	}
	seen := map[string]bool{}
	var comps []sessionChoice
	for _, e := range ens {
		if seen["v:"+e.VersionID] {
			continue
		}
		seen["v:"+e.VersionID] = true
		pv, err := s.evidence.Version(c.UserContext(), e.VersionID)
		if err != nil {
			return nil, nil, nil, err
		}
		for _, comp := range pv.Program().Competencies {
			if len(comp.Checklist) == 0 || len(comp.Performances) == 0 || seen[comp.Code] || !comp.MayObserve(me.ID, creds...) {
				continue
			}
			seen[comp.Code] = true
			comps = append(comps, sessionChoice{Code: comp.Code, Title: comp.Title})
		}
	}
	slices.SortFunc(comps, func(a, b sessionChoice) int { return strings.Compare(a.Title, b.Title) })
	return ens, names, comps, nil
}

// sessionRecords loads the chosen enrollments (ids in scope only) with the
// competency code; an id out of scope is 404, like any record one may not
// see.
func (s *Server) sessionRecords(c *fiber.Ctx, ens []assessments.Enrollment, chosen []string, code string) ([]*assessments.Records, *curriculum.Competency, error) {
	var pick []assessments.Enrollment
	for _, id := range chosen {
		i := slices.IndexFunc(ens, func(e assessments.Enrollment) bool { return e.ID == id })
		if i < 0 {
			return nil, nil, errNotFound
		}
		if !slices.ContainsFunc(pick, func(e assessments.Enrollment) bool { return e.ID == id }) {
			pick = append(pick, ens[i])
		}
	}
	recs, err := s.evidence.Load(c.UserContext(), pick)
	if err != nil {
		return nil, nil, err
	}
	var comp *curriculum.Competency
	out := make([]*assessments.Records, 0, len(pick))
	for _, e := range pick {
		r := recs[e.ID]
		if r == nil || r.Enrollment == nil || r.Enrollment.Version == nil {
			return nil, nil, errNotFound
		}
		cc := r.Enrollment.Version.Competency(code)
		if cc == nil {
			return nil, nil, errkind.New(errkind.Invalid, "Every apprentice in a session must have this competency in their program.")
		}
		if comp == nil {
			comp = cc
		} else if cc.ChecklistVersion != comp.ChecklistVersion || len(cc.Checklist) != len(comp.Checklist) {
			return nil, nil, errkind.New(errkind.Invalid, "These apprentices' programs use different checklists for this competency; run a session per program version.")
		}
		out = append(out, r)
	}
	return out, comp, nil
}

func queryMulti(c *fiber.Ctx, name string) []string {
	var out []string
	for _, b := range c.Context().QueryArgs().PeekMulti(name) {
		out = append(out, string(b))
	}
	return out
}

func formMulti(c *fiber.Ctx, name string) []string {
	var out []string
	for _, b := range c.Request().PostArgs().PeekMulti(name) {
		out = append(out, string(b))
	}
	return out
}

// sessionPage: the chooser (competency and apprentices), then the
// recording screen; after a save, the results with "Sign off" for each
// apprentice the rules now allow.
func (s *Server) sessionPage(c *fiber.Ctx) error {
	ens, names, comps, err := s.sessionScope(c)
	if err != nil {
		return err
	}
	code, chosen := c.Query("competency"), queryMulti(c, "e")
	v := sessionView{Competencies: comps, Code: code}
	for _, e := range ens {
		v.Apprentices = append(v.Apprentices, sessionApprentice{EnrollmentID: e.ID, Name: names[e.ApprenticeID], Chosen: slices.Contains(chosen, e.ID)})
	}
	status := fiber.StatusOK
	if code != "" || len(chosen) > 0 {
		switch {
		case !slices.ContainsFunc(comps, func(sc sessionChoice) bool { return sc.Code == code }):
			v.Problem, status = "Choose a competency you may observe.", statusFor(errkind.Invalid)
		case len(chosen) == 0:
			v.Problem, status = "Choose at least one apprentice.", statusFor(errkind.Invalid)
		default:
			recs, comp, err := s.sessionRecords(c, ens, chosen, code)
			if ke := formError(err); ke != nil {
				v.Problem, status = ke.Message, statusOf(err)
				break
			}
			if err != nil {
				return err
			}
			v.Competency = comp
			s.fillSessionRows(c, &v, recs, names)
			if n, err := strconv.Atoi(c.Query("saved")); err == nil {
				v.Saved, v.Successful = n, atoi(c.Query("ok"))
				now := s.now()
				for i, r := range recs {
					if cp := progressOf(assessments.Summarize(r, now), code); cp != nil {
						v.Rows[i].Counts, v.Rows[i].SignOff = cp.Variants, cp.SignOff
					}
				}
			}
		}
	}
	return s.render(c, status, "session", Page{Title: "Skills-lab session", Nav: "review", Data: v})
}

// fillSessionRows sets up the recording screen for recs.
func (s *Server) fillSessionRows(c *fiber.Ctx, v *sessionView, recs []*assessments.Records, names map[string]string) {
	today := recs[0].Enrollment.Version.Day(s.now())
	v.Today, v.Key = today.String(), newKey()
	if v.Date == "" {
		v.Date = today.String()
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.Enrollment.ID
		v.Rows = append(v.Rows, sessionRow{EnrollmentID: r.Enrollment.ID, Name: names[r.Enrollment.ApprenticeID], Result: "skip", Not: map[int]bool{}})
	}
	v.Draft = "session:" + v.Code + ":" + strings.Join(ids, ",")
	v.Zone = recs[0].Enrollment.Version.Location().String()
}

func progressOf(p *assessments.Progress, code string) *assessments.CompetencyProgress {
	if p == nil {
		return nil
	}
	for i := range p.Competencies {
		if p.Competencies[i].Code == code {
			return &p.Competencies[i]
		}
	}
	return nil
}

// recordSession stores the screen's results, all or nothing.
func (s *Server) recordSession(c *fiber.Ctx) error {
	ens, names, comps, err := s.sessionScope(c)
	if err != nil {
		return err
	}
	code, chosen := c.FormValue("competency"), formMulti(c, "e")
	if !slices.ContainsFunc(comps, func(sc sessionChoice) bool { return sc.Code == code }) || len(chosen) == 0 {
		return errNotFound
	}
	recs, comp, err := s.sessionRecords(c, ens, chosen, code)
	if err != nil {
		return err
	}
	v := sessionView{Competencies: comps, Code: code, Competency: comp}
	s.fillSessionRows(c, &v, recs, names)
	v.Key, v.Date, v.Variant = c.FormValue("key"), strings.TrimSpace(c.FormValue("performed_on")), c.FormValue("variant")
	again := func(status int) error {
		// The forms rule: each message by its field (the date, or the
		// apprentice's row), listed in the summary at the top.
		errs := map[string]string{}
		if _, err := curriculum.ParseDate(v.Date); err != nil {
			errs["performed_on"] = "Give the date of the session as YYYY-MM-DD."
		}
		for _, r := range v.Rows {
			if r.Problem != "" {
				errs["r_"+r.EnrollmentID] = r.Name + ": " + r.Problem
			}
		}
		if len(errs) == 0 {
			errs[""] = v.Problem
		}
		return s.render(c, status, "session", Page{Title: "Skills-lab session", Nav: "review", Errors: errs, Data: v})
	}
	on, err := curriculum.ParseDate(v.Date)
	if err != nil {
		v.Problem = "Give the date of the session as YYYY-MM-DD."
	}
	var entries []evidence.SessionEntry
	var rows []int
	for i, r := range recs {
		row := &v.Rows[i]
		row.Result = c.FormValue("r_" + r.Enrollment.ID)
		for _, n := range formMulti(c, "not_"+r.Enrollment.ID) {
			if k, err := strconv.Atoi(n); err == nil && k >= 0 && k < len(comp.Checklist) {
				row.Not[k] = true
			}
		}
		switch {
		case row.Result == "all" && len(row.Not) > 0:
			row.Result = "except"
		case row.Result == "except" && len(row.Not) == 0:
			row.Problem = "Tick the steps that were not met, or choose “All steps met”."
			continue
		case row.Result != "all" && row.Result != "except":
			if len(row.Not) > 0 {
				row.Problem = "Steps are ticked as not met: choose “Some steps not met”, or untick them."
			}
			row.Result = "skip"
			continue
		}
		req := assessments.ObservationRequest{IdempotencyKey: v.Key + "-" + strings.ReplaceAll(r.Enrollment.ID, "-", ""), Competency: code,
			Variant: v.Variant, ChecklistVersion: comp.ChecklistVersion, PerformedOn: on, SiteID: r.Enrollment.SiteID}
		for k := range comp.Checklist {
			req.Steps = append(req.Steps, assessments.StepResult{Index: k, Met: !row.Not[k]})
		}
		entries = append(entries, evidence.SessionEntry{Records: r, Request: req})
		rows = append(rows, i)
	}
	problems := v.Problem != ""
	for _, r := range v.Rows {
		problems = problems || r.Problem != ""
	}
	if !problems && len(entries) == 0 {
		v.Problem, problems = "Record at least one apprentice's result: “All steps met” or “Some steps not met”.", true
	}
	if problems {
		return again(statusFor(errkind.Invalid))
	}
	obs, _, err := s.evidence.ObserveSession(c.UserContext(), evidence.ActorOf(currentUser(c)), entries)
	var se *evidence.SessionError
	if errors.As(err, &se) {
		status := 0
		for k, e := range se.Entries {
			ke := formError(e)
			if ke == nil {
				return e
			}
			v.Rows[rows[k]].Problem = ke.Message
			status = max(status, statusOf(e))
		}
		v.Problem = "Nothing was recorded: fix the entries marked below and send again."
		return again(status)
	}
	if err != nil {
		return err
	}
	ok := 0
	for _, o := range obs {
		if o.Successful {
			ok++
		}
	}
	q := url.Values{"competency": {code}, "e": chosen, "saved": {strconv.Itoa(len(obs))}, "ok": {strconv.Itoa(ok)}}
	return c.Redirect("/sessions/new?"+q.Encode()+"#done", fiber.StatusSeeOther)
}
