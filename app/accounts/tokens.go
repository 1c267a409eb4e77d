package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"

	"github.com/skillgate/skillgate/errkind"
)

// TokenPrefix starts every personal API token, so a leaked one is easy to
// recognise (and to search for in code and logs).
const TokenPrefix = "sgt_"

// TokenUseInterval is how often a token's last use is written, and its use
// recorded in the audit trail: at most once per token per interval.
const TokenUseInterval = time.Hour

// MaxTokenLifetime caps how long a personal API token may live.
const MaxTokenLifetime = 366 * 24 * time.Hour

// APIToken is a personal API token as listed to its owner (never the secret).
type APIToken struct {
	ID         string
	UserID     string
	Name       string
	Prefix     string // first characters, to tell tokens apart
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	TokenScope
}

// TokenScope narrows what a token may do below what its owner may.
type TokenScope struct {
	// ReadOnly: the token may only read; every write route answers 403.
	ReadOnly bool
	// SiteIDs, when not empty, limits the token to these sites: it acts
	// with its owner's site-bound roles (HR, director, preceptor) at these
	// sites only, and without the administrator role, whose reach is not
	// bound to sites.
	SiteIDs []string
}

// Narrow returns the person as a request authenticated with a token of
// this scope sees them: p itself without a site scope, else a copy with
// only the scope's sites and without the administrator role.
func (sc TokenScope) Narrow(p *Person) *Person {
	if len(sc.SiteIDs) == 0 {
		return p
	}
	c := *p
	c.Roles = slices.DeleteFunc(slices.Clone(p.Roles), func(r Role) bool { return r == RoleAdmin })
	c.SiteIDs = nil
	for _, id := range sc.SiteIDs {
		if slices.Contains(p.SiteIDs, id) {
			c.SiteIDs = append(c.SiteIDs, id)
		}
	}
	return &c
}

// ErrScopeSite: a token may be limited only to sites its owner belongs to.
var ErrScopeSite = errkind.New(errkind.Invalid, "A token can be limited only to sites you belong to.").WithField("sites", "Choose among your own sites.")

// Active reports whether the token can still be used at now.
func (t *APIToken) Active(now time.Time) bool { return t.RevokedAt == nil && now.Before(t.ExpiresAt) }

type tokenRow struct {
	bun.BaseModel `bun:"table:api_tokens"`
	ID            string     `bun:"id,pk"`
	UserID        string     `bun:"user_id"`
	Name          string     `bun:"name"`
	TokenHash     string     `bun:"token_hash"`
	Prefix        string     `bun:"prefix"`
	CreatedAt     time.Time  `bun:"created_at"`
	ExpiresAt     time.Time  `bun:"expires_at"`
	LastUsedAt    *time.Time `bun:"last_used_at"`
	RevokedAt     *time.Time `bun:"revoked_at"`
	ReadOnly      bool       `bun:"read_only"`
	SiteIDs       string     `bun:"site_ids"`
}

func (r *tokenRow) token() *APIToken {
	t := &APIToken{ID: r.ID, UserID: r.UserID, Name: r.Name, Prefix: r.Prefix, CreatedAt: r.CreatedAt,
		ExpiresAt: r.ExpiresAt, LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt}
	t.ReadOnly = r.ReadOnly
	if r.SiteIDs != "" {
		t.SiteIDs = strings.Split(r.SiteIDs, ",")
	}
	return t
}

// CreateToken issues a personal API token for userID, valid for ttl, and
// returns it with the secret, which is shown once and stored only hashed.
func (s *Store) CreateToken(ctx context.Context, userID, name string, ttl time.Duration) (*APIToken, string, error) {
	return s.CreateScopedToken(ctx, userID, name, ttl, TokenScope{})
}

// CreateScopedToken is CreateToken for a token limited to scope. Its
// sites must be among the owner's (ErrScopeSite).
func (s *Store) CreateScopedToken(ctx context.Context, userID, name string, ttl time.Duration, scope TokenScope) (*APIToken, string, error) {
	if len(scope.SiteIDs) > 0 {
		owner, err := s.ByID(ctx, userID)
		if err != nil {
			return nil, "", err
		}
		for _, id := range scope.SiteIDs {
			if !slices.Contains(owner.SiteIDs, id) {
				return nil, "", ErrScopeSite
			}
		}
		scope.SiteIDs = slices.Compact(slices.Sorted(slices.Values(scope.SiteIDs)))
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, "", errors.New("create API token: a name is required")
	}
	if ttl <= 0 || ttl > MaxTokenLifetime {
		return nil, "", fmt.Errorf("create API token: lifetime must be between 1 day and %d days", int(MaxTokenLifetime.Hours()/24))
	}
	secret := TokenPrefix + NewSecret()
	now := s.now()
	row := &tokenRow{ID: NewID(), UserID: userID, Name: name, TokenHash: HashSecret(secret),
		Prefix: secret[:len(TokenPrefix)+6], CreatedAt: now, ExpiresAt: now.Add(ttl),
		ReadOnly: scope.ReadOnly, SiteIDs: strings.Join(scope.SiteIDs, ",")}
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx, ActionTokenCreate, "token", row.ID, nil,
			map[string]any{"owner": userID, "name": row.Name, "expires_at": row.ExpiresAt, "read_only": row.ReadOnly, "site_ids": scope.SiteIDs})
	})
	if err != nil {
		return nil, "", fmt.Errorf("create API token: %w", db.Translate(err))
	}
	return row.token(), secret, nil
}

