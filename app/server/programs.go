package server

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/curriculum"

	"github.com/skillgate/skillgate/errkind"
)

type programsView struct {
	Programs  []*programs.Program
	CanDesign bool
	Problems  []curriculum.Problem
}

func (s *Server) programsPage(c *fiber.Ctx) error {
	return s.renderPrograms(c, fiber.StatusOK, nil)
}

func (s *Server) renderPrograms(c *fiber.Ctx, status int, problems []curriculum.Problem) error {
	ps, err := s.programs.List(c.UserContext())
	if err != nil {
		return err
	}
	u := currentUser(c)
	if !canDesign(u) {
		// Readers see only programs that have a published version.
		kept := ps[:0]
		for _, p := range ps {
			if p.Latest() != nil {
				kept = append(kept, p)
			}
		}
		ps = kept
	}
	var errs map[string]string
	switch {
	case len(problems) == 1 && problems[0].Path == "":
		errs = map[string]string{"file": problems[0].Message}
	case len(problems) > 0:
		errs = map[string]string{"file": fmt.Sprintf("The program file has %d problem(s), listed below; correct them and import it again.", len(problems))}
	}
	return s.render(c, status, "programs", Page{Title: "Programs", Nav: "programs", Errors: errs,
		Data: programsView{Programs: ps, CanDesign: canDesign(u), Problems: problems}})
}

// loadVersion reads the :id/:n version from the URL, hiding drafts from
// people who may not design programs (404, as if absent).
func (s *Server) loadVersion(c *fiber.Ctx) (*programs.Program, *programs.StoredVersion, error) {
	n, err := strconv.Atoi(c.Params("n"))
	if err != nil || n < 1 {
		return nil, nil, errNotFound
	}
	p, err := s.programs.Program(c.UserContext(), c.Params("id"))
	if err != nil {
		return nil, nil, err
	}
	v, err := s.programs.Version(c.UserContext(), p.ID, n)
	if err != nil {
		return nil, nil, err
	}
	if v.Status == curriculum.Draft && !canDesign(currentUser(c)) {
		return nil, nil, errNotFound
	}
	return p, v, nil
}

func (s *Server) programPage(c *fiber.Ctx) error {
	p, err := s.programs.Program(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	target := p.Latest()
	if d := p.Draft(); d != nil && (target == nil || canDesign(currentUser(c))) {
		if !canDesign(currentUser(c)) {
			return errNotFound
		}
		target = d
	}
	if target == nil {
		return errNotFound
	}
	return c.Redirect(versionURL(p.ID, target.Number), fiber.StatusSeeOther)
}

func versionURL(programID string, n int) string {
	return "/programs/" + url.PathEscape(programID) + "/v/" + strconv.Itoa(n)
}

type versionView struct {
	Program   *programs.Program
	Version   *programs.StoredVersion
	P         *curriculum.Program
	Tasks     []curriculum.TaskRules
	Comps     []curriculum.CompetencyRules
	CanDesign bool
	IsDraft   bool
	Problems  []curriculum.Problem
	URL       string
	// Diff is what changed from version DiffFrom (the newest published
	// version before this one; nil when there is none).
	Diff     *curriculum.VersionDiff
	DiffFrom int
	// Affected are the director's apprentices on older versions, whom
	// this version would affect if they were moved to it.
	Affected []reports.VersionMember
	CanMove  bool
}

func (s *Server) versionPage(c *fiber.Ctx) error {
	p, v, err := s.loadVersion(c)
	if err != nil {
		return err
	}
	return s.renderVersion(c, fiber.StatusOK, p, v, nil)
}

func (s *Server) renderVersion(c *fiber.Ctx, status int, p *programs.Program, v *programs.StoredVersion, problems []curriculum.Problem) error {
	prog := &v.Version.Program
	view := versionView{Program: p, Version: v, P: prog, CanDesign: canDesign(currentUser(c)),
		IsDraft: v.Status == curriculum.Draft, Problems: problems, URL: versionURL(p.ID, v.Number)}
	for i := range prog.Competencies {
		view.Comps = append(view.Comps, curriculum.DescribeCompetency(prog, &prog.Competencies[i]))
	}
	for i := range prog.Tasks {
		view.Tasks = append(view.Tasks, curriculum.DescribeTask(prog, &prog.Tasks[i]))
	}
	if err := s.versionChanges(c, p, v, &view); err != nil {
		return err
	}
	title := fmt.Sprintf("%s, version %d", prog.Title, v.Number)
	return s.render(c, status, "program_version", Page{Title: title, Nav: "programs", Data: view})
}

// versionChanges adds to the view what changed since the published
// version before v and, for directors and designers, who is on older
// versions at their sites.
func (s *Server) versionChanges(c *fiber.Ctx, p *programs.Program, v *programs.StoredVersion, view *versionView) error {
	u := currentUser(c)
	if !view.CanDesign && !u.Has(accounts.RoleDirector) {
		return nil
	}
	ctx := c.UserContext()
	if prev := p.PublishedBefore(v.Number); prev != nil {
		old, err := s.programs.VersionByID(ctx, prev.ID)
		if err != nil {
			return err
		}
		d := curriculum.Diff(&old.Version.Program, &v.Version.Program)
		view.Diff, view.DiffFrom = &d, prev.Number
	}
	affected, err := s.reports.OnOlderVersions(ctx, u.SiteIDs, p.ID, v.Number)
	if err != nil {
		return err
	}
	view.Affected = affected
	view.CanMove = u.Has(accounts.RoleDirector) && v.Status == curriculum.Published && len(affected) > 0
	return nil
}

func (s *Server) exportVersion(c *fiber.Ctx) error {
	_, v, err := s.loadVersion(c)
	if err != nil {
		return err
	}
	b, err := curriculum.ExportProgram(v.Version)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%s-v%d.yaml", v.Version.Program.Code, v.Number)
	if err := s.recordExport(c, "program_version", v.ID, map[string]any{"program_id": v.ProgramID, "code": v.Version.Program.Code,
		"number": v.Number, "content_sha256": v.ContentSHA256, "format": "yaml"}); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/yaml; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, credentials.ContentDisposition(name))
	return c.Send(b)
}

