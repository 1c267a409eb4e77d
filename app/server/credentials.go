package server

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// Credential pages: a person's credentials with history and required
// status, adding a record with its evidence file, HR verification, and
// serving files only to people allowed to see the person.

func canManageCredentials(u *accounts.Person) bool { return hrStaff.Allows(u) }

type credentialStateView struct {
	Credential, Name, Label, Class string
}

type credentialsView struct {
	Person    *accounts.Person
	Required  []credentialStateView
	Records   []credentials.Record
	Types     []curriculum.CredentialType
	CanManage bool
	URL       string
	Today     curriculum.Date
}

func (s *Server) credentialsPage(c *fiber.Ctx) error {
	return s.renderCredentials(c, fiber.StatusOK)
}

func (s *Server) renderCredentials(c *fiber.Ctx, status int) error {
	p, err := s.visiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	today := curriculum.DateOf(s.now(), s.cfg.Location())
	recs, err := s.evidence.Credentials.ForPerson(ctx, p.ID)
	if err != nil {
		return err
	}
	v := credentialsView{Person: p, Records: recs, CanManage: canManageCredentials(currentUser(c)), Today: today,
		URL: "/people/" + url.PathEscape(p.ID) + "/credentials"}
	res, err := s.visibleResult(c, p.ID, today)
	switch {
	case errors.Is(err, clearance.ErrNotEnrolled):
	case err != nil:
		return err
	default:
		prog := res.Program()
		v.Types = prog.CredentialTypes
		for _, st := range res.RequiredCredentials(today) {
			label, class := reports.CredentialLabel(st)
			name := st.Credential
			if ct := prog.CredentialType(st.Credential); ct != nil {
				name = ct.Name
			}
			v.Required = append(v.Required, credentialStateView{Credential: st.Credential, Name: name, Label: label, Class: class})
		}
	}
	if v.Types == nil {
		if ms, err := curriculum.MedicalAssistantProgram(); err == nil {
			v.Types = ms.Program.CredentialTypes
		}
	}
	return s.render(c, status, "credentials", Page{Title: "Credentials: " + p.Name, Nav: "credentials", Data: v})
}

// addCredential records a card or certificate, with its evidence file.
func (s *Server) addCredential(c *fiber.Ctx) error {
	p, err := s.visiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	n := credentials.NewRecord{PersonID: p.ID, TypeCode: c.FormValue("type"), IssuingBody: c.FormValue("issuing_body"),
		Number: c.FormValue("number"), Notes: c.FormValue("notes"), RecordedBy: currentUser(c).ID}
	if n.IssuedOn, err = curriculum.ParseDate(strings.TrimSpace(c.FormValue("issued_on"))); err != nil {
		return badInput(map[string]string{"issued_on": "Give the issue date as YYYY-MM-DD."})
	}
	if raw := strings.TrimSpace(c.FormValue("expires_on")); raw != "" {
		if len(raw) == 7 { // YYYY-MM from a month input: valid through that month
			raw += "-01"
			n.ValidThroughMonth = true
		}
		if n.ExpiresOn, err = curriculum.ParseDate(raw); err != nil {
			return badInput(map[string]string{"expires_on": "Give the expiry date as YYYY-MM-DD, or the month as YYYY-MM for cards valid through a month."})
		}
	}
	if c.FormValue("valid_through_month") == "on" {
		n.ValidThroughMonth = true
	}
	fh, ferr := c.FormFile("file")
	if ferr == nil && fh.Size > credentials.MaxFileSize {
		return credentials.ErrFileTooLarge.WithField("file", fmt.Sprintf("The file is larger than %d MB.", credentials.MaxFileSize>>20))
	}
	var upload *credentials.Upload
	if ferr == nil {
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		upload = &credentials.Upload{Name: fh.Filename, Content: f}
	}
	if _, err = s.evidence.Credentials.AddWithFile(ctx, n, upload); err != nil {
		if errors.Is(err, credentials.ErrFileType) || errors.Is(err, credentials.ErrFileEmpty) || errors.Is(err, credentials.ErrFileTooLarge) {
			return errkind.As(err).WithField("file", errkind.Message(err)) // shown by the file field
		}
		return err
	}
	return c.Redirect("/people/"+url.PathEscape(p.ID)+"/credentials?msg=credential-added", fiber.StatusSeeOther)
}

// verifyCredential records HR's check at the source (once).
func (s *Server) verifyCredential(c *fiber.Ctx) error {
	p, err := s.visiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	rec, err := s.evidence.Credentials.ByID(c.UserContext(), c.Params("rid"))
	if err != nil || rec.PersonID != p.ID {
		return errNotFound
	}
	method := strings.TrimSpace(c.FormValue("method"))
	if method == "" {
		return badInput(map[string]string{"method": "Say how you verified it, e.g. “checked the AHA eCard site”."})
	}
	if _, err := s.evidence.Credentials.Verify(c.UserContext(), rec.ID, currentUser(c).ID, method); err != nil {
		return err
	}
	return c.Redirect("/people/"+url.PathEscape(p.ID)+"/credentials?msg=credential-verified", fiber.StatusSeeOther)
}

// credentialFile serves an evidence file to people who may see its
// person, as an attachment with a safe name and its detected type.
func (s *Server) credentialFile(c *fiber.Ctx) error {
	p, err := s.visiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	rec, err := s.evidence.Credentials.ByID(c.UserContext(), c.Params("rid"))
	if err != nil || rec.PersonID != p.ID || rec.FileID == "" {
		return errNotFound
	}
	f, err := s.evidence.Credentials.File(c.UserContext(), rec.FileID)
	if errors.Is(err, db.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, f.ContentType)
	c.Set(fiber.HeaderContentDisposition, credentials.ContentDisposition(f.DownloadName()))
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(f.Data)
}