// Tokens lists a person's tokens, newest first.
func (s *Store) Tokens(ctx context.Context, userID string) ([]*APIToken, error) {
	var rows []tokenRow
	if err := s.DB.NewSelect().Model(&rows).Where("user_id = ?", userID).Order("created_at DESC").Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	out := make([]*APIToken, len(rows))
	for i := range rows {
		out[i] = rows[i].token()
	}
	return out, nil
}

// RevokeToken revokes one of userID's tokens. A token of someone else is
// reported as db.ErrNotFound.
func (s *Store) RevokeToken(ctx context.Context, userID, tokenID string) error {
	now := s.now()
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*tokenRow)(nil)).Set("revoked_at = ?", now).
			Where("id = ? AND user_id = ? AND revoked_at IS NULL", tokenID, userID).Exec(ctx)
		if err != nil {
			return db.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return db.ErrNotFound
		}
		return s.record(ctx, tx, ActionTokenRevoke, "token", tokenID, map[string]any{"revoked_at": nil}, map[string]any{"revoked_at": now})
	})
}

// revokeAllTokens revokes every live token of userID in tx, and returns
// how many: when the account is disabled, and when someone else starts
// or completes a password reset for it.
func revokeAllTokens(ctx context.Context, tx bun.IDB, userID string, now time.Time) (int64, error) {
	res, err := tx.NewUpdate().Model((*tokenRow)(nil)).Set("revoked_at = ?", now).
		Where("user_id = ? AND revoked_at IS NULL", userID).Exec(ctx)
	if err != nil {
		return 0, db.Translate(err)
	}
	return res.RowsAffected()
}

// AuthenticateToken resolves a bearer token to its token and person. Unknown,
// revoked and expired tokens, and tokens of disabled accounts, all return
// db.ErrNotFound: the caller learns nothing about which.
func (s *Store) AuthenticateToken(ctx context.Context, secret string) (*APIToken, *Person, error) {
	t, p, _, err := s.AuthenticateTokenWith(ctx, secret, "")
	return t, p, err
}

// tokenColumns are the token's columns in the one-statement read, and
// noToken the same columns empty, for the subject's row.
const (
	tokenColumns = "tok.id AS tok_id, tok.user_id AS tok_user_id, tok.name AS tok_name, tok.prefix AS tok_prefix, " +
		"tok.created_at AS tok_created_at, tok.expires_at AS tok_expires_at, tok.last_used_at AS tok_last_used_at, tok.revoked_at AS tok_revoked_at, " +
		"tok.read_only AS tok_read_only, tok.site_ids AS tok_site_ids"
	noToken = "'' AS tok_id, '' AS tok_user_id, '' AS tok_name, '' AS tok_prefix, " +
		"NULL AS tok_created_at, NULL AS tok_expires_at, NULL AS tok_last_used_at, NULL AS tok_revoked_at, " +
		"FALSE AS tok_read_only, '' AS tok_site_ids"
)

// AuthenticateTokenWith is AuthenticateToken that also reads the person
// with id subjectID (nil when there is none, or subjectID is empty) in the
// same statement. An API call about one person (a clearance check) then
// costs one round trip for both: the token, its owner and the person
// asked about, with that person's decision stamp. The subject is returned
// whoever asks: the caller must still decide whether they may see it.
func (s *Store) AuthenticateTokenWith(ctx context.Context, secret, subjectID string) (*APIToken, *Person, *Person, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return nil, nil, nil, db.ErrNotFound
	}
	var rows []personRow
	if err := s.readTokenAndSubject(ctx, &rows, HashSecret(secret), subjectID); err != nil {
		return nil, nil, nil, db.Translate(err)
	}
	var pr, subject *personRow
	for i := range rows {
		if rows[i].TokID != "" {
			pr = &rows[i]
		} else {
			subject = &rows[i]
		}
	}
	if pr == nil {
		return nil, nil, nil, db.ErrNotFound
	}
	t, p, err := s.tokenInUse(ctx, pr)
	if err != nil || subject == nil {
		return t, p, nil, err
	}
	return t, p, subject.person(), nil
}