// importProgram reads an uploaded program file and stores it as a draft
// (of a new program, or the next version of the program with its code).
func (s *Server) importProgram(c *fiber.Ctx) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return s.renderPrograms(c, statusFor(errkind.Malformed), []curriculum.Problem{{Message: "Choose a program file (.yaml) to import."}})
	}
	if fh.Size > curriculum.MaxFileSize {
		return s.renderPrograms(c, statusFor(errkind.TooLarge), []curriculum.Problem{{Message: fmt.Sprintf(
			"The file is %d KB; program files may be at most %d KB.", fh.Size/1024, curriculum.MaxFileSize/1024)}})
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, curriculum.MaxFileSize+1))
	if err != nil {
		return err
	}
	v, err := curriculum.ParseProgram(data)
	var ve *curriculum.ValidationError
	if errors.As(err, &ve) {
		return s.renderPrograms(c, statusFor(errkind.Malformed), ve.Problems)
	}
	if err != nil {
		return err
	}
	sv, err := s.programs.ImportDraft(c.UserContext(), v, currentUser(c).ID)
	if errors.Is(err, programs.ErrDraftExists) {
		return s.renderPrograms(c, statusOf(err), []curriculum.Problem{{Message: "Program " + v.Program.Code +
			" already has a draft. Publish or discard it before importing another."}})
	}
	if err != nil {
		return err
	}
	return c.Redirect(versionURL(sv.ProgramID, sv.Number)+"?msg=draft-imported", fiber.StatusSeeOther)
}

func (s *Server) startDraft(c *fiber.Ctx) error {
	sv, err := s.programs.StartDraft(c.UserContext(), c.Params("id"), currentUser(c).ID)
	if err != nil {
		return err
	}
	return c.Redirect(versionURL(sv.ProgramID, sv.Number)+"?msg=draft-started", fiber.StatusSeeOther)
}

// draftFromForm loads the draft named in the URL and checks that the
// form's lock version is still current.
func (s *Server) draftFromForm(c *fiber.Ctx) (*programs.Program, *programs.StoredVersion, int, error) {
	p, v, err := s.loadVersion(c)
	if err != nil {
		return nil, nil, 0, err
	}
	if v.Status != curriculum.Draft {
		return nil, nil, 0, curriculum.ErrPublished
	}
	lock, err := strconv.Atoi(c.FormValue("lock"))
	if err != nil {
		return nil, nil, 0, errkind.New(errkind.Malformed, "The form is missing its version stamp. Reload the page and try again.")
	}
	return p, v, lock, nil
}

func (s *Server) publishVersion(c *fiber.Ctx) error {
	p, v, lock, err := s.draftFromForm(c)
	if err != nil {
		return err
	}
	_, err = s.programs.Publish(c.UserContext(), v.ID, lock, currentUser(c).ID)
	var ve *curriculum.ValidationError
	switch {
	case errors.As(err, &ve):
		return s.renderVersion(c, statusFor(errkind.Invalid), p, v, ve.Problems)
	case err != nil:
		return err
	}
	return c.Redirect(versionURL(p.ID, v.Number)+"?msg=version-published", fiber.StatusSeeOther)
}

func (s *Server) discardDraft(c *fiber.Ctx) error {
	p, v, _, err := s.draftFromForm(c)
	if err != nil {
		return err
	}
	if err := s.programs.DiscardDraft(c.UserContext(), v.ID); err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return programs.ErrStale.With("This draft was already published or discarded.")
		}
		return err
	}
	if p.Latest() == nil {
		return c.Redirect("/programs?msg=draft-discarded", fiber.StatusSeeOther)
	}
	return c.Redirect("/programs/"+url.PathEscape(p.ID)+"?msg=draft-discarded", fiber.StatusSeeOther)
}
