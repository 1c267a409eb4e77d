package accounts

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/db"
)

// Selection chooses people for reports and exports, which may cover a
// whole organisation: it is walked a batch at a time in (name, id) order,
// either by keyset (After) for exports or by Offset for paged views.
// Empty fields do not filter; a non-nil empty slice matches nobody.
type Selection struct {
	Role Role
	// SiteIDs keeps people who belong to at least one of these sites.
	SiteIDs []string
	// IDs keeps only these people.
	IDs []string
	// Among keeps people whose id one of these subqueries selects (each
	// must select a single column of user ids), e.g. the apprentices of a
	// preceptor's enrollments. All of them must hold.
	Among []*bun.SelectQuery
}

// Cursor is the last person of the previous batch.
type Cursor struct{ Name, ID string }

// CursorOf returns the cursor that continues after p.
func CursorOf(p *Person) *Cursor { return &Cursor{Name: p.Name, ID: p.ID} }

func (s *Store) selection(q *bun.SelectQuery, sel Selection) *bun.SelectQuery {
	// Correlated EXISTS probes the (user_id, …) primary keys for each row
	// the name-ordered walk visits; "id IN (SELECT …)" would rebuild the
	// whole list of apprentices for every batch.
	if sel.Role != "" {
		q.Where("EXISTS (SELECT 1 FROM user_roles WHERE user_roles.user_id = ?TableAlias.id AND user_roles.role = ?)", string(sel.Role))
	}
	if sel.SiteIDs != nil {
		q.Where("EXISTS (SELECT 1 FROM user_sites WHERE user_sites.user_id = ?TableAlias.id AND user_sites.site_id IN (?))", db.IDs(sel.SiteIDs))
	}
	return s.selectionRest(q, sel)
}

// wholeSelection is selection for a statement that reads the whole
// selection at once (EachSelected): there each list is built once, which
// costs less than probing for every person (SQLite tries a site list one
// site at a time).
func (s *Store) wholeSelection(q *bun.SelectQuery, sel Selection) *bun.SelectQuery {
	if sel.Role != "" {
		q.Where("id IN (SELECT user_id FROM user_roles WHERE role = ?)", string(sel.Role))
	}
	if sel.SiteIDs != nil {
		q.Where("id IN (SELECT user_id FROM user_sites WHERE site_id IN (?))", db.IDs(sel.SiteIDs))
	}
	return s.selectionRest(q, sel)
}

// SelectedIDs is a subquery selecting the ids of the people sel holds,
// for a statement of another store (their decision stamps, say).
func (s *Store) SelectedIDs(sel Selection) *bun.SelectQuery {
	return s.wholeSelection(s.DB.NewSelect().Model((*userRow)(nil)).Column("id"), sel)
}

// selectionRest adds the filters selection and wholeSelection share.
func (s *Store) selectionRest(q *bun.SelectQuery, sel Selection) *bun.SelectQuery {
	if sel.IDs != nil {
		q.Where("id IN (?)", db.IDs(sel.IDs))
	}
	for _, sub := range sel.Among {
		// Unqualified: bun would name the subquery's alias for ?TableAlias here.
		q.Where("id IN (?)", sub)
	}
	return q
}

// Select returns up to limit selected people after the cursor (nil: from
// the first), skipping offset more, ordered by name then id, with their
// roles and sites: three queries whatever the limit.
func (s *Store) Select(ctx context.Context, sel Selection, after *Cursor, offset, limit int) ([]*Person, error) {
	var rows []userRow
	q := s.selection(s.DB.NewSelect().Model(&rows), sel)
	if after != nil {
		q.Where("(?TableAlias.name, ?TableAlias.id) > (?, ?)", after.Name, after.ID)
	}
	if err := q.OrderExpr("?TableAlias.name, ?TableAlias.id").Limit(int64(limit)).Offset(int64(offset)).Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	return s.attach(ctx, rows)
}