// tokenAndSubject builds the one statement of AuthenticateTokenWith: the
// person holding the token with hash, and the person with id subject.
func (s *Store) tokenAndSubject(rows *[]personRow, hash, subject any) *bun.SelectQuery {
	return s.selectPerson(rows).Join("JOIN api_tokens AS tok ON tok.user_id = ?TableAlias.id").
		ColumnExpr(tokenColumns).Where("tok.token_hash = ?", hash).
		UnionAll(s.selectPerson(rows).ColumnExpr(noToken).Where("?TableAlias.id = ?", subject))
}

// preparedRead is a read of people (the caller by API token or session,
// a person by id) prepared on PostgreSQL, once per Store (database/sql
// prepares it again on each pooled connection as needed, and after a
// reconnect). One runs on every request: planning the person's subqueries
// cost PostgreSQL about 0.3 ms a call, twice what running them does, and
// more than all else an API call asks of the database. Each names its
// columns (no "*"), so a migration that adds a column does not invalidate
// it in running instances.
type preparedRead struct {
	stmt atomic.Pointer[sql.Stmt]
	mu   sync.Mutex // held while preparing
}

// get returns the prepared statement, preparing it if need be. A failure
// (the database is unreachable) is returned, not kept: the next call
// tries again.
func (p *preparedRead) get(ctx context.Context, d *db.DB, query func() string) (*sql.Stmt, error) {
	if st := p.stmt.Load(); st != nil {
		return st, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if st := p.stmt.Load(); st != nil {
		return st, nil
	}
	st, err := d.DB.DB.PrepareContext(ctx, query())
	if err != nil {
		return nil, fmt.Errorf("prepare a read of people: %w", err)
	}
	p.stmt.Store(st)
	return st, nil
}

// readTokenAndSubject runs tokenAndSubject (see readPeople).
func (s *Store) readTokenAndSubject(ctx context.Context, rows *[]personRow, hash, subjectID string) error {
	return s.readPeople(ctx, s.auth, rows, func(arg ...any) *bun.SelectQuery { return s.tokenAndSubject(rows, arg[0], arg[1]) }, hash, subjectID)
}

// readPeople runs the statement build makes with args into rows:
// prepared once in p on PostgreSQL outside a transaction (build is then
// given $1, $2…), and through bun (which inlines the values) otherwise;
// SQLite plans in-process, in microseconds.
func (s *Store) readPeople(ctx context.Context, p *preparedRead, rows *[]personRow, build func(arg ...any) *bun.SelectQuery, args ...any) error {
	d, ok := s.DB.(*db.DB)
	if !ok || p == nil || d.Engine != db.Postgres {
		return build(args...).Scan(ctx)
	}
	st, err := p.get(ctx, d, func() string {
		ph := make([]any, len(args))
		for i := range ph {
			ph[i] = bun.Safe("$" + strconv.Itoa(i+1))
		}
		return build(ph...).String()
	})
	if err != nil {
		return err
	}
	rs, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	return d.ScanRows(ctx, rs, rows)
}

// tokenInUse checks the token and person read by AuthenticateTokenWith and
// notes the token's use.
func (s *Store) tokenInUse(ctx context.Context, pr *personRow) (*APIToken, *Person, error) {
	row := tokenRow{ID: pr.TokID, UserID: pr.TokUserID, Name: pr.TokName, Prefix: pr.TokPrefix, CreatedAt: pr.TokCreatedAt,
		ExpiresAt: pr.TokExpiresAt, LastUsedAt: pr.TokLastUsedAt, RevokedAt: pr.TokRevokedAt,
		ReadOnly: pr.TokReadOnly, SiteIDs: pr.TokSiteIDs}
	now := s.now()
	t := row.token()
	if !t.Active(now) {
		return nil, nil, db.ErrNotFound
	}
	p := pr.person()
	if p.Disabled() {
		return nil, nil, db.ErrNotFound
	}
	// Last use is kept to the hour: enough to spot unused tokens without a
	// write on every API call. The audit trail records use the same way, at
	// most one "token.used" per token and hour, written with that update:
	// one per request would bury every other entry under API traffic.
	// The condition in SQL makes concurrent first uses record it once.
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > TokenUseInterval {
		err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			res, err := tx.NewUpdate().Model((*tokenRow)(nil)).Set("last_used_at = ?", now).
				Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", row.ID, now.Add(-TokenUseInterval)).Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionTokenUsed, EntityType: "token", EntityID: row.ID,
				Actor: p.ID, Via: "token:" + row.ID, After: map[string]any{"name": row.Name, "last_used_at": now}})
		})
		if err != nil {
			return nil, nil, db.Translate(err)
		}
		t.LastUsedAt = &now
	}
	return t, p, nil
}
