package server

import (
	"bytes"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/curriculum"
)

// report describes one report once; its page and its .xlsx come from the
// same rows, so they cannot disagree.
type report[R any] struct {
	Path     string // e.g. /reports/certifications
	Title    string // page heading and About sheet
	Sheet    string
	Template string
	Columns  []reports.Column
	Rows     func(s *Server, c *fiber.Ctx, asOf curriculum.Date, site string) ([]R, error)
	Cells    func(R) []any
}

// reportPage is what every report template receives.
type reportPage[R any] struct {
	Rows  []R
	AsOf  curriculum.Date
	Site  string
	Sites []accounts.Site
	XLSX  string
}

func (rp report[R]) rows(s *Server, c *fiber.Ctx) ([]R, curriculum.Date, string, error) {
	asOf, err := s.asOfParam(c)
	if err != nil {
		return nil, asOf, "", err
	}
	site := c.Query("site")
	rows, err := rp.Rows(s, c, asOf, site)
	return rows, asOf, site, err
}

func (rp report[R]) page(s *Server) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rows, asOf, site, err := rp.rows(s, c)
		if err != nil {
			return err
		}
		all, err := s.accounts.Sites(c.UserContext())
		if err != nil {
			return err
		}
		// The site filter offers only sites the caller may see.
		var sites []accounts.Site
		for _, st := range all {
			if canSeeSite(currentUser(c), st.ID) {
				sites = append(sites, st)
			}
		}
		q := url.Values{"as_of": {asOf.String()}}
		if site != "" {
			q.Set("site", site)
		}
		return s.render(c, fiber.StatusOK, rp.Template, Page{Title: rp.Title, Nav: "reports",
			Data: reportPage[R]{Rows: rows, AsOf: asOf, Site: site, Sites: sites, XLSX: rp.Path + ".xlsx?" + q.Encode()}})
	}
}

func (rp report[R]) xlsx(s *Server) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rows, asOf, site, err := rp.rows(s, c)
		if err != nil {
			return err
		}
		w, err := reports.New(rp.Sheet, rp.Columns)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := w.Add(rp.Cells(r)...); err != nil {
				return err
			}
		}
		filter := "site: all you may see"
		if site != "" {
			filter = "site: " + site
		}
		u := currentUser(c)
		var buf bytes.Buffer
		if err := w.Finish(&buf, reports.About{Report: rp.Title, Filters: []string{filter}, AsOf: asOf, GeneratedAt: s.now(),
			GeneratedBy: u.Name + " <" + u.Email + ">"}); err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		c.Set(fiber.HeaderContentDisposition, credentials.ContentDisposition(rp.Sheet+"-"+asOf.String()+".xlsx"))
		return c.Send(buf.Bytes())
	}
}

var certificationsReport = report[certRow]{
	Path: "/reports/certifications", Title: "Certifications: every person × required credential", Sheet: "Certifications",
	Template: "report_certifications",
	Columns: []reports.Column{{Title: "Person", Width: 24}, {Title: "Employee id", Width: 14}, {Title: "Site", Width: 26},
		{Title: "Credential", Width: 34}, {Title: "Number", Width: 16}, {Title: "Issued", Width: 12}, {Title: "Expires", Width: 12},
		{Title: "Status", Width: 36}, {Title: "Verified by", Width: 22}, {Title: "Verified at", Width: 20}},
	Rows: (*Server).certificationRows,
	Cells: func(r certRow) []any {
		return []any{r.Person, r.EmployeeID, r.Site, r.Credential, r.Number, r.Issued, r.Expires, r.Status, r.VerifiedBy, r.VerifiedAt}
	},
}

var clearancesReport = report[clearanceReportRow]{
	Path: "/reports/clearances", Title: "Clearances: every MA × task (who may do what)", Sheet: "Clearances",
	Template: "report_clearances",
	Columns: []reports.Column{{Title: "Person", Width: 24}, {Title: "Site", Width: 26}, {Title: "Task", Width: 40},
		{Title: "Status", Width: 26}, {Title: "Lapses on", Width: 12}, {Title: "Why, and what is missing", Width: 90}},
	Rows: (*Server).clearanceRows,
	Cells: func(r clearanceReportRow) []any {
		return []any{r.Person, r.Site, r.Task, r.Status, r.LapsesOn, r.Reasons}
	},
}

var signOffsReport = report[signOffReportRow]{
	Path: "/reports/signoffs", Title: "Sign-offs register: every electronic signature", Sheet: "Sign-offs",
	Template: "report_signoffs",
	Columns: []reports.Column{{Title: "Apprentice", Width: 24}, {Title: "Competency", Width: 14}, {Title: "Kind", Width: 14},
		{Title: "Signed on", Width: 12}, {Title: "Signer (printed name)", Width: 24}, {Title: "Credential", Width: 10}, {Title: "Signed at", Width: 24},
		{Title: "Meaning", Width: 70}, {Title: "Evidence ids", Width: 60}, {Title: "Signature check", Width: 22}, {Title: "Revocation", Width: 50}},
	Rows: (*Server).signOffRows,
	Cells: func(r signOffReportRow) []any {
		return []any{r.Person, r.Competency, r.Kind, r.SignedOn, r.Signer, r.Credential, r.SignedAt, r.Meaning, r.Evidence, r.Verified, r.Revocation}
	},
}
