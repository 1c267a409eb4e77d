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

// The RAPIDS export (HR and administrators only): a page with the filters
// and the apprenticeships without their demographic fields, and the
// workbook and CSV with them, each download audited before it is sent.

const rapidsPath = "/reports/rapids"

// rapidsPageRows is how many apprenticeships the page lists at most.
const rapidsPageRows = 200

// rapidsView is what the RAPIDS page shows.
type rapidsView struct {
	Filters reportFiltersView
	Rows    []reports.RAPIDSRow
	// Total is how many apprenticeships the filters give; the page shows
	// the first rapidsPageRows, the downloads all of them.
	Total     int
	XLSX, CSV string
	Invalid   bool
}

// rapidsQuery reads the report filters and from (the range's first day).
func (s *Server) rapidsQuery(c *fiber.Ctx) (reports.RAPIDSQuery, reportFiltersView, error) {
	q, view, err := s.reportQuery(c, false)
	if err != nil {
		return reports.RAPIDSQuery{}, view, err
	}
	rq := reports.RAPIDSQuery{Query: q}
	view.Action, view.OffersFrom, view.From = rapidsPath, true, strings.TrimSpace(c.Query("from"))
	if view.From != "" {
		d, err := curriculum.ParseDate(view.From)
		switch {
		case err != nil:
			view.Errors["from"] = "Give the first day as YYYY-MM-DD (for example 2026-01-01), or leave it empty for every apprenticeship."
		case view.Errors["as_of"] == "" && d.After(q.AsOf):
			view.Errors["from"] = "The first day (" + d.String() + ") is after the last (" + q.AsOf.String() + ")."
		default:
			rq.From = d
		}
	}
	return rq, view, nil
}

// rapidsParams are the query string that gives the same export again.
func rapidsParams(q reports.RAPIDSQuery) url.Values {
	v := reportParams(q.Query)
	if !q.From.IsZero() {
		v.Set("from", q.From.String())
	}
	return v
}

func (s *Server) rapidsPage(c *fiber.Ctx) error {
	q, filters, err := s.rapidsQuery(c)
	if err != nil {
		return err
	}
	v := rapidsView{Filters: filters}
	if len(filters.Errors) > 0 {
		v.Invalid = true
		return s.render(c, statusFor(errkind.Malformed), "report_rapids", Page{Title: reports.RAPIDSTitle, Nav: "reports", Errors: filters.Errors, Data: v})
	}
	if v.Rows, err = s.reports.RAPIDSRows(c.UserContext(), q); err != nil {
		return err
	}
	v.Total = len(v.Rows)
	v.Rows = v.Rows[:min(len(v.Rows), rapidsPageRows)]
	p := rapidsParams(q).Encode()
	v.XLSX, v.CSV = rapidsPath+".xlsx?"+p, rapidsPath+".csv?"+p
	return s.render(c, fiber.StatusOK, "report_rapids", Page{Title: reports.RAPIDSTitle, Nav: "reports", Data: v})
}

// rapidsExport sends the export as .xlsx or .csv, recording it in the
// audit trail (with its filters and row count: it holds demographic
// fields) once written and before it leaves.
func (s *Server) rapidsExport(format string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q, filters, err := s.rapidsQuery(c)
		if err != nil {
			return err
		}
		if err := filtersRefused(filters.Errors, "export", "site", "program", "from", "as_of", "known_at"); err != nil {
			return err
		}
		rows, err := s.reports.RAPIDSRows(c.UserContext(), q)
		if err != nil {
			return err
		}
		write, contentType := func(w io.Writer) error { return reports.WriteRAPIDSCSV(rows, w) }, "text/csv; charset=utf-8"
		if format == "xlsx" {
			write, contentType = func(w io.Writer) error { return s.reports.WriteRAPIDSXLSX(q, rows, w) }, xlsxContentType
		}
		record := func(size int64) error {
			return s.recordExport(c, "report", rapidsPath, map[string]any{"report": "RAPIDS", "format": format, "filters": q.Filters(),
				"query": rapidsParams(q).Encode(), "rows": len(rows), "demographics": true, "bytes": size})
		}
		name := "rapids-" + q.AsOf.String() + "." + format
		if err := sendTempFile(c, "skillgate-rapids-*."+format, contentType, name, write, record); err != nil {
			return fmt.Errorf("RAPIDS export: %w", err)
		}
		return nil
	}
}
