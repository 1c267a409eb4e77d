package reports

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
)

// NotEnrolled is the directory's status filter for people without an
// enrollment (imported staff and apprentices not yet enrolled).
const NotEnrolled = "not_enrolled"

// DirectoryScope is who a reader of the directory may see, decided by the
// HTTP layer from the object rule (app/server/access.go).
type DirectoryScope struct {
	// All: every person (administrators).
	All bool
	// SiteIDs: the people of these sites (HR, directors: their sites).
	SiteIDs []string
	// ApprenticesOnly narrows SiteIDs to apprentices, and adds the
	// apprentices whose enrollments name PreceptorID (preceptors).
	ApprenticesOnly bool
	PreceptorID     string
	// EmployeeIDs: the reader may see (and search by) employee ids and
	// hire dates (HR, administrators).
	EmployeeIDs bool
}

// DirectoryFilter narrows and orders the directory.
type DirectoryFilter struct {
	Query     string // part of a name, an email or (with EmployeeIDs) an employee id
	Role      accounts.Role
	SiteID    string
	ProgramID string
	// Status is an enrollment status, NotEnrolled, or empty for anyone.
	Status string
	// Sort is one of DirectorySorts (default "name"); Desc reverses it.
	Sort          string
	Desc          bool
	Limit, Offset int
}

// DirectorySorts are the directory's sortable columns.
var DirectorySorts = []string{"name", "email", "employee_id", "hire_date", "sites", "program", "status"}

// DirectoryRow is one person as the directory lists them.
type DirectoryRow struct {
	ID, Name, Email, Credential string
	// EmployeeID and HireDate are empty unless the scope allows them.
	// HireDate is the person's, else their enrollment's.
	EmployeeID, HireDate string
	Roles                []accounts.Role
	Sites                []string // names, sorted
	// The enrollment in force (the newest one not moved away from), if any.
	EnrollmentID, EnrollmentStatus string
	ProgramID, Program             string
	DisabledAt, LockedUntil        *time.Time
}

// Apprentice reports whether the person is an apprentice (or graduate MA).
func (r DirectoryRow) Apprentice() bool { return slices.Contains(r.Roles, accounts.RoleApprentice) }

type directoryRow struct {
	ID               string     `bun:"id"`
	Name             string     `bun:"name"`
	Email            string     `bun:"email"`
	Credential       string     `bun:"credential"`
	EmployeeID       *string    `bun:"employee_id"`
	HireDate         *string    `bun:"hire_date"`
	RolesCSV         string     `bun:"roles_csv"`
	Sites            string     `bun:"sites"`
	EnrollmentID     *string    `bun:"enrollment_id"`
	EnrollmentStatus *string    `bun:"enrollment_status"`
	ProgramID        *string    `bun:"program_id"`
	Program          *string    `bun:"program"`
	VersionNumber    *int       `bun:"version_number"`
	DisabledAt       *time.Time `bun:"disabled_at"`
	LockedUntil      *time.Time `bun:"locked_until"`
	PeopleStamp      int64      `bun:"people_stamp"`
}

// siteSep separates site names inside one column: a character no site
// name contains (names are typed text).
const siteSep = "\x1f"

