package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/curriculum"
)

// report describes one report once; its page and its .xlsx come from the
// same row builder, so they cannot disagree. Rows are built a batch of
// people at a time: the page shows one page of people, the .xlsx walks
// every batch and streams its rows into the workbook, so neither holds
// the whole report in memory.
type report[R any] struct {
	Path     string // e.g. /reports/certifications
	Title    string // page heading and About sheet
	Sheet    string
	Template string
	Columns  []reports.Column
	// PerPage is how many people one page of the HTML view covers; the
	// .xlsx has everyone.
	PerPage int
	// Rows builds the rows of a batch of people, in the batch's order.
	Rows  func(s *Server, q *reportQuery, people []*accounts.Person) ([]R, error)
	Cells func(R) []any
	// Batch is how many people an export reads at a time when not
	// exportBatch: more for a report that reads no evidence.
	Batch int
}

// exportBatch is how many people an export loads at a time: large enough
// that the per-batch queries are few (about a dozen per batch), small
// enough that a batch's evidence stays a few megabytes. (Server.batch
// overrides it in tests.)
const exportBatch = 500

func (s *Server) exportBatch(size int) int {
	if s.batch > 0 {
		return s.batch
	}
	if size > 0 {
		return size
	}
	return exportBatch
}

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
	Errors   map[string]string
}

// reportQuery is one request for a report: who asks, and the filters.
type reportQuery struct {
	ctx       context.Context
	user      *accounts.Person
	asOf      curriculum.Date
	site      string            // a site id; "" for every site the user may see
	program   *programs.Program // nil for every program
	versions  map[string]bool   // the program's version ids
	siteNames map[string]string
	// names caches people's names looked up while building rows (for
	// example who verified a credential), across batches.
	names map[string]string
	// bulk is set for workbooks: decisions are read from the cache but not
	// added to it, so exporting the whole organisation (or another day)
	// does not push out the decisions the API and the pages are asking for.
	bulk bool
}

// inProgram says whether an enrollment's version belongs to the program
// asked for (always, without a program filter).
func (q *reportQuery) inProgram(versionID string) bool {
	return q.program == nil || q.versions[versionID]
}

// versionIDs returns the program's version ids, or nil without a program
// filter.
func (q *reportQuery) versionIDs() []string {
	if q.program == nil {
		return nil
	}
	ids := make([]string, 0, len(q.versions))
	for id := range q.versions {
		ids = append(ids, id)
	}
	return ids
}

// filters describes the filters on the About sheet.
func (q *reportQuery) filters() []string {
	site, program := "Site: every site you may see", "Program: every program"
	if q.site != "" {
		site = "Site: " + q.siteNames[q.site]
	}
	if q.program != nil {
		program = "Program: " + q.program.Title + " (" + q.program.Code + ")"
	}
	return []string{site, program}
}

// reportQuery reads the filters (site, program, as_of). Unknown values
// come back as messages per field, so the page can say what is wrong
// instead of showing an empty report.
func (s *Server) reportQuery(c *fiber.Ctx) (*reportQuery, reportFiltersView, error) {
	ctx := c.UserContext()
	q := &reportQuery{ctx: ctx, user: currentUser(c), site: strings.TrimSpace(c.Query("site")), siteNames: map[string]string{}, names: map[string]string{}}
	view := reportFiltersView{Site: q.site, Program: strings.TrimSpace(c.Query("program")), AsOf: c.Query("as_of"), Errors: map[string]string{}}
	all, err := s.accounts.Sites(ctx)
	if err != nil {
		return nil, view, err
	}
	for _, st := range all {
		q.siteNames[st.ID] = st.Name
		// The site filter offers only sites the caller may see.
		if canSeeSite(q.user, st.ID) {
			view.Sites = append(view.Sites, st)
		}
	}
	if view.Programs, err = s.programs.List(ctx); err != nil {
		return nil, view, err
	}
	if _, ok := q.siteNames[q.site]; q.site != "" && !ok {
		view.Errors["site"] = fmt.Sprintf("There is no site with the id %q. Choose a site from the list.", q.site)
	}
	if view.Program != "" {
		for _, p := range view.Programs {
			if p.ID == view.Program {
				q.program, q.versions = p, map[string]bool{}
				for _, v := range p.Versions {
					q.versions[v.ID] = true
				}
			}
		}
		if q.program == nil {
			view.Errors["program"] = fmt.Sprintf("There is no program with the id %q. Choose a program from the list.", view.Program)
		}
	}
	if q.asOf, err = s.asOfParam(c); err != nil {
		var he *HTTPError
		if !errors.As(err, &he) || he.Fields["as_of"] == "" {
			return nil, view, err
		}
		view.Errors["as_of"] = he.Fields["as_of"]
	} else {
		view.AsOf = q.asOf.String()
	}
	return q, view, nil
}

