package server

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/curriculum"
)

// The clearances report: every MA × task, cleared, direct supervision
// only, or not cleared, with the reasons and the lapse date — the "who may
// do what" matrix a clinic posts and an auditor checks. The decisions are
// the clearance engine's, as on every page.

type clearanceReportRow struct {
	PersonID, Person, Site, Task string
	Status                       reports.Status
	Reasons                      string
	LapsesOn                     curriculum.Date
}

func (s *Server) clearanceRows(c *fiber.Ctx, asOf curriculum.Date, site string) ([]clearanceReportRow, error) {
	people, siteNames, err := s.reportPeople(c, site)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.ID
	}
	res, err := s.clearance.ForPeople(c.UserContext(), ids, asOf)
	if err != nil {
		return nil, err
	}
	var rows []clearanceReportRow
	for _, p := range people {
		r, ok := res[p.ID]
		if !ok {
			continue
		}
		for _, d := range r.Decisions {
			title := d.Task
			if t := r.Task(d.Task); t != nil {
				title = t.Title
			}
			tone := map[curriculum.Status]reports.Tone{curriculum.Cleared: reports.Good, curriculum.DirectSupervision: reports.Warn, curriculum.NotCleared: reports.Bad}[d.Status]
			rows = append(rows, clearanceReportRow{PersonID: p.ID, Person: p.Name, Site: siteNames[r.Enrollment.SiteID], Task: title,
				Status: reports.Status{Text: d.Status.Label(), Tone: tone}, Reasons: strings.Join(d.Messages(), "; "), LapsesOn: d.LapsesOn})
		}
	}
	return rows, nil
}

func (s *Server) clearancesReport(c *fiber.Ctx) error {
	asOf, err := s.asOfParam(c)
	if err != nil {
		return err
	}
	site := c.Query("site")
	rows, err := s.clearanceRows(c, asOf, site)
	if err != nil {
		return err
	}
	q := url.Values{"as_of": {asOf.String()}}
	if site != "" {
		q.Set("site", site)
	}
	sites, err := s.accounts.Sites(c.UserContext())
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "report_clearances", Page{Title: "Clearances report", Nav: "reports",
		Data: clearanceReportView{Rows: rows, AsOf: asOf, Site: site, Sites: sites, XLSX: "/reports/clearances.xlsx?" + q.Encode()}})
}

type clearanceReportView struct {
	Rows  []clearanceReportRow
	AsOf  curriculum.Date
	Site  string
	Sites []accounts.Site
	XLSX  string
}

func (s *Server) clearancesXLSX(c *fiber.Ctx) error {
	asOf, err := s.asOfParam(c)
	if err != nil {
		return err
	}
	site := c.Query("site")
	rows, err := s.clearanceRows(c, asOf, site)
	if err != nil {
		return err
	}
	w, err := reports.New("Clearances", []reports.Column{{Title: "Person", Width: 24}, {Title: "Site", Width: 26}, {Title: "Task", Width: 40},
		{Title: "Status", Width: 26}, {Title: "Lapses on", Width: 12}, {Title: "Why, and what is missing", Width: 90}})
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := w.Add(r.Person, r.Site, r.Task, r.Status, r.LapsesOn, r.Reasons); err != nil {
			return err
		}
	}
	filters := []string{"site: all you may see"}
	if site != "" {
		filters = []string{"site: " + site}
	}
	var buf bytes.Buffer
	if err := w.Finish(&buf, reports.About{Report: "Clearances: every MA × task (who may do what)", Filters: filters, AsOf: asOf,
		GeneratedAt: s.now(), GeneratedBy: currentUser(c).Name + " <" + currentUser(c).Email + ">"}); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, credentials.ContentDisposition("clearances-"+asOf.String()+".xlsx"))
	return c.Send(buf.Bytes())
}