// Directory returns a page of the people sc may see that match f, and how
// many match in all, in at most three statements whatever the page holds:
// the page, its people's roles, sites and enrollment, and the count unless
// it is kept (see dirCounts).
func (s *Service) Directory(ctx context.Context, sc DirectoryScope, f DirectoryFilter) ([]DirectoryRow, int, error) {
	agg := "string_agg(%s, %s)"
	if s.DB.Dialect().Name() != dialect.PG {
		agg = "group_concat(%s, %s)"
	}
	// The enrollment in force: the newest one the apprentice was not moved
	// away from.
	withEnrollment := func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Join(`LEFT JOIN enrollments AS e ON e.id = (SELECT e2.id FROM enrollments AS e2 WHERE e2.apprentice_id = u.id
			AND NOT EXISTS (SELECT 1 FROM enrollment_moves AS m WHERE m.from_enrollment_id = e2.id)
			ORDER BY e2.start_date DESC, e2.created_at DESC, e2.id DESC LIMIT 1)`).
			Join("LEFT JOIN program_versions AS v ON v.id = e.version_id").
			Join("LEFT JOIN programs AS pg ON pg.id = v.program_id")
	}
	// The page: ids in order. It reads only what filters and sorts need
	// (the enrollment only when a filter or the sort names it: finding
	// each person's enrollment in force for 22,000 people took 110 ms), and
	// no count: a count over every match in the same statement made the
	// database build every matching row before the limit.
	filtersEnrollment := f.ProgramID != "" || f.Status != ""
	sortsEnrollment := (sc.EmployeeIDs && f.Sort == "hire_date") || f.Sort == "program" || f.Sort == "status"
	if !sc.All && !sc.ApprenticesOnly && len(sc.SiteIDs) == 0 {
		return []DirectoryRow{}, 0, nil
	}
	// matching is the FROM and WHERE of the page and of its count (which
	// joins the enrollment only to filter by it: the join adds no rows).
	matching := func(q *bun.SelectQuery, enrollment bool) *bun.SelectQuery {
		q.TableExpr("users AS u")
		if enrollment {
			withEnrollment(q)
		}
		return directoryWhere(q, sc, f)
	}
	// How many match is kept under the 'people' change stamp when the
	// filter reads only what that stamp covers (people, roles, sites);
	// the stamp comes with the page, read in the same statement.
	countKey, keep := directoryCountKey(sc, f)
	var rows []directoryRow
	q := matching(s.DB.NewSelect(), filtersEnrollment || sortsEnrollment).ColumnExpr("u.id, u.name, u.email, u.credential, u.disabled_at, u.locked_until")
	if keep {
		q.ColumnExpr("(SELECT version FROM change_stamps WHERE scope = ?) AS people_stamp", db.ScopePeople)
	}
	// Expressions, not output aliases: PostgreSQL takes an alias in ORDER
	// BY only on its own.
	col := map[string]string{"name": "u.name", "email": "u.email", "employee_id": "u.employee_id", "hire_date": "COALESCE(u.hire_date, e.hire_date)",
		"sites":   "(SELECT MIN(st.name) FROM user_sites AS us JOIN sites AS st ON st.id = us.site_id WHERE us.user_id = u.id)",
		"program": "pg.title", "status": "e.status"}[f.Sort]
	if col == "" || (!sc.EmployeeIDs && (f.Sort == "employee_id" || f.Sort == "hire_date")) {
		col = "u.name"
	}
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	// Empty values last in either direction, the same on both engines.
	if col != "u.name" && col != "u.email" {
		q.OrderExpr("(" + col + " IS NULL OR " + col + " = '')")
	}
	q.OrderExpr(col + dir).OrderExpr("u.name" + dir).OrderExpr("u.id")
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	if err := q.Limit(int64(f.Limit)).Offset(int64(max(0, f.Offset))).Scan(ctx, &rows); err != nil {
		return nil, 0, fmt.Errorf("people directory: %w", db.Translate(err))
	}
	// How many match: none when the page is empty (as before, a page past
	// the end says 0), else kept or counted.
	total := 0
	if len(rows) > 0 {
		var ok bool
		if keep {
			total, ok = s.dirCounts.get(rows[0].PeopleStamp, countKey)
		}
		if !ok {
			n, err := matching(s.DB.NewSelect(), filtersEnrollment).Count(ctx)
			if err != nil {
				return nil, 0, fmt.Errorf("people directory: count: %w", db.Translate(err))
			}
			total = int(n)
			if keep {
				s.dirCounts.put(rows[0].PeopleStamp, countKey, total)
			}
		}
	}
	// Then the page's roles, sites and enrollment: 50 people, not all.
	if len(rows) > 0 {
		ids := make([]string, len(rows))
		for i := range rows {
			ids[i] = rows[i].ID
		}
		var more []directoryRow
		mq := withEnrollment(s.DB.NewSelect().TableExpr("users AS u").ColumnExpr("u.id").
			ColumnExpr("COALESCE((SELECT "+fmt.Sprintf(agg, "role", "','")+" FROM user_roles WHERE user_id = u.id), '') AS roles_csv").
			ColumnExpr("COALESCE((SELECT "+fmt.Sprintf(agg, "st.name", "?")+" FROM user_sites AS us JOIN sites AS st ON st.id = us.site_id WHERE us.user_id = u.id), '') AS sites", siteSep).
			ColumnExpr("e.id AS enrollment_id, e.status AS enrollment_status, pg.id AS program_id, pg.title AS program, v.number AS version_number"))
		if sc.EmployeeIDs {
			mq.ColumnExpr("u.employee_id, COALESCE(u.hire_date, e.hire_date) AS hire_date")
		}
		if err := mq.Where("u.id IN (?)", db.IDs(ids)).Scan(ctx, &more); err != nil {
			return nil, 0, fmt.Errorf("people directory: %w", db.Translate(err))
		}
		byID := make(map[string]*directoryRow, len(more))
		for i := range more {
			byID[more[i].ID] = &more[i]
		}
		for i := range rows {
			if m := byID[rows[i].ID]; m != nil {
				r := &rows[i]
				r.RolesCSV, r.Sites, r.EnrollmentID, r.EnrollmentStatus = m.RolesCSV, m.Sites, m.EnrollmentID, m.EnrollmentStatus
				r.ProgramID, r.Program, r.VersionNumber, r.EmployeeID, r.HireDate = m.ProgramID, m.Program, m.VersionNumber, m.EmployeeID, m.HireDate
			}
		}
	}
	out := make([]DirectoryRow, len(rows))
	for i, r := range rows {
		d := DirectoryRow{ID: r.ID, Name: r.Name, Email: r.Email, Credential: r.Credential, DisabledAt: r.DisabledAt, LockedUntil: r.LockedUntil,
			EmployeeID: deref(r.EmployeeID), HireDate: deref(r.HireDate), EnrollmentID: deref(r.EnrollmentID),
			EnrollmentStatus: deref(r.EnrollmentStatus), ProgramID: deref(r.ProgramID), Program: deref(r.Program)}
		if r.VersionNumber != nil && d.Program != "" {
			d.Program = fmt.Sprintf("%s (version %d)", d.Program, *r.VersionNumber)
		}
		for _, role := range strings.Split(r.RolesCSV, ",") {
			if role != "" {
				d.Roles = append(d.Roles, accounts.Role(role))
			}
		}
		slices.Sort(d.Roles)
		if r.Sites != "" {
			d.Sites = strings.Split(r.Sites, siteSep)
			slices.Sort(d.Sites)
		}
		out[i] = d
	}
	return out, total, nil
}