// params are the query string that gives the same report again.
func (q *reportQuery) params() url.Values {
	v := url.Values{"as_of": {q.asOf.String()}}
	if q.site != "" {
		v.Set("site", q.site)
	}
	if q.program != nil {
		v.Set("program", q.program.ID)
	}
	return v
}

func (rp report[R]) page(s *Server) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q, filters, err := s.reportQuery(c)
		if err != nil {
			return err
		}
		filters.Action = rp.Path
		data := reportPage[R]{Filters: filters}
		if len(filters.Errors) > 0 {
			data.Invalid = true
			return s.render(c, fiber.StatusBadRequest, rp.Template, Page{Title: rp.Title, Nav: "reports", Errors: filters.Errors, Data: data})
		}
		per := max(rp.PerPage, 1)
		sel := s.reportSelection(q)
		if data.People, err = s.accounts.CountSelected(q.ctx, sel); err != nil {
			return err
		}
		page := min(pageParam(c), max(1, (data.People+per-1)/per))
		people, err := s.accounts.Select(q.ctx, sel, nil, (page-1)*per, per)
		if err != nil {
			return err
		}
		if data.Rows, err = rp.Rows(s, q, people); err != nil {
			return err
		}
		if len(people) > 0 {
			data.First, data.Last = (page-1)*per+1, (page-1)*per+len(people)
		}
		data.Pager = newPager(rp.Path, q.params(), page, data.People, per)
		data.XLSX = rp.Path + ".xlsx?" + q.params().Encode()
		return s.render(c, fiber.StatusOK, rp.Template, Page{Title: rp.Title, Nav: "reports", Data: data})
	}
}

func (rp report[R]) xlsx(s *Server) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q, filters, err := s.reportQuery(c)
		if err != nil {
			return err
		}
		q.bulk = true
		if len(filters.Errors) > 0 {
			var msgs []string
			for _, k := range []string{"site", "program", "as_of"} {
				if m := filters.Errors[k]; m != "" {
					msgs = append(msgs, m)
				}
			}
			return apiError(fiber.StatusBadRequest, "This report cannot be made: "+strings.Join(msgs, " "))
		}
		name := rp.Sheet + "-" + q.asOf.String() + ".xlsx"
		// Recorded once the file is written and before it leaves: an export
		// the trail does not know of is not sent.
		record := func(size int64) error {
			return s.recordExport(c, "report", rp.Path, map[string]any{"report": rp.Title, "filters": q.filters(),
				"query": q.params().Encode(), "bytes": size})
		}
		if err := sendTempFile(c, "skillgate-report-*.xlsx", xlsxContentType, name,
			func(w io.Writer) error { return rp.export(s, q, w) }, record); err != nil {
			return fmt.Errorf("report %s: %w", rp.Sheet, err)
		}
		return nil
	}
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

