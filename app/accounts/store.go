package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/auth/password"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/webhooks"
)

// Store reads and writes accounts. Its methods return db.ErrNotFound for a
// missing person and db.ErrConflict for a duplicate email or employee id.
type Store struct {
	// DB is the database or, for a Store from WithTx, a transaction.
	DB bun.IDB
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Hasher hashes passwords; tests use cheaper parameters.
	Hasher password.Hasher
	// Audit records every change in the audit trail, in the change's
	// transaction (nil: the real clock).
	Audit *audit.Log
	// Outbox receives person.deactivated, in the change's transaction
	// (nil: none).
	Outbox *webhooks.Outbox

	dummy *dummyHash
	// auth and sessionRead are the two reads of the caller, byID the read
	// of a person by id, prepared.
	auth, sessionRead, byID *preparedRead
}

// dummyHash is a throw-away hash, made once per Store (see burnTime).
type dummyHash struct {
	once sync.Once
	hash string
}

// NewStore returns a Store on d with the real clock and default hashing.
func NewStore(d *db.DB) *Store {
	return &Store{DB: d, Now: func() time.Time { return time.Now().UTC() }, Hasher: password.Hasher{}, dummy: &dummyHash{}, auth: &preparedRead{}, sessionRead: &preparedRead{}, byID: &preparedRead{}}
}

// WithTx returns a Store whose every call runs in tx, so that several
// changes (and changes of other stores) commit together. Its own
// multi-step methods nest as savepoints.
func (s *Store) WithTx(tx bun.IDB) *Store {
	c := *s
	c.DB = tx
	return &c
}

func (s *Store) now() time.Time { return s.Now().UTC() }

// NewID returns a new time-ordered unique id (UUIDv7).
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

type userRow struct {
	bun.BaseModel      `bun:"table:users"`
	ID                 string     `bun:"id,pk"`
	Email              string     `bun:"email"`
	Name               string     `bun:"name"`
	EmployeeID         *string    `bun:"employee_id"`
	HireDate           *string    `bun:"hire_date"`
	Credential         string     `bun:"credential"`
	PasswordHash       string     `bun:"password_hash"`
	MustChangePassword bool       `bun:"must_change_password"`
	DisabledAt         *time.Time `bun:"disabled_at"`
	FailedLogins       int        `bun:"failed_logins"`
	LastFailedLoginAt  *time.Time `bun:"last_failed_login_at"`
	LockedUntil        *time.Time `bun:"locked_until"`
	CreatedAt          time.Time  `bun:"created_at"`
	UpdatedAt          time.Time  `bun:"updated_at"`
}

type roleRow struct {
	bun.BaseModel `bun:"table:user_roles"`
	UserID        string `bun:"user_id,pk"`
	Role          string `bun:"role,pk"`
}

type userSiteRow struct {
	bun.BaseModel `bun:"table:user_sites"`
	UserID        string `bun:"user_id,pk"`
	SiteID        string `bun:"site_id,pk"`
}

// NewPerson is what it takes to create an account.
type NewPerson struct {
	Email      string
	Name       string
	EmployeeID string
	// HireDate is optional, YYYY-MM-DD.
	HireDate   string
	Credential string
	Roles      []Role
	SiteIDs    []string
	// Password is optional: without one the person cannot log in until an
	// admin starts a password reset.
	Password           string
	MustChangePassword bool
	// DemoPassword says Password is published on purpose (the demo
	// organisation, test fixtures): the policy, which refuses published
	// passwords, is skipped. Never for a real account.
	DemoPassword bool
	// Provisioned says an identity provider creates the person (SCIM): they
	// may start without roles, which the provider's groups grant later
	// (until then they can do nothing that needs a role).
	Provisioned bool
}