// directoryWhere narrows q (users AS u, with the enrollment in force as e,
// v and pg when a filter or the sort needs it) to the people sc may see
// that f selects.
func directoryWhere(q *bun.SelectQuery, sc DirectoryScope, f DirectoryFilter) *bun.SelectQuery {
	switch {
	case sc.All:
	case sc.ApprenticesOnly:
		q.Where("u.id IN (SELECT user_id FROM user_roles WHERE role = ?)", string(accounts.RoleApprentice))
		q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			if len(sc.SiteIDs) > 0 {
				q.WhereOr("u.id IN (SELECT user_id FROM user_sites WHERE site_id IN (?))", db.IDs(sc.SiteIDs))
			}
			return q.WhereOr(`u.id IN (SELECT en.apprentice_id FROM enrollments AS en
				JOIN enrollment_preceptors AS ep ON ep.enrollment_id = en.id WHERE ep.preceptor_id = ?)`, sc.PreceptorID)
		})
	default:
		q.Where("u.id IN (SELECT user_id FROM user_sites WHERE site_id IN (?))", db.IDs(sc.SiteIDs))
	}
	if t := strings.ToLower(strings.TrimSpace(f.Query)); t != "" {
		like := "%" + escapeLike(t) + "%"
		if sc.EmployeeIDs {
			q.Where(`(LOWER(u.name) LIKE ? ESCAPE '\' OR LOWER(u.email) LIKE ? ESCAPE '\' OR LOWER(COALESCE(u.employee_id, '')) LIKE ? ESCAPE '\')`, like, like, like)
		} else {
			q.Where(`(LOWER(u.name) LIKE ? ESCAPE '\' OR LOWER(u.email) LIKE ? ESCAPE '\')`, like, like)
		}
	}
	if f.Role != "" {
		q.Where("u.id IN (SELECT user_id FROM user_roles WHERE role = ?)", string(f.Role))
	}
	if f.SiteID != "" {
		q.Where("u.id IN (SELECT user_id FROM user_sites WHERE site_id = ?)", f.SiteID)
	}
	if f.ProgramID != "" {
		q.Where("pg.id = ?", f.ProgramID)
	}
	switch f.Status {
	case "":
	case NotEnrolled:
		q.Where("e.id IS NULL")
	default:
		q.Where("e.status = ?", f.Status)
	}
	return q
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// escapeLike makes % and _ in a search match themselves.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
