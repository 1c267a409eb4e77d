package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// Bulk import of people and credentials: upload, preview every problem
// (row and column), then confirm; the confirmed import writes all rows in
// one transaction or none. The uploaded file waits for confirmation in the
// shared store for an hour, so any instance can finish it.

const importTTL = time.Hour

type importView struct {
	Preview  *credentials.Preview
	Counts   credentials.Summary
	UploadID string
	Problem  string
	Done     *credentials.Summary
}

func (s *Server) importPage(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "import", Page{Title: "Import people and credentials", Nav: "hr", Data: importView{}})
}

func (s *Server) importTemplate(c *fiber.Ctx) error {
	format, name, ctype := credentials.FormatCSV, "skillgate-import-template.csv", "text/csv; charset=utf-8"
	if strings.HasSuffix(c.Path(), ".xlsx") {
		format, name, ctype = credentials.FormatXLSX, "skillgate-import-template.xlsx", xlsxContentType
	}
	// The example row names one of the reader's clinics, so it imports as
	// it stands.
	sites, err := s.accounts.Sites(c.UserContext())
	if err != nil {
		return err
	}
	site := ""
	for _, st := range sites {
		if canSeeSite(currentUser(c), st.ID) {
			site = st.Name
			break
		}
	}
	b, err := credentials.Template(format, site)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, ctype)
	c.Set(fiber.HeaderContentDisposition, credentials.ContentDisposition(name))
	return c.Send(b)
}

// importRoster downloads the people HR may manage, with their current
// credentials, in the import layout: the sheet to edit for renewals.
func (s *Server) importRoster(c *fiber.Ctx) error {
	format, ext, ctype := credentials.FormatCSV, ".csv", "text/csv; charset=utf-8"
	if strings.HasSuffix(c.Path(), ".xlsx") {
		format, ext, ctype = credentials.FormatXLSX, ".xlsx", xlsxContentType
	}
	b, err := s.importer(c).Roster(c.UserContext(), format, visibleSites(currentUser(c)))
	if err != nil {
		return err
	}
	name := "skillgate-roster-" + curriculum.DateOf(s.now(), s.cfg.Location()).String() + ext
	c.Set(fiber.HeaderContentType, ctype)
	c.Set(fiber.HeaderContentDisposition, credentials.ContentDisposition(name))
	return c.Send(b)
}

// importer checks and applies imports within what the caller may manage:
// an administrator everything, HR the people of their own sites, made only
// with the roles SKILLGATE_IMPORT_ROLES allows (below HR's).
func (s *Server) importer(c *fiber.Ctx) *credentials.Importer {
	im := credentials.NewImporter(s.db)
	im.Credentials.Audit = s.audit
	im.Accounts.Audit = s.audit
	if sites := visibleSites(currentUser(c)); sites != nil {
		var roles []accounts.Role // none configured: the default
		for _, r := range s.cfg.ImportRoles {
			roles = append(roles, accounts.Role(r))
		}
		im.Scope = &credentials.Scope{SiteIDs: sites, Roles: roles}
	}
	return im
}

func (s *Server) preview(c *fiber.Ctx, name string, data []byte) (*credentials.Preview, error) {
	return s.importer(c).Preview(c.UserContext(), name, bytes.NewReader(data))
}

// importUpload reads the file and shows the preview; nothing is written.
func (s *Server) importUpload(c *fiber.Ctx) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return s.render(c, statusFor(errkind.Malformed), "import", Page{Title: "Import", Nav: "hr", Errors: map[string]string{"file": "Choose a .xlsx or .csv file to import."}, Data: importView{}})
	}
	if fh.Size > credentials.MaxUploadSize {
		return s.render(c, statusFor(errkind.TooLarge), "import", Page{Title: "Import", Nav: "hr", Data: importView{},
			Errors: map[string]string{"file": fmt.Sprintf("The file is larger than %d MB.", credentials.MaxUploadSize>>20)}})
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, credentials.MaxUploadSize+1))
	if err != nil {
		return err
	}
	p, err := s.preview(c, fh.Filename, data)
	if err != nil {
		if formError(err) != nil {
			// The reader's own words say what is wrong with the file.
			return s.render(c, statusOf(err), "import", Page{Title: "Import", Nav: "hr", Errors: map[string]string{"file": err.Error()}, Data: importView{}})
		}
		return err
	}
	v := importView{Preview: p, Counts: p.Counts()}
	if p.OK() {
		v.UploadID = "import:" + strings.ReplaceAll(accounts.NewID(), "-", "")
		blob := append([]byte(fh.Filename+"\n"), data...)
		if err := s.kv.Set(v.UploadID+":"+currentUser(c).ID, blob, importTTL); err != nil {
			return err
		}
	}
	status := fiber.StatusOK
	if !p.OK() {
		status = statusFor(errkind.Invalid)
	}
	return s.render(c, status, "import", Page{Title: "Import preview", Nav: "hr", Data: v})
}

// importConfirm writes a previewed upload: everything or nothing.
func (s *Server) importConfirm(c *fiber.Ctx) error {
	id := c.FormValue("upload")
	if !strings.HasPrefix(id, "import:") {
		return errNotFound
	}
	key := id + ":" + currentUser(c).ID // only the person who uploaded it
	blob, err := s.kv.Get(key)
	if err != nil {
		return err
	}
	if blob == nil {
		return s.render(c, statusFor(errkind.Gone), "import", Page{Title: "Import", Nav: "hr", Data: importView{
			Problem: "This preview has expired or was already imported. Upload the file again."}})
	}
	name, data, _ := bytes.Cut(blob, []byte("\n"))
	p, err := s.preview(c, string(name), data)
	if err != nil {
		return err
	}
	if !p.OK() {
		return s.render(c, statusFor(errkind.Invalid), "import", Page{Title: "Import preview", Nav: "hr", Data: importView{Preview: p, Counts: p.Counts()}})
	}
	sum, err := s.importer(c).Apply(c.UserContext(), p, currentUser(c).ID)
	if errors.Is(err, credentials.ErrProblems) {
		return s.render(c, statusOf(err), "import", Page{Title: "Import preview", Nav: "hr", Data: importView{Preview: p, Counts: p.Counts(),
			Problem: "The data changed since the preview; nothing was imported. Review the problems below."}})
	}
	if err != nil {
		return err
	}
	_ = s.kv.Delete(key)
	return s.render(c, fiber.StatusOK, "import", Page{Title: "Imported", Nav: "hr", Data: importView{Done: &sum}})
}
