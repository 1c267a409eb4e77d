package reports

import (
	"context"
	"io"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// Report describes one report once; its page and its .xlsx come from the
// same row builder, so they cannot disagree. Rows are built a batch of
// people at a time: a page shows one page of people, the .xlsx walks
// every batch and streams its rows into the workbook, so neither holds
// the whole report in memory.
type Report[R any] struct {
	Title   string // page heading and About sheet
	Sheet   string
	Columns []Column
	// rows builds the rows of a batch of people, in the batch's order.
	rows  func(s *Service, ctx context.Context, q *Query, people []*accounts.Person) ([]R, error)
	cells func(R) []any
	// batch is how many people an export reads at a time when not
	// exportBatch: more for a report that reads no evidence.
	batch int
	// AsKnownAt: the report answers as known at Query.KnownAt (only what
	// was recorded by then counts). The others count everything on file,
	// so a known_at asked of them is refused rather than printed in a
	// heading the rows do not honour.
	AsKnownAt bool
}

// Scope is who a report may cover, decided by the caller from who asks
// (and the site filter). Every field that is set must hold.
type Scope struct {
	// Role keeps people holding it; "" any role.
	Role accounts.Role
	// SiteIDs keeps people with an enrollment at one of these sites (the
	// enrollment's site, not the person's: a person may belong to several
	// sites, and the staff of one must not read the enrollment at another):
	// nil for every site, empty for nobody.
	SiteIDs []string
	// IDs keeps only these people.
	IDs []string
	// PreceptorID keeps the apprentices of this preceptor's enrollments.
	PreceptorID string
}

// Query is one request for a report: whom it covers and the filters.
type Query struct {
	AsOf curriculum.Date
	// KnownAt: the clearances report answers as Skillgate would have at
	// this instant, with only what was recorded by then (zero: now).
	KnownAt time.Time
	// Zone is the organisation's, for naming KnownAt (nil: UTC).
	Zone  *time.Location
	Scope Scope
	// Site is the site filter, "" for every site the reader may see (Scope
	// applies it; the About sheet names it).
	Site string
	// Program keeps people whose enrollment in force on AsOf is in one of
	// its versions; nil for every program.
	Program   *programs.Program
	SiteNames map[string]string
	// GeneratedBy names who asked, on the About sheet.
	GeneratedBy string
	// Sees is the reader's enrollment rule: rows come only from the
	// enrollments it allows (nil: every enrollment).
	Sees func(*assessments.Enrollment) bool
	// bulk is set for workbooks: decisions are read from the cache but not
	// added to it, so exporting the whole organisation (or another day)
	// does not push out the decisions the API and the pages are asking for.
	bulk bool
}

// covers says whether the report shows an enrollment: one the reader may
// see (Sees), at the site asked for and in a version of the program asked
// for (any, without those filters).
func (q *Query) covers(e *assessments.Enrollment) bool {
	return q.inProgram(e.VersionID) && (q.Site == "" || e.SiteID == q.Site) && (q.Sees == nil || q.Sees(e))
}

// inProgram says whether an enrollment's version belongs to the program
// asked for (always, without a program filter).
func (q *Query) inProgram(versionID string) bool {
	if q.Program == nil {
		return true
	}
	for i := range q.Program.Versions {
		if q.Program.Versions[i].ID == versionID {
			return true
		}
	}
	return false
}

// versionIDs returns the program's version ids, or nil without a program
// filter.
func (q *Query) versionIDs() []string {
	if q.Program == nil {
		return nil
	}
	ids := make([]string, len(q.Program.Versions))
	for i, v := range q.Program.Versions {
		ids[i] = v.ID
	}
	return ids
}

// Filters describes the filters in words, as the About sheet and the
// export's audit entry name them.
func (q *Query) Filters() []string {
	site, program := "Site: every site you may see", "Program: every program"
	if q.Site != "" {
		site = "Site: " + q.SiteNames[q.Site]
	}
	if q.Program != nil {
		program = "Program: " + q.Program.Title + " (" + q.Program.Code + ")"
	}
	if !q.KnownAt.IsZero() {
		zone := q.Zone
		if zone == nil {
			zone = time.UTC
		}
		return []string{site, program, "Known at: " + q.KnownAt.In(zone).Format("2006-01-02 15:04 MST") + " (only what was recorded by then counts)"}
	}
	return []string{site, program}
}

// selection is who the report covers, decided in the query that loads
// them, batch after batch: the scope (by the site of people's
// enrollments), and with a program filter only people with an enrollment
// in one of the program's versions. Rows then come only from enrollments
// the report covers (Query.covers).
func (s *Service) selection(q *Query) accounts.Selection {
	sc := q.Scope
	sel := accounts.Selection{Role: sc.Role, IDs: sc.IDs}
	if sc.SiteIDs != nil {
		sel.Among = append(sel.Among, s.Evidence.Store.ApprenticesOf(evidence.EnrollmentFilter{SiteIDs: sc.SiteIDs}))
	}
	if sc.PreceptorID != "" {
		sel.Among = append(sel.Among, s.Evidence.Store.ApprenticesOf(evidence.EnrollmentFilter{PreceptorID: sc.PreceptorID}))
	}
	if q.Program != nil {
		sel.Among = append(sel.Among, s.Evidence.Store.ApprenticesOf(evidence.EnrollmentFilter{VersionIDs: q.versionIDs()}))
	}
	return sel
}

// Page is one page of a report.
type Page[R any] struct {
	Rows []R
	// Page is the page shown (past the last page is the last page); First
	// and Last number its people among People.
	Page, First, Last, People int
}

// Page returns page page (from 1) of the report, per people a page.
func (rp *Report[R]) Page(ctx context.Context, s *Service, q *Query, page, per int) (Page[R], error) {
	var p Page[R]
	per = max(per, 1)
	sel := s.selection(q)
	var err error
	if p.People, err = s.Accounts.CountSelected(ctx, sel); err != nil {
		return p, err
	}
	p.Page = min(max(page, 1), max(1, (p.People+per-1)/per))
	people, err := s.Accounts.Select(ctx, sel, nil, (p.Page-1)*per, per)
	if err != nil {
		return p, err
	}
	if p.Rows, err = rp.rows(s, ctx, q, people); err != nil {
		return p, err
	}
	if len(people) > 0 {
		p.First, p.Last = (p.Page-1)*per+1, (p.Page-1)*per+len(people)
	}
	return p, nil
}

// exportBatch is how many people an export loads at a time: large enough
// that the per-batch queries are few (about a dozen per batch), small
// enough that a batch's evidence stays a few megabytes.
const exportBatch = 500

func (s *Service) exportBatch(size int) int {
	if s.Batch > 0 {
		return s.Batch
	}
	if size > 0 {
		return size
	}
	return exportBatch
}

// eachBatch calls fn with the selected people, size at a time, in name
// order, all read by one statement (accounts.EachSelected).
func (s *Service) eachBatch(ctx context.Context, q *Query, size int, fn func([]*accounts.Person) error) error {
	return s.Accounts.EachSelected(ctx, s.selection(q), size, fn)
}

// Export writes the whole report as a workbook to out, a batch of people
// at a time. The next two batches are read from the database and turned
// into rows while the current one is written; at most three batches of
// rows exist at once.
func (rp *Report[R]) Export(ctx context.Context, s *Service, q *Query, out io.Writer) error {
	w, err := NewIn(rp.Sheet, rp.Columns, s.location())
	if err != nil {
		return err
	}
	defer w.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	read := *q
	read.bulk = true
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
		readErr <- s.eachBatch(ctx, &read, s.exportBatch(rp.batch), func(people []*accounts.Person) error {
			done := make(chan batch, 1)
			select {
			case queue <- done:
			case <-ctx.Done():
				return ctx.Err()
			}
			go func() {
				rows, err := rp.rows(s, ctx, &read, people)
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
			if err := w.Add(rp.cells(b.rows[i])...); err != nil {
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
	return w.Finish(out, About{Report: rp.Title, Filters: q.Filters(), AsOf: q.AsOf, GeneratedAt: s.now(), GeneratedBy: q.GeneratedBy})
}