// Create adds a person with roles and sites in one transaction. The
// password, when given, must pass the password policy.
func (s *Store) Create(ctx context.Context, n NewPerson) (*Person, error) {
	n.Email = NormalizeEmail(n.Email)
	n.Name = strings.TrimSpace(n.Name)
	if n.Email == "" || !strings.Contains(n.Email, "@") {
		return nil, fmt.Errorf("create person: email %q is not an email address", n.Email)
	}
	if n.Name == "" {
		return nil, errors.New("create person: name is required")
	}
	cred, err := ParseCredential(n.Credential)
	if err != nil {
		return nil, fmt.Errorf("create person: %w", err)
	}
	if len(n.Roles) == 0 && !n.Provisioned {
		return nil, errors.New("create person: at least one role is required")
	}
	var hash string
	if n.Password != "" {
		if err := password.Check(n.Password, n.Email, n.Name); err != nil && !n.DemoPassword {
			return nil, err
		}
		if hash, err = s.Hasher.Hash(n.Password); err != nil {
			return nil, fmt.Errorf("create person: %w", err)
		}
	}
	now := s.now()
	row := &userRow{
		ID: NewID(), Email: n.Email, Name: n.Name, Credential: cred,
		PasswordHash: hash, MustChangePassword: n.MustChangePassword,
		CreatedAt: now, UpdatedAt: now,
	}
	if e := strings.TrimSpace(n.EmployeeID); e != "" {
		row.EmployeeID = &e
	}
	if h := strings.TrimSpace(n.HireDate); h != "" {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			return nil, fmt.Errorf("create person: hire date %q is not a date (YYYY-MM-DD)", h)
		}
		row.HireDate = &h
	}
	err = s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
		if err := writeRolesAndSites(ctx, tx, row.ID, n.Roles, n.SiteIDs); err != nil {
			return err
		}
		if row.HireDate != nil {
			// The person.create entry below shows the date; the history
			// says where it came from.
			if _, err := tx.NewInsert().Model(hireDateRow(ctx, row.ID, *row.HireDate, ReasonCreated, now)).Exec(ctx); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, ActionPersonCreate, "person", row.ID, nil, personView{
			Email: row.Email, Name: row.Name, EmployeeID: strings.TrimSpace(n.EmployeeID), HireDate: strings.TrimSpace(n.HireDate), Credential: cred,
			Roles: n.Roles, SiteIDs: n.SiteIDs, MustChangePassword: n.MustChangePassword, PasswordSet: hash != "", Provisioned: n.Provisioned})
	})
	if err != nil {
		return nil, fmt.Errorf("create person %s: %w", n.Email, db.Translate(err))
	}
	return s.ByID(ctx, row.ID)
}

