package server

import (
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// closestView is what the "closest" template receives.
type closestView struct {
	*reports.Closest
	AsOf curriculum.Date
	// Asked is the task code asked for; Unknown is set when no program of
	// the cohort has it.
	Asked   string
	Unknown bool
	XLSX    string
	// Shown are the first closestPageRows rows: the page answers "who is
	// closest"; the workbook holds everyone.
	Shown []reports.ClosestRow
}

// closestPageRows is how many of the ranking the page lists (a director
// of many sites ranks thousands; the .xlsx has them all).
// Server.caps holds it (tests lower it).
const closestPageRows = 100

// closest reads the ranking for the ?task= of the request, over the
// apprentices of the director's sites, today.
func (s *Server) closest(c *fiber.Ctx) (*closestView, error) {
	task := strings.TrimSpace(c.Query("task"))
	asOf := curriculum.DateOf(s.now(), s.cfg.Location())
	v, err := s.reports.Closest(c.UserContext(), currentUser(c).SiteIDs, task, asOf)
	if err != nil {
		return nil, fmt.Errorf("closest to clearance: %w", err)
	}
	return &closestView{Closest: v, AsOf: asOf, Asked: task, Unknown: task != "" && v.Task == "",
		XLSX: "/cohort/closest.xlsx?task=" + url.QueryEscape(v.Task), Shown: v.Rows[:min(len(v.Rows), s.caps.closestPageRows)]}, nil
}

// closestPage shows the cohort ranked by what is left before clearance for
// the task picked.
func (s *Server) closestPage(c *fiber.Ctx) error {
	v, err := s.closest(c)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if v.Unknown {
		status = statusFor(errkind.Malformed)
	}
	return s.render(c, status, "closest", Page{Title: "Closest to clearance", Nav: "closest", Data: v})
}

// closestXLSX downloads the same ranking as a workbook.
func (s *Server) closestXLSX(c *fiber.Ctx) error {
	v, err := s.closest(c)
	if err != nil {
		return err
	}
	if v.Task == "" {
		return errkind.New(errkind.Malformed, "Pick a task of your cohort's program to download its ranking.")
	}
	u := currentUser(c)
	record := func(size int64) error {
		return s.recordExport(c, "report", "/cohort/closest", map[string]any{"report": "Closest to clearance", "task": v.Task, "bytes": size})
	}
	return sendTempFile(c, "skillgate-closest-*.xlsx", xlsxContentType, "Closest-"+v.Task+"-"+v.AsOf.String()+".xlsx",
		func(w io.Writer) error { return s.reports.ClosestWorkbook(v.Closest, v.AsOf, nameAndEmail(u), w) }, record)
}
