package api

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/access"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/app/request"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// versionJSON is a version in the program list. ID is what
// POST /enrollments takes as version_id: without it an integrator could
// not enroll anyone through the API.
type versionJSON struct {
	ID            string     `json:"id"`
	Number        int        `json:"number"`
	Status        string     `json:"status"`
	PublishedAt   *time.Time `json:"published_at"`
	ContentSHA256 string     `json:"content_sha256"`
}

type programJSON struct {
	ID       string        `json:"id"`
	Code     string        `json:"code"`
	Title    string        `json:"title"`
	Versions []versionJSON `json:"versions"`
}

func (a *API) listPrograms(c *fiber.Ctx) error {
	ps, err := a.programs.List(c.UserContext())
	if err != nil {
		return err
	}
	design := access.CanDesign(request.User(c))
	out := []programJSON{}
	for _, p := range ps {
		pj := programJSON{ID: p.ID, Code: p.Code, Title: p.Title, Versions: []versionJSON{}}
		for _, v := range p.Versions {
			if v.Status == curriculum.Draft && !design {
				continue
			}
			pj.Versions = append(pj.Versions, versionJSON{ID: v.ID, Number: v.Number, Status: string(v.Status), PublishedAt: v.PublishedAt, ContentSHA256: v.ContentSHA256})
		}
		if len(pj.Versions) > 0 || design {
			out = append(out, pj)
		}
	}
	return c.JSON(fiber.Map{"programs": out})
}

func (a *API) programVersion(c *fiber.Ctx) error {
	_, v, err := a.scope.LoadVersion(c)
	if err != nil {
		return err
	}
	return c.JSON(versionDocJSON(v))
}

type versionDoc struct {
	// VersionID is the version's id, as POST /enrollments takes it.
	VersionID     string              `json:"version_id"`
	ProgramID     string              `json:"program_id"`
	ContentSHA256 string              `json:"content_sha256"`
	Version       *curriculum.Version `json:"version"`
}

func versionDocJSON(v *programs.StoredVersion) versionDoc {
	return versionDoc{VersionID: v.ID, ProgramID: v.ProgramID, ContentSHA256: v.ContentSHA256, Version: v.Version}
}

// importProgram stores a program file (the body, YAML as
// curriculum/FORMAT.md describes it) as the program's next draft, as the
// programs page's import does. A draft is published separately.
func (a *API) importProgram(c *fiber.Ctx) error {
	v, err := curriculum.ParseProgram(c.Body())
	if err != nil {
		return problems(err, errkind.Malformed)
	}
	sv, err := a.programs.ImportDraft(c.UserContext(), v, request.User(c).ID)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(versionDocJSON(sv))
}

// publishVersion publishes the :id/:n draft as it is now, as the version
// page's Publish button does.
func (a *API) publishVersion(c *fiber.Ctx) error {
	_, v, err := a.scope.LoadVersion(c)
	if err != nil {
		return err
	}
	if v.Status != curriculum.Draft {
		return curriculum.ErrPublished
	}
	sv, err := a.programs.Publish(c.UserContext(), v.ID, v.LockVersion, request.User(c).ID)
	if err != nil {
		return problems(err, errkind.Invalid)
	}
	return c.JSON(versionDocJSON(sv))
}

// problems turns a program's validation problems into an error of kind k
// with a message per field path (line and column when from a file); other
// errors pass as they are.
func problems(err error, k errkind.Kind) error {
	var ve *curriculum.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	fields := map[string]string{}
	for _, p := range ve.Problems {
		msg := p.Message
		if p.Line > 0 {
			msg = fmt.Sprintf("line %d, column %d: %s", p.Line, p.Column, msg)
		}
		if was, ok := fields[p.Path]; ok {
			msg = was + "; " + msg
		}
		fields[p.Path] = msg
	}
	return errkind.WithFields(k, fmt.Sprintf("The program has %d problem(s); nothing was stored: %s", len(ve.Problems), strings.TrimSpace(ve.Problems[0].Message)), fields)
}