func writeRolesAndSites(ctx context.Context, tx bun.IDB, userID string, roles []Role, sites []string) error {
	var rr []roleRow
	for _, r := range roles {
		if _, err := ParseRole(string(r)); err != nil {
			return err
		}
		if !slices.ContainsFunc(rr, func(x roleRow) bool { return x.Role == string(r) }) {
			rr = append(rr, roleRow{UserID: userID, Role: string(r)})
		}
	}
	if len(rr) > 0 {
		if _, err := tx.NewInsert().Model(&rr).Exec(ctx); err != nil {
			return err
		}
	}
	var sr []userSiteRow
	for _, sid := range sites {
		if !slices.ContainsFunc(sr, func(x userSiteRow) bool { return x.SiteID == sid }) {
			sr = append(sr, userSiteRow{UserID: userID, SiteID: sid})
		}
	}
	if len(sr) > 0 {
		if _, err := tx.NewInsert().Model(&sr).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// ByID returns the person with id.
func (s *Store) ByID(ctx context.Context, id string) (*Person, error) {
	// Prepared on PostgreSQL (see preparedRead): requests read the
	// people they are about by id, often several times a write.
	var rows []personRow
	err := s.readPeople(ctx, s.byID, &rows, func(arg ...any) *bun.SelectQuery {
		return s.selectPerson(&rows).Where("?TableAlias.id = ?", arg[0])
	}, id)
	if err != nil {
		return nil, db.Translate(err)
	}
	if len(rows) == 0 {
		return nil, db.ErrNotFound
	}
	return rows[0].person(), nil
}

// ByEmail returns the person with email (any case).
func (s *Store) ByEmail(ctx context.Context, email string) (*Person, error) {
	return s.one(ctx, "email = ?", NormalizeEmail(email))
}

// personRow is a user with roles, sites and decision stamp, read in one
// statement (one person is read on every request, so this is one round
// trip rather than three); the tok_ columns are filled only when the person
// is found through an API token, the ses_ ones through a session.
type personRow struct {
	userRow       `bun:",extend"`
	RolesCSV      string     `bun:"roles_csv,scanonly"`
	SitesCSV      string     `bun:"sites_csv,scanonly"`
	DecisionStamp int64      `bun:"decision_stamp,scanonly"`
	TokID         string     `bun:"tok_id,scanonly"`
	TokUserID     string     `bun:"tok_user_id,scanonly"`
	TokName       string     `bun:"tok_name,scanonly"`
	TokPrefix     string     `bun:"tok_prefix,scanonly"`
	TokCreatedAt  time.Time  `bun:"tok_created_at,scanonly"`
	TokExpiresAt  time.Time  `bun:"tok_expires_at,scanonly"`
	TokLastUsedAt *time.Time `bun:"tok_last_used_at,scanonly"`
	TokRevokedAt  *time.Time `bun:"tok_revoked_at,scanonly"`
	TokReadOnly   bool       `bun:"tok_read_only,scanonly"`
	TokSiteIDs    string     `bun:"tok_site_ids,scanonly"`
	SesCreatedAt  time.Time  `bun:"ses_created_at,scanonly"`
	SesLastSeenAt time.Time  `bun:"ses_last_seen_at,scanonly"`
}

// selectPerson starts the one-statement read of a person (see personRow).
func (s *Store) selectPerson(model any) *bun.SelectQuery {
	agg := "string_agg(%s, ',')"
	if s.DB.Dialect().Name() != dialect.PG {
		agg = "group_concat(%s, ',')"
	}
	return s.DB.NewSelect().Model(model).ColumnExpr("?TableColumns").
		ColumnExpr("COALESCE((SELECT " + fmt.Sprintf(agg, "role") + " FROM user_roles WHERE user_id = ?TableAlias.id), '') AS roles_csv").
		ColumnExpr("COALESCE((SELECT " + fmt.Sprintf(agg, "site_id") + " FROM user_sites WHERE user_id = ?TableAlias.id), '') AS sites_csv").
		ColumnExpr("COALESCE((SELECT version FROM decision_stamps WHERE person_id = ?TableAlias.id), 0) AS decision_stamp")
}

func (r *personRow) person() *Person {
	u := &r.userRow
	p := &Person{
		ID: u.ID, Email: u.Email, Name: u.Name, Credential: u.Credential,
		MustChangePassword: u.MustChangePassword, DisabledAt: u.DisabledAt,
		FailedLogins: u.FailedLogins, LockedUntil: u.LockedUntil, CreatedAt: u.CreatedAt,
		DecisionStamp: r.DecisionStamp,
	}
	if u.EmployeeID != nil {
		p.EmployeeID = *u.EmployeeID
	}
	if u.HireDate != nil {
		p.HireDate = *u.HireDate
	}
	if r.RolesCSV != "" {
		for _, role := range strings.Split(r.RolesCSV, ",") {
			p.Roles = append(p.Roles, Role(role))
		}
		slices.Sort(p.Roles)
	}
	if r.SitesCSV != "" {
		p.SiteIDs = strings.Split(r.SitesCSV, ",")
		slices.Sort(p.SiteIDs)
	}
	return p
}

func (s *Store) one(ctx context.Context, where string, arg any) (*Person, error) {
	var row personRow
	if err := s.selectPerson(&row).Where("?TableAlias."+where, arg).Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	return row.person(), nil
}

// attach loads roles and sites for rows with two queries, whatever their number.
func (s *Store) attach(ctx context.Context, rows []userRow) ([]*Person, error) {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return s.attachIn(ctx, rows, bun.List(ids))
}

// attachIn is attach with the people's ids given as in: a bun.In list or,
// for thousands of people, the subquery that chose them (a list that long
// would make a very long statement).
func (s *Store) attachIn(ctx context.Context, rows []userRow, in any) ([]*Person, error) {
	out := make([]*Person, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]string, len(rows))
	byID := make(map[string]*Person, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
		p := &Person{
			ID: r.ID, Email: r.Email, Name: r.Name, Credential: r.Credential,
			MustChangePassword: r.MustChangePassword, DisabledAt: r.DisabledAt,
			FailedLogins: r.FailedLogins, LockedUntil: r.LockedUntil, CreatedAt: r.CreatedAt,
		}
		if r.EmployeeID != nil {
			p.EmployeeID = *r.EmployeeID
		}
		if r.HireDate != nil {
			p.HireDate = *r.HireDate
		}
		out[i], byID[r.ID] = p, p
	}
	var roles []roleRow
	if err := s.DB.NewSelect().Model(&roles).Where("user_id IN (?)", in).Order("role").Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	for _, r := range roles {
		if byID[r.UserID] == nil {
			continue
		}
		byID[r.UserID].Roles = append(byID[r.UserID].Roles, Role(r.Role))
	}
	var sites []userSiteRow
	if err := s.DB.NewSelect().Model(&sites).Where("user_id IN (?)", in).Order("site_id").Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	for _, r := range sites {
		if byID[r.UserID] == nil {
			continue
		}
		byID[r.UserID].SiteIDs = append(byID[r.UserID].SiteIDs, r.SiteID)
	}
	return out, nil
}

// ListFilter narrows List.
type ListFilter struct {
	Query  string // matches name, email or employee id
	Role   Role
	SiteID string
	// SiteIDs, when not nil, restricts the list to people of any of these
	// sites (an empty list matches nobody): how callers scope a list to
	// the sites its reader may see.
	SiteIDs []string
	// IDs, when set, restricts the list to these people.
	IDs []string
	// Limit is the page size: 50 when not set, and at most MaxListLimit
	// (a larger limit gets MaxListLimit, never a silently smaller page).
	Limit  int
	Offset int
}

// MaxListLimit is the largest page List returns; SelectAll has no limit.
const MaxListLimit = 500

// List returns a page of people ordered by name, with the total matching
// count.
func (s *Store) List(ctx context.Context, f ListFilter) ([]*Person, int, error) {
	var rows []userRow
	q := s.DB.NewSelect().Model(&rows)
	if f.Query != "" {
		like := "%" + strings.ToLower(f.Query) + "%"
		q.Where("(LOWER(name) LIKE ? OR email LIKE ? OR LOWER(COALESCE(employee_id, '')) LIKE ?)", like, like, like)
	}
	if f.Role != "" {
		q.Where("id IN (SELECT user_id FROM user_roles WHERE role = ?)", string(f.Role))
	}
	if f.SiteID != "" {
		q.Where("id IN (SELECT user_id FROM user_sites WHERE site_id = ?)", f.SiteID)
	}
	if f.SiteIDs != nil {
		q.Where("id IN (SELECT user_id FROM user_sites WHERE site_id IN (?))", db.IDs(f.SiteIDs))
	}
	if f.IDs != nil {
		q.Where("id IN (?)", db.IDs(f.IDs))
	}
	switch {
	case f.Limit <= 0:
		f.Limit = 50
	case f.Limit > MaxListLimit:
		f.Limit = MaxListLimit
	}
	total, err := q.Order("name", "id").Limit(int64(f.Limit)).Offset(int64(f.Offset)).ScanAndCount(ctx)
	if err != nil {
		return nil, 0, db.Translate(err)
	}
	ps, err := s.attach(ctx, rows)
	return ps, int(total), err
}

// ByIDs returns the people with these ids (unknown ids are left out), by
// name, with roles and sites, in three queries and without a page limit.
func (s *Store) ByIDs(ctx context.Context, ids []string) ([]*Person, error) {
	if len(ids) == 0 {
		return []*Person{}, nil
	}
	var rows []userRow
	if err := s.DB.NewSelect().Model(&rows).Where("id IN (?)", bun.List(ids)).Order("name", "id").Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	return s.attach(ctx, rows)
}

// ByEmployeeIDs returns the people with these employee ids (unknown ones
// are left out), with roles and sites, in three queries however many: for
// the HR import, which matches people on employee id.
func (s *Store) ByEmployeeIDs(ctx context.Context, employeeIDs []string) ([]*Person, error) {
	return s.byColumn(ctx, "employee_id", employeeIDs)
}

// ByEmails is ByEmployeeIDs for normalised emails.
func (s *Store) ByEmails(ctx context.Context, emails []string) ([]*Person, error) {
	return s.byColumn(ctx, "email", emails)
}

func (s *Store) byColumn(ctx context.Context, column string, values []string) ([]*Person, error) {
	if len(values) == 0 {
		return []*Person{}, nil
	}
	var rows []userRow
	if err := s.DB.NewSelect().Model(&rows).Where("? IN (?)", bun.Ident(column), db.IDs(values)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("people by %s: %w", column, db.Translate(err))
	}
	ids := make([]string, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	return s.attachIn(ctx, rows, db.IDs(ids))
}

// Members returns everyone holding role at any of siteIDs (at every site
// when siteIDs is nil), by name, with their roles and sites. Unlike List it
// has no page limit, and it takes three queries however many people: it is
// for dashboards and reports over whole sites.
func (s *Store) Members(ctx context.Context, role Role, siteIDs []string) ([]*Person, error) {
	who := s.DB.NewSelect().Table("user_roles").Column("user_id").Where("role = ?", string(role))
	if siteIDs != nil {
		if len(siteIDs) == 0 {
			return []*Person{}, nil
		}
		who.Where("user_id IN (SELECT user_id FROM user_sites WHERE site_id IN (?))", bun.List(siteIDs))
	}
	var rows []userRow
	if err := s.DB.NewSelect().Model(&rows).Where("id IN (?)", who).Order("name", "id").Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	return s.attachIn(ctx, rows, who)
}

// Count returns how many accounts exist.
func (s *Store) Count(ctx context.Context) (int, error) {
	n, err := s.DB.NewSelect().Model((*userRow)(nil)).Count(ctx)
	return int(n), db.Translate(err)
}

// SetPassword checks the new password against the policy, stores its hash,
// clears failed-login counters and ends every session of the person (a
// changed password must log out whoever knew the old one).
func (s *Store) SetPassword(ctx context.Context, userID, plain string) error {
	p, err := s.ByID(ctx, userID)
	if err != nil {
		return err
	}
	if err := password.Check(plain, p.Email, p.Name); err != nil {
		return err
	}
	hash, err := s.Hasher.Hash(plain)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := s.storePassword(ctx, tx, userID, hash); err != nil {
			return err
		}
		return s.record(ctx, tx, ActionPasswordChange, "person", userID, nil, map[string]any{"sessions_ended": true})
	})
}