// SelectAll returns every selected person, with roles and sites, in
// (name, id) order, reading MaxListLimit at a time by keyset: for callers
// that must not drop anyone, such as a site's whole matrix.
func (s *Store) SelectAll(ctx context.Context, sel Selection) ([]*Person, error) {
	var all []*Person
	var after *Cursor
	for {
		page, err := s.Select(ctx, sel, after, 0, MaxListLimit)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < MaxListLimit {
			return all, nil
		}
		after = CursorOf(page[len(page)-1])
	}
}

// CountSelected returns how many people a selection holds.
func (s *Store) CountSelected(ctx context.Context, sel Selection) (int, error) {
	n, err := s.selection(s.DB.NewSelect().Model((*userRow)(nil)), sel).Count(ctx)
	return int(n), db.Translate(err)
}

// EachSelected calls fn with the selected people, size at a time, in
// (name, id) order: the walk an export makes over a whole organisation.
// One statement reads them all (no round trip per batch), and fn gets the
// first batch as soon as it is read. The statement never waits for fn:
// an export's fn reads each batch's records on connections of its own,
// and walks that each held a connection while waiting for fn could take
// the whole pool. People carry only their id, name and employee id (about
// 100 bytes each; all a report names people by): no roles or sites.
func (s *Store) EachSelected(ctx context.Context, sel Selection, size int, fn func([]*Person) error) error {
	size = max(size, 1)
	ctx, cancel := context.WithCancel(ctx)
	w := &walk{more: make(chan struct{}, 1)}
	read := make(chan struct{})
	go func() {
		defer close(read)
		w.finish(s.readSelected(ctx, sel, size, w))
	}()
	defer func() {
		cancel() // stops the read if fn failed
		<-read   // the statement is closed before we return
	}()
	next := 0
	for {
		batch, done, err := w.take(next, size)
		if len(batch) > 0 {
			next += len(batch)
			if err := fn(batch); err != nil {
				return err
			}
			continue
		}
		if done {
			return err
		}
		select {
		case <-w.more:
		case <-ctx.Done():
			return db.Translate(ctx.Err())
		}
	}
}

// walk is the people EachSelected has read so far, shared by the reading
// goroutine and the one calling fn.
type walk struct {
	mu     sync.Mutex
	people []*Person
	done   bool
	err    error
	more   chan struct{} // a signal that people were added or the read ended
}

func (w *walk) add(p *Person, size int) {
	w.mu.Lock()
	w.people = append(w.people, p)
	full := len(w.people)%size == 0
	w.mu.Unlock()
	if full {
		w.signal()
	}
}

func (w *walk) finish(err error) {
	w.mu.Lock()
	w.done, w.err = true, err
	w.mu.Unlock()
	w.signal()
}

func (w *walk) signal() {
	select {
	case w.more <- struct{}{}:
	default: // a signal is already waiting
	}
}

// take returns the next batch from index next: size people, or the rest
// once the read has ended. done is true once nothing more will come: the
// read ended, and err is its error (a failed read hands out no more).
func (w *walk) take(next, size int) (batch []*Person, done bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return nil, true, w.err
	}
	if n := len(w.people) - next; n >= size || (w.done && n > 0) {
		n = min(n, size)
		// Capped: later appends never write into a batch fn holds.
		return w.people[next : next+n : next+n], false, nil
	}
	return nil, w.done, w.err
}

// readSelected runs EachSelected's statement, adding each person to w.
func (s *Store) readSelected(ctx context.Context, sel Selection, size int, w *walk) error {
	q := s.wholeSelection(s.DB.NewSelect().Model((*userRow)(nil)).Column("id", "name", "employee_id"), sel).
		OrderExpr("?TableAlias.name, ?TableAlias.id")
	rows, err := q.Rows(ctx)
	if err != nil {
		return db.Translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		p := &Person{}
		var employeeID sql.NullString
		if err := rows.Scan(&p.ID, &p.Name, &employeeID); err != nil {
			return fmt.Errorf("read people: %w", err)
		}
		p.EmployeeID = employeeID.String
		w.add(p, size)
	}
	return db.Translate(rows.Err())
}
