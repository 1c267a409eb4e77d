package server

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/errkind"
)

// reportRoute is where a report is served and how its page shows it;
// what it holds is the reports package's (reports.Report).
type reportRoute[R any] struct {
	*reports.Report[R]
	Path     string // e.g. /reports/certifications
	Template string
	// PerPage is how many people one page of the HTML view covers; the
	// .xlsx has everyone.
	PerPage int
}

var (
	certificationsReport = reportRoute[reports.CertificationRow]{Report: reports.Certifications, Path: "/reports/certifications",
		Template: "report_certifications", PerPage: 100}
	clearancesReport = reportRoute[reports.ClearanceRow]{Report: reports.Clearances, Path: "/reports/clearances",
		Template: "report_clearances", PerPage: 10}
	signOffsReport = reportRoute[reports.SignOffRow]{Report: reports.SignOffs, Path: "/reports/signoffs",
		Template: "report_signoffs", PerPage: 20}
	progressReport = reportRoute[reports.ProgressRow]{Report: reports.Progress, Path: "/reports/progress",
		Template: "report_progress", PerPage: 10}
	hoursReport = reportRoute[reports.HoursRow]{Report: reports.Hours, Path: "/reports/hours",
		Template: "report_hours", PerPage: 20}
	evaluationsReport = reportRoute[reports.EvaluationRow]{Report: reports.Evaluations, Path: "/reports/evaluations",
		Template: "report_evaluations", PerPage: 50}
	wagesReport = reportRoute[reports.WageRow]{Report: reports.Wages, Path: "/reports/wages",
		Template: "report_wages", PerPage: 50}
)

// reportPage is what every report template receives.
type reportPage[R any] struct {
	Rows    []R
	Filters reportFiltersView
	XLSX    string
	Pager   pager
	// First and Last number the people on this page among People.
	First, Last, People int
	Invalid             bool
}

// reportFiltersView is what the "report-filters" partial renders.
type reportFiltersView struct {
	Action   string
	Sites    []accounts.Site
	Site     string
	Programs []*programs.Program
	Program  string
	AsOf     string
	// KnownAt is the known_at field's value (datetime-local, in the
	// organisation's zone); OffersKnownAt: the report answers as known at
	// an instant (reports.Report.AsKnownAt).
	KnownAt       string
	OffersKnownAt bool
	// From is the first day of a date range (the RAPIDS export, which
	// OffersFrom); AsOf is then its last.
	From       string
	OffersFrom bool
	Errors     map[string]string
}

// reportScope is who a report may cover for u, with the site filter
// (site, "" for every site u may see): admins everyone (or one site), HR
// and directors the apprentices of their sites, preceptors the
// apprentices of their enrollments, anyone else only themselves.
func reportScope(u *accounts.Person, site string) reports.Scope {
	var sc reports.Scope
	switch {
	case u.HasAny(accounts.RoleAdmin, accounts.RoleHR, accounts.RoleDirector):
		sc.Role = accounts.RoleApprentice
		switch {
		case u.Has(accounts.RoleAdmin) && site == "":
		case u.Has(accounts.RoleAdmin):
			sc.SiteIDs = []string{site}
		case site == "":
			sc.SiteIDs = append([]string{}, u.SiteIDs...) // none: nobody
		case slices.Contains(u.SiteIDs, site):
			sc.SiteIDs = []string{site}
		default:
			sc.SiteIDs = []string{} // a site that is not theirs
		}
	case u.Has(accounts.RolePreceptor):
		sc.PreceptorID = u.ID
		if site != "" {
			sc.SiteIDs = []string{site}
		}
	default:
		sc.IDs = []string{u.ID}
	}
	return sc
}

// nameAndEmail is how an export names who asked for it.
func nameAndEmail(u *accounts.Person) string { return u.Name + " <" + u.Email + ">" }

// reportQuery reads the filters (site, program, as_of, and known_at for a
// report that answers asKnownAt). Unknown values come back as messages
// per field, so the page can say what is wrong instead of showing an
// empty report.
func (s *Server) reportQuery(c *fiber.Ctx, asKnownAt bool) (*reports.Query, reportFiltersView, error) {
	ctx := c.UserContext()
	u := currentUser(c)
	q := &reports.Query{Site: strings.TrimSpace(c.Query("site")), SiteNames: map[string]string{}, GeneratedBy: nameAndEmail(u), Zone: s.cfg.Location()}
	q.Scope = reportScope(u, q.Site)
	q.Sees = func(e *assessments.Enrollment) bool { return canSeeEnrollment(u, e) }
	view := reportFiltersView{Site: q.Site, Program: strings.TrimSpace(c.Query("program")), AsOf: c.Query("as_of"), Errors: map[string]string{}}
	all, err := s.accounts.Sites(ctx)
	if err != nil {
		return nil, view, err
	}
	for _, st := range all {
		q.SiteNames[st.ID] = st.Name
		// The site filter offers only sites the caller may see.
		if canSeeSite(u, st.ID) {
			view.Sites = append(view.Sites, st)
		}
	}
	if view.Programs, err = s.programs.List(ctx); err != nil {
		return nil, view, err
	}
	// A site the caller may not see is refused exactly as an unknown one.
	if _, ok := q.SiteNames[q.Site]; q.Site != "" && (!ok || !canSeeSite(u, q.Site)) {
		view.Errors["site"] = fmt.Sprintf("There is no site with the id %q that you may see. Choose a site from the list.", q.Site)
	}
	if view.Program != "" {
		for _, p := range view.Programs {
			if p.ID == view.Program {
				q.Program = p
			}
		}
		if q.Program == nil {
			view.Errors["program"] = fmt.Sprintf("There is no program with the id %q. Choose a program from the list.", view.Program)
		}
	}
	if q.AsOf, err = s.asOfParam(c); err != nil {
		ke := errkind.As(err)
		if ke == nil || ke.Fields["as_of"] == "" {
			return nil, view, err
		}
		view.Errors["as_of"] = ke.Fields["as_of"]
	} else {
		view.AsOf = q.AsOf.String()
	}
	view.OffersKnownAt = asKnownAt
	if !asKnownAt && strings.TrimSpace(c.Query("known_at")) != "" {
		view.Errors["known_at"] = "This report counts everything on file; it cannot answer as known at an earlier moment. Remove the known_at filter, or use the clearances or evaluations report."
		view.KnownAt = c.Query("known_at")
	} else if q.KnownAt, err = s.knownAtParam(c); err != nil {
		ke := errkind.As(err)
		if ke == nil || ke.Fields["known_at"] == "" {
			return nil, view, err
		}
		view.Errors["known_at"] = ke.Fields["known_at"]
		view.KnownAt = c.Query("known_at")
	} else if !q.KnownAt.IsZero() {
		view.KnownAt = q.KnownAt.In(s.cfg.Location()).Format("2006-01-02T15:04")
	}
	return q, view, nil
}