// storePassword writes a password hash, clears lockout state and ends the
// person's sessions, inside the caller's transaction.
func (s *Store) storePassword(ctx context.Context, tx bun.IDB, userID, hash string) error {
	if _, err := tx.NewUpdate().Model((*userRow)(nil)).
		Set("password_hash = ?", hash).Set("must_change_password = ?", false).
		Set("failed_logins = 0").Set("locked_until = NULL").Set("updated_at = ?", s.now()).
		Where("id = ?", userID).Exec(ctx); err != nil {
		return db.Translate(err)
	}
	_, err := tx.NewDelete().Model((*sessionRow)(nil)).Where("user_id = ?", userID).Exec(ctx)
	return db.Translate(err)
}

// RecordEmployeeIDs gives people who have no employee id the one HR's
// import names for them (they were matched by email), in one transaction:
// by person id, the employee id. A person who has an id by now keeps it
// and makes the whole call fail with ErrConflict.
func (s *Store) RecordEmployeeIDs(ctx context.Context, ids map[string]string) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.now()
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, id := range slices.Sorted(maps.Keys(ids)) {
			emp := ids[id]
			res, err := tx.NewUpdate().Model((*userRow)(nil)).Set("employee_id = ?", emp).Set("updated_at = ?", now).
				Where("id = ? AND employee_id IS NULL", id).Exec(ctx)
			if err != nil {
				return db.Translate(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("employee id %s: the person has one already: %w", emp, db.ErrConflict)
			}
			if err := s.record(ctx, tx, ActionEmployeeID, "person", id, map[string]any{"employee_id": nil}, map[string]any{"employee_id": emp}); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetDisabled disables or re-enables an account. Disabling ends all of the
// person's sessions and revokes their API tokens in the same transaction.
func (s *Store) SetDisabled(ctx context.Context, userID string, disabled bool) error {
	now := s.now()
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var was userRow
		if err := tx.NewSelect().Model(&was).Column("disabled_at").Where("id = ?", userID).Scan(ctx); err != nil {
			return db.Translate(err)
		}
		q := tx.NewUpdate().Model((*userRow)(nil)).Set("updated_at = ?", now).Where("id = ?", userID)
		if disabled {
			q.Set("disabled_at = ?", now)
		} else {
			q.Set("disabled_at = NULL")
		}
		res, err := q.Exec(ctx)
		if err != nil {
			return db.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return db.ErrNotFound
		}
		before := map[string]any{"disabled_at": was.DisabledAt}
		if !disabled {
			return s.record(ctx, tx, ActionPersonEnable, "person", userID, before, map[string]any{"disabled_at": nil})
		}
		if _, err := tx.NewDelete().Model((*sessionRow)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
			return db.Translate(err)
		}
		revoked, err := revokeAllTokens(ctx, tx, userID, now)
		if err != nil {
			return err
		}
		if err := s.record(ctx, tx, ActionPersonDisable, "person", userID, before,
			map[string]any{"disabled_at": now, "sessions_ended": true, "api_tokens_revoked": revoked}); err != nil {
			return err
		}
		if was.DisabledAt != nil || s.Outbox == nil {
			return nil // already deactivated: nothing new to tell
		}
		var emp sql.NullString
		if err := tx.NewSelect().Model((*userRow)(nil)).Column("employee_id").Where("id = ?", userID).Scan(ctx, &emp); err != nil {
			return db.Translate(err)
		}
		sites, err := SiteIDsOf(ctx, tx, userID)
		if err != nil {
			return err
		}
		return s.Outbox.Emit(ctx, tx, webhooks.Event{Type: webhooks.PersonDeactivated, SiteIDs: sites,
			Data: webhooks.PersonData{PersonID: userID, EmployeeID: emp.String, SiteIDs: sites, DeactivatedAt: now}})
	})
}

