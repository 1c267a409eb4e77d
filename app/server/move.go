package server

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/curriculum"

	"github.com/skillgate/skillgate/errkind"
)

// newerVersion returns the newest published version of the result's
// program when it is newer than the one the person is on.
func (s *Server) newerVersion(c *fiber.Ctx, res *clearance.Result) (*programs.VersionInfo, error) {
	cur, err := s.programs.VersionByID(c.UserContext(), res.Enrollment.VersionID)
	if err != nil {
		return nil, err
	}
	p, err := s.programs.Program(c.UserContext(), cur.ProgramID)
	if err != nil {
		return nil, err
	}
	if l := p.Latest(); l != nil && l.Number > cur.Number {
		return l, nil
	}
	return nil, nil
}

type moveView struct {
	Person    *accounts.Person
	From, To  int
	ToID      string
	Carryover evidence.Carryover
	// Diff is what changed between the versions; NewlyRequired what the
	// person must now do that their version did not ask.
	Diff          curriculum.VersionDiff
	NewlyRequired []curriculum.ItemChange
	Key           string
	Today         curriculum.Date
}

// movePage previews moving a person to the newest published version:
// what carries over and what no longer counts.
func (s *Server) movePage(c *fiber.Ctx) error {
	return s.renderMove(c, fiber.StatusOK)
}

func (s *Server) renderMove(c *fiber.Ctx, status int) error {
	p, err := s.visiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	today := curriculum.DateOf(s.now(), s.cfg.Location())
	res, err := s.visibleResult(c, p.ID, today)
	if err != nil {
		return err
	}
	newer, err := s.newerVersion(c, res)
	if err != nil {
		return err
	}
	if newer == nil {
		return errkind.New(errkind.Conflict, p.Name+" is already on the newest published version of the program.")
	}
	co, err := s.evidence.Preview(c.UserContext(), res.Enrollment.ID, newer.ID)
	if err != nil {
		return err
	}
	to, err := s.programs.VersionByID(c.UserContext(), newer.ID)
	if err != nil {
		return err
	}
	d := curriculum.Diff(&res.Rules.Version().Program, &to.Version.Program)
	v := moveView{Person: p, From: res.Rules.Version().Number, To: newer.Number, ToID: newer.ID, Carryover: co, Diff: d,
		NewlyRequired: curriculum.NewlyRequired(d), Key: "move-" + strings.ReplaceAll(accounts.NewID(), "-", ""), Today: today}
	return s.render(c, status, "move", Page{Title: "Move " + p.Name + " to version " + itoa(newer.Number), Nav: "clearance", Data: v})
}

// move moves a person's enrollment to the version chosen on the preview.
func (s *Server) move(c *fiber.Ctx) error {
	p, err := s.visiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	today := curriculum.DateOf(s.now(), s.cfg.Location())
	res, err := s.visibleResult(c, p.ID, today)
	if err != nil {
		return err
	}
	eff := today
	if raw := strings.TrimSpace(c.FormValue("effective_on")); raw != "" {
		if eff, err = curriculum.ParseDate(raw); err != nil {
			return badInput(map[string]string{"effective_on": "Give the date the move takes effect as YYYY-MM-DD: " + err.Error()})
		}
	}
	_, err = s.evidence.MoveToVersion(c.UserContext(), res.Enrollment.ID, evidence.ActorOf(currentUser(c)), evidence.MoveRequest{
		IdempotencyKey: c.FormValue("key"), ToVersionID: c.FormValue("to"), EffectiveOn: eff})
	if err != nil {
		// A mistake shows the move page again (s.form); with no newer
		// version any more, the error itself answers.
		return err
	}
	return c.Redirect("/people/"+url.PathEscape(p.ID)+"/clearance?msg=moved", fiber.StatusSeeOther)
}