// reportParams are the query string that gives the same report again.
func reportParams(q *reports.Query) url.Values {
	v := url.Values{"as_of": {q.AsOf.String()}}
	if q.Site != "" {
		v.Set("site", q.Site)
	}
	if q.Program != nil {
		v.Set("program", q.Program.ID)
	}
	if !q.KnownAt.IsZero() {
		v.Set("known_at", q.KnownAt.Format(time.RFC3339))
	}
	return v
}

func (rp reportRoute[R]) page(s *Server) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q, filters, err := s.reportQuery(c, rp.AsKnownAt)
		if err != nil {
			return err
		}
		filters.Action = rp.Path
		data := reportPage[R]{Filters: filters}
		if len(filters.Errors) > 0 {
			data.Invalid = true
			return s.render(c, statusFor(errkind.Malformed), rp.Template, Page{Title: rp.Title, Nav: "reports", Errors: filters.Errors, Data: data})
		}
		p, err := rp.Page(c.UserContext(), s.reports, q, pageParam(c), rp.PerPage)
		if err != nil {
			return err
		}
		data.Rows, data.First, data.Last, data.People = p.Rows, p.First, p.Last, p.People
		data.Pager = newPager(rp.Path, reportParams(q), p.Page, data.People, max(rp.PerPage, 1))
		data.XLSX = rp.Path + ".xlsx?" + reportParams(q).Encode()
		return s.render(c, fiber.StatusOK, rp.Template, Page{Title: rp.Title, Nav: "reports", Data: data})
	}
}

func (rp reportRoute[R]) xlsx(s *Server) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q, filters, err := s.reportQuery(c, rp.AsKnownAt)
		if err != nil {
			return err
		}
		if err := filtersRefused(filters.Errors, "report", "site", "program", "as_of", "known_at"); err != nil {
			return err
		}
		name := rp.Sheet + "-" + q.AsOf.String() + ".xlsx"
		// Recorded once the file is written and before it leaves: an export
		// the trail does not know of is not sent.
		record := func(size int64) error {
			return s.recordExport(c, "report", rp.Path, map[string]any{"report": rp.Title, "filters": q.Filters(),
				"query": reportParams(q).Encode(), "bytes": size})
		}
		if err := sendTempFile(c, "skillgate-report-*.xlsx", xlsxContentType, name,
			func(w io.Writer) error { return rp.Export(c.UserContext(), s.reports, q, w) }, record); err != nil {
			return fmt.Errorf("report %s: %w", rp.Sheet, err)
		}
		return nil
	}
}

// filtersRefused is the error refusing a download whose filters are
// wrong (errs by field), their messages in the order of keys; nil when
// none is.
func filtersRefused(errs map[string]string, what string, keys ...string) error {
	var msgs []string
	for _, k := range keys {
		if m := errs[k]; m != "" {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return errkind.New(errkind.Malformed, "This "+what+" cannot be made: "+strings.Join(msgs, " "))
}

// xlsxContentType is the media type of an .xlsx workbook.
const xlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// sendTempFile writes a download into a temporary file, not memory, and
// streams it as an attachment; the file is removed once sent (fasthttp
// closes the stream) or as soon as anything fails. beforeSend, if set, runs
// when the size is known; an error from it sends nothing.
func sendTempFile(c *fiber.Ctx, pattern, contentType, name string, write func(io.Writer) error, beforeSend func(size int64) error) error {
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return fmt.Errorf("temporary file: %w", err)
	}
	file := &tempFile{f}
	size, err := func() (int64, error) {
		if err := write(f); err != nil {
			return 0, err
		}
		size, err := f.Seek(0, io.SeekCurrent)
		if err == nil {
			_, err = f.Seek(0, io.SeekStart)
		}
		if err == nil && beforeSend != nil {
			err = beforeSend(size)
		}
		return size, err
	}()
	if err != nil {
		_ = file.Close()
		return err
	}
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderContentDisposition, credentials.ContentDisposition(name))
	c.Set(fiber.HeaderContentLength, strconv.FormatInt(size, 10))
	c.Response().SetBodyStream(file, int(size))
	return nil
}

// tempFile is a temporary file removed when closed.
type tempFile struct{ *os.File }

func (t *tempFile) Close() error {
	err := t.File.Close()
	if rerr := os.Remove(t.Name()); rerr != nil && err == nil {
		err = rerr
	}
	return err
}