// SiteIDsOf returns the sites a person belongs to, sorted, read in idb
// (a transaction of the caller's, for the sites of an event).
func SiteIDsOf(ctx context.Context, idb bun.IDB, personID string) ([]string, error) {
	var ids []string
	if err := idb.NewSelect().Model((*userSiteRow)(nil)).Column("site_id").Where("user_id = ?", personID).OrderExpr("site_id").Scan(ctx, &ids); err != nil {
		return nil, db.Translate(err)
	}
	return ids, nil
}

// Unlock lifts a login lock and clears the failure count (an admin action).
func (s *Store) Unlock(ctx context.Context, userID string) error {
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var was userRow
		if err := tx.NewSelect().Model(&was).Column("failed_logins", "locked_until").Where("id = ?", userID).Scan(ctx); err != nil {
			return db.Translate(err)
		}
		if err := s.clearFailures(ctx, tx, userID); err != nil {
			return err
		}
		return s.record(ctx, tx, ActionPersonUnlock, "person", userID,
			map[string]any{"failed_logins": was.FailedLogins, "locked_until": was.LockedUntil},
			map[string]any{"failed_logins": 0, "locked_until": nil})
	})
}

func (s *Store) clearFailures(ctx context.Context, idb bun.IDB, userID string) error {
	res, err := idb.NewUpdate().Model((*userRow)(nil)).Set("failed_logins = 0").Set("locked_until = NULL").
		Set("updated_at = ?", s.now()).Where("id = ?", userID).Exec(ctx)
	if err != nil {
		return db.Translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return db.ErrNotFound
	}
	return nil
}
