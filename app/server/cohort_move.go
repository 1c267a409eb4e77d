package server

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// Moving a cohort to a published version at once: a preview (what changed,
// and for each apprentice of the director's sites on an older version
// what would no longer count), then one confirmation that moves them all
// in one transaction, or none.

// cohortMoveView is what the program_move template receives.
type cohortMoveView struct {
	URL, Program  string
	To            int
	ToID          string
	Diff          *curriculum.VersionDiff
	DiffFrom      int
	Rows          []cohortMoveRow
	Key           string
	EffectiveOn   string
	EnrollmentIDs []string
}

// cohortMoveRow is one apprentice in the preview.
type cohortMoveRow struct {
	reports.VersionMember
	Carryover evidence.Carryover
}

// cohortMovePreview reads who would move to the version in the URL, with
// what each would keep; a version that is not published cannot be moved to.
func (s *Server) cohortMovePreview(c *fiber.Ctx) (*cohortMoveView, error) {
	p, v, err := s.loadVersion(c)
	if err != nil {
		return nil, err
	}
	if v.Status != curriculum.Published {
		return nil, errkind.New(errkind.Conflict, "Publish this draft first: apprentices can only be moved to a published version.")
	}
	ctx := c.UserContext()
	view := &cohortMoveView{URL: versionURL(p.ID, v.Number), Program: v.Version.Program.Title, To: v.Number, ToID: v.ID,
		Key: "cohort-" + strings.ReplaceAll(accounts.NewID(), "-", ""), EffectiveOn: curriculum.DateOf(s.now(), s.cfg.Location()).String()}
	if prev := p.PublishedBefore(v.Number); prev != nil {
		old, err := s.programs.VersionByID(ctx, prev.ID)
		if err != nil {
			return nil, err
		}
		d := curriculum.Diff(&old.Version.Program, &v.Version.Program)
		view.Diff, view.DiffFrom = &d, prev.Number
	}
	members, err := s.reports.OnOlderVersions(ctx, currentUser(c).SiteIDs, p.ID, v.Number)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.EnrollmentID
	}
	ens, err := s.evidence.Store.Enrollments(ctx, evidence.EnrollmentFilter{IDs: ids})
	if err != nil {
		return nil, err
	}
	recs, err := s.evidence.Load(ctx, ens)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		row := cohortMoveRow{VersionMember: m}
		if rec := recs[m.EnrollmentID]; rec != nil {
			row.Carryover = evidence.CarryoverTo(rec, &v.Version.Program)
		}
		view.Rows = append(view.Rows, row)
		view.EnrollmentIDs = append(view.EnrollmentIDs, m.EnrollmentID)
	}
	return view, nil
}

func (s *Server) cohortMovePage(c *fiber.Ctx) error {
	view, err := s.cohortMovePreview(c)
	if err != nil {
		return err
	}
	return s.renderCohortMove(c, fiber.StatusOK, view)
}

func (s *Server) renderCohortMove(c *fiber.Ctx, status int, view *cohortMoveView) error {
	return s.render(c, status, "program_move", Page{Title: fmt.Sprintf("Move the cohort to %s version %d", view.Program, view.To),
		Nav: "programs", Data: view})
}

// cohortMove moves everyone the preview listed, if the list is still the
// same. A mistake (a bad date, a cohort changed since the preview, a move
// refused) brings the preview back with the form as typed (s.form), and
// nobody moved.
func (s *Server) cohortMove(c *fiber.Ctx) error {
	view, err := s.cohortMovePreview(c)
	if err != nil {
		return err
	}
	var sent []string
	for _, b := range c.Request().PostArgs().PeekMulti("enrollment") {
		sent = append(sent, string(b))
	}
	eff, err := curriculum.ParseDate(strings.TrimSpace(c.FormValue("effective_on")))
	if err != nil {
		return badInput(map[string]string{"effective_on": "Give the day the move takes effect as a date, for example " +
			curriculum.DateOf(s.now(), s.cfg.Location()).String() + "."})
	}
	now := slices.Clone(view.EnrollmentIDs)
	slices.Sort(now)
	slices.Sort(sent)
	if !slices.Equal(now, sent) {
		return errkind.New(errkind.Conflict, "The cohort changed since the preview (someone was enrolled, moved or withdrawn). Nobody was moved: check the list below and confirm again.")
	}
	moved, err := s.evidence.MoveAll(c.UserContext(), sent, evidence.ActorOf(currentUser(c)),
		evidence.MoveRequest{IdempotencyKey: strings.TrimSpace(c.FormValue("key")), ToVersionID: view.ToID, EffectiveOn: eff})
	if errors.Is(err, evidence.ErrMoveBeforeHire) {
		msg := "The move cannot take effect before an apprentice's current enrollment started. Nobody was moved."
		return errkind.WithFields(errkind.Invalid, msg, map[string]string{"effective_on": msg})
	}
	if ke := formError(err); ke != nil {
		return errkind.New(ke.Kind, ke.Message+" Nobody was moved.")
	}
	if err != nil {
		return err
	}
	if len(moved) == 0 {
		return errkind.New(errkind.Internal, "cohort move: nothing moved")
	}
	return c.Redirect(view.URL+"?msg=cohort-moved", fiber.StatusSeeOther)
}
