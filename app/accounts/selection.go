package accounts

import (
	"context"
	"database/sql"
	"fmt"

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
		q.Where("EXISTS (SELECT 1 FROM user_sites WHERE user_sites.user_id = ?TableAlias.id AND user_sites.site_id IN (?))", bun.List(nonEmpty(sel.SiteIDs)))
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
		q.Where("id IN (SELECT user_id FROM user_sites WHERE site_id IN (?))", bun.List(nonEmpty(sel.SiteIDs)))
	}
	return s.selectionRest(q, sel)
}

// selectionRest adds the filters selection and wholeSelection share.
func (s *Store) selectionRest(q *bun.SelectQuery, sel Selection) *bun.SelectQuery {
	if sel.IDs != nil {
		q.Where("id IN (?)", bun.List(nonEmpty(sel.IDs)))
	}
	for _, sub := range sel.Among {
		// Unqualified: bun would name the subquery's alias for ?TableAlias here.
		q.Where("id IN (?)", sub)
	}
	return q
}

// nonEmpty keeps "IN ()" valid SQL: an empty list matches nothing.
func nonEmpty(ids []string) []string {
	if len(ids) == 0 {
		return []string{""}
	}
	return ids
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

// CountSelected returns how many people a selection holds.
func (s *Store) CountSelected(ctx context.Context, sel Selection) (int, error) {
	n, err := s.selection(s.DB.NewSelect().Model((*userRow)(nil)), sel).Count(ctx)
	return int(n), db.Translate(err)
}

// EachSelected calls fn with the selected people, size at a time, in
// (name, id) order: the walk an export makes over a whole organisation.
// One statement streams them all, so batches cost no round trip of their
// own and the next is ready as soon as fn returns (fn may hand a batch to
// other goroutines and return). People carry only their id, name and
// employee id, which is all a report names them by: no roles or sites,
// two queries fewer a batch. The statement's connection stays open until
// the walk ends; fn must not wait for more connections than the pool has
// left.
func (s *Store) EachSelected(ctx context.Context, sel Selection, size int, fn func([]*Person) error) error {
	q := s.wholeSelection(s.DB.NewSelect().Model((*userRow)(nil)).Column("id", "name", "employee_id"), sel).
		OrderExpr("?TableAlias.name, ?TableAlias.id")
	rows, err := q.Rows(ctx)
	if err != nil {
		return db.Translate(err)
	}
	defer rows.Close()
	batch := make([]*Person, 0, size)
	for rows.Next() {
		p := &Person{}
		var employeeID sql.NullString
		if err := rows.Scan(&p.ID, &p.Name, &employeeID); err != nil {
			return fmt.Errorf("read people: %w", err)
		}
		p.EmployeeID = employeeID.String
		if batch = append(batch, p); len(batch) == size {
			if err := fn(batch); err != nil {
				return err
			}
			batch = make([]*Person, 0, size) // fn may keep the last one
		}
	}
	if err := rows.Err(); err != nil {
		return db.Translate(err)
	}
	if len(batch) > 0 {
		return fn(batch)
	}
	return nil
}