// export writes the whole report as a workbook to out, a batch of people
// at a time. The next two batches are read from the database and turned
// into rows while the current one is written; at most three batches of
// rows exist at once.
func (rp report[R]) export(s *Server, q *reportQuery, out io.Writer) error {
	w, err := reports.New(rp.Sheet, rp.Columns)
	if err != nil {
		return err
	}
	defer w.Close()
	ctx, cancel := context.WithCancel(q.ctx)
	defer cancel()
	// Batches are read and turned into rows two at a time while earlier
	// rows are written: reading a batch mostly waits for the database
	// (deciding clearances for a past day reads every record), so on two
	// cores two readers and the writer keep both busy. Each batch sends its
	// rows on its own channel, queued in order, so the workbook's rows keep
	// the batches' order.
	type batch struct {
		rows []R
		err  error
	}
	queue := make(chan chan batch, 1) // with the batch being written: two in flight
	readErr := make(chan error, 1)
	go func() {
		defer close(queue)
		sel := *q
		sel.ctx = ctx
		readErr <- s.eachReportBatch(&sel, s.exportBatch(rp.Batch), func(people []*accounts.Person) error {
			done := make(chan batch, 1)
			select {
			case queue <- done:
			case <-ctx.Done():
				return ctx.Err()
			}
			// Its own query: names is a cache that rows add to.
			read := *q
			read.ctx, read.names = ctx, map[string]string{}
			go func() {
				rows, err := rp.Rows(s, &read, people)
				done <- batch{rows, err}
			}()
			return nil
		})
	}()
	var firstErr error
	for done := range queue {
		b := <-done
		if b.err != nil && firstErr == nil {
			firstErr = b.err
			cancel() // stop reading; the loop drains what is in flight
		}
		for i := 0; i < len(b.rows) && firstErr == nil; i++ {
			if err := w.Add(rp.Cells(b.rows[i])...); err != nil {
				firstErr = err
				cancel()
			}
		}
	}
	if err := <-readErr; firstErr == nil && err != nil {
		return err
	}
	if firstErr != nil {
		return firstErr
	}
	return w.Finish(out, reports.About{Report: rp.Title, Filters: q.filters(), AsOf: q.asOf, GeneratedAt: s.now(),
		GeneratedBy: q.user.Name + " <" + q.user.Email + ">"})
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

var certificationsReport = report[certRow]{
	Path: "/reports/certifications", Title: "Certifications: every person × required credential", Sheet: "Certifications",
	Template: "report_certifications", PerPage: 100,
	Columns: []reports.Column{{Title: "Person", Width: 24}, {Title: "Employee id", Width: 14}, {Title: "Site", Width: 26},
		{Title: "Credential", Width: 34}, {Title: "Number", Width: 16}, {Title: "Issued", Width: 12}, {Title: "Expires", Width: 12},
		{Title: "Status", Width: 36}, {Title: "Verified by", Width: 22}, {Title: "Verified at", Width: 20}},
	Rows: (*Server).certificationRows,
	// It reads people, enrollments and credentials, no evidence: a batch
	// of 2,000 is about a megabyte, and PostgreSQL may well scan the
	// credentials table once per batch rather than probe its index.
	Batch: 2000,
	Cells: func(r certRow) []any {
		return []any{r.Person, r.EmployeeID, r.Site, r.Credential, r.Number, r.Issued, r.Expires, r.Status, r.VerifiedBy, r.VerifiedAt}
	},
}

var clearancesReport = report[clearanceReportRow]{
	Path: "/reports/clearances", Title: "Clearances: every MA × task (who may do what)", Sheet: "Clearances",
	Template: "report_clearances", PerPage: 10,
	Columns: []reports.Column{{Title: "Person", Width: 24}, {Title: "Site", Width: 26}, {Title: "Task", Width: 40},
		{Title: "Status", Width: 26}, {Title: "Lapses on", Width: 12}, {Title: "Why, and what is missing", Width: 90}},
	Rows: (*Server).clearanceRows,
	Cells: func(r clearanceReportRow) []any {
		return []any{r.Person, r.Site, r.Task, r.Status, r.LapsesOn, r.Reasons}
	},
}

var signOffsReport = report[signOffReportRow]{
	Path: "/reports/signoffs", Title: "Sign-offs register: every electronic signature", Sheet: "Sign-offs",
	Template: "report_signoffs", PerPage: 20,
	Columns: []reports.Column{{Title: "Apprentice", Width: 24}, {Title: "Competency", Width: 14}, {Title: "Kind", Width: 14},
		{Title: "Signed on", Width: 12}, {Title: "Signer (printed name)", Width: 24}, {Title: "Credential", Width: 10}, {Title: "Signed at", Width: 24},
		{Title: "Meaning", Width: 70}, {Title: "Evidence ids", Width: 60}, {Title: "Signature check", Width: 22}, {Title: "Revocation", Width: 50}},
	Rows: (*Server).signOffRows,
	Cells: func(r signOffReportRow) []any {
		return []any{r.Person, r.Competency, r.Kind, r.SignedOn, r.Signer, r.Credential, r.SignedAt, r.Meaning, r.Evidence, r.Verified, r.Revocation}
	},
}
