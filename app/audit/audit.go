// Package audit keeps Skillgate's audit trail: an append-only, hash-chained
// log of every change to records, every login (and failed login), logout,
// export and API-token use.
//
// Each entry's hash is SHA-256 over a canonical encoding of its content and
// the previous entry's hash, so altering, removing or inserting an entry in
// the middle breaks the chain, which Verify reports. Entries are appended
// inside the caller's transaction: an audited change and its entry commit
// or roll back together. Appends are serialised by a transaction-scoped
// advisory lock on PostgreSQL and by SQLite's single writer (the DSN opens
// every transaction with BEGIN IMMEDIATE); the primary key on seq refuses
// a fork should that ever fail. Reads take no lock.
//
// The chain alone cannot tell a genuine last entry from one forged and
// appended by someone with write access to the database (and the removal
// of the newest entries): that is what anchors are for (see Verify).
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// SystemActor is the actor of changes nobody asked for directly: background
// jobs, the demo seed, the first administrator, command-line tools.
const SystemActor = "system"

// AnonymousActor is the actor of requests nobody is logged in for (failed
// logins, reset links before they are used).
const AnonymousActor = "anonymous"

// SCIMActor is the actor of changes an identity provider makes through
// SCIM provisioning; Via names the SCIM token ("scim_token:<id>").
const SCIMActor = "scim"

// Actor says who causes the entries written under a context, and from where.
type Actor struct {
	// ID is the person's id, or SystemActor.
	ID string
	// Via says how they came: "session", "token:<token id>" (never the
	// token itself), "cli", "job:<name>", "demo", or empty.
	Via string
	// IP is the client's address, RequestID the request's id (both empty
	// outside HTTP).
	IP        string
	RequestID string
}

// System returns the system actor, acting through via (e.g. "cli").
func System(via string) Actor { return Actor{ID: SystemActor, Via: via} }

type actorKey struct{}

// WithActor returns a context whose audit entries are attributed to a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor set by WithActor, if any.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// Unattributed is the actor recorded when a change is made under a context
// without WithActor: a wiring mistake worth seeing, never silently "system".
const Unattributed = "unattributed"

// Entry is what a caller records. Actor, Via, IP and RequestID default to
// the context's actor.
type Entry struct {
	// Action says what happened, as noun.verb: "signoff.create",
	// "credential.verify", "login.failed".
	Action string
	// EntityType and EntityID name what it happened to.
	EntityType string
	EntityID   string
	// Before and After are the values (any JSON-marshalable value, or
	// json.RawMessage); nil means none. Secrets in them are redacted.
	Before any
	After  any

	Actor     string
	Via       string
	IP        string
	RequestID string
}

// Record is a stored entry.
type Record struct {
	bun.BaseModel `bun:"table:audit_log"`
	Seq           int64     `bun:"seq,pk"`
	At            time.Time `bun:"at"`
	Actor         string    `bun:"actor"`
	Via           string    `bun:"via"`
	Action        string    `bun:"action"`
	EntityType    string    `bun:"entity_type"`
	EntityID      string    `bun:"entity_id"`
	Before        string    `bun:"before_json"` // JSON, or empty
	After         string    `bun:"after_json"`  // JSON, or empty
	IP            string    `bun:"ip"`
	RequestID     string    `bun:"request_id"`
	PrevHash      string    `bun:"prev_hash"`
	Hash          string    `bun:"hash"`
}

// Log appends entries. The zero value, and a nil *Log, use the real clock.
type Log struct {
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// New returns a Log on the real clock.
func New() *Log { return &Log{} }

func (l *Log) now() time.Time {
	if l == nil || l.Now == nil {
		return time.Now().UTC()
	}
	return l.Now().UTC()
}

// lockKey is the PostgreSQL advisory lock that serialises appends; any
// fixed 64-bit number unlikely to be used elsewhere ("SG-AUDIT").
const lockKey int64 = 0x53_47_2d_41_55_44_49_54

// insertChunk bounds the rows of one INSERT (PostgreSQL allows 65,535
// parameters; 13 columns × 500 rows stays far below).
const insertChunk = 500

// Append records one entry inside idb's transaction (or in a transaction
// of its own when idb is not one). Call it after the change it records, as
// the last statement before commit: on PostgreSQL it holds the audit lock
// until the transaction ends, so the shorter that is the better.
func (l *Log) Append(ctx context.Context, idb bun.IDB, e Entry) error {
	return l.AppendAll(ctx, idb, []Entry{e})
}

// AppendAll records entries in order, taking the lock and reading the last
// entry once (for bulk changes such as an import).
func (l *Log) AppendAll(ctx context.Context, idb bun.IDB, es []Entry) error {
	if len(es) == 0 {
		return nil
	}
	// Everything that does not need the lock is done before taking it.
	rows := make([]Record, len(es))
	at := l.now().Truncate(time.Microsecond)
	actor, hasActor := ActorFrom(ctx)
	for i, e := range es {
		if e.Action == "" || e.EntityType == "" {
			return fmt.Errorf("audit: entry without action or entity type: %+v", e)
		}
		before, err := encodeValue(e.Before)
		if err != nil {
			return fmt.Errorf("audit %s: before value: %w", e.Action, err)
		}
		after, err := encodeValue(e.After)
		if err != nil {
			return fmt.Errorf("audit %s: after value: %w", e.Action, err)
		}
		r := Record{At: at, Actor: e.Actor, Via: e.Via, Action: e.Action, EntityType: e.EntityType, EntityID: e.EntityID,
			Before: before, After: after, IP: e.IP, RequestID: e.RequestID}
		if r.Actor == "" {
			r.Actor, r.Via = actor.ID, actor.Via
			if !hasActor || r.Actor == "" {
				r.Actor = Unattributed
			}
		}
		if r.IP == "" {
			r.IP = actor.IP
		}
		if r.RequestID == "" {
			r.RequestID = actor.RequestID
		}
		rows[i] = r
	}
	write := func(ctx context.Context, tx bun.IDB) error {
		if err := Lock(ctx, tx); err != nil {
			return err
		}
		seq, prev, err := last(ctx, tx)
		if err != nil {
			return err
		}
		for i := range rows {
			seq++
			rows[i].Seq, rows[i].PrevHash = seq, prev
			rows[i].Hash = rows[i].ComputeHash()
			prev = rows[i].Hash
		}
		for start := 0; start < len(rows); start += insertChunk {
			chunk := rows[start:min(start+insertChunk, len(rows))]
			if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
				return fmt.Errorf("audit: append %s: %w", chunk[0].Action, err)
			}
		}
		return nil
	}
	switch tx := idb.(type) {
	case bun.Tx:
		return write(ctx, tx)
	case *bun.Tx:
		return write(ctx, tx)
	}
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return write(ctx, tx) })
}

// Lock takes the lock that serialises appends, until tx ends: a
// transaction-scoped advisory lock on PostgreSQL (re-entrant, so a
// transaction may take it again by appending); nothing on SQLite, whose
// single writer serialises transactions already. Other writers whose rows
// must be numbered in commit order (the webhooks outbox) take it too, in
// the same transaction as their audit entry.
func Lock(ctx context.Context, tx bun.IDB) error {
	if tx.Dialect().Name() != dialect.PG {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", lockKey); err != nil {
		return fmt.Errorf("audit: take lock: %w", err)
	}
	return nil
}

// last returns the newest entry's seq and hash (0 and "" when empty).
func last(ctx context.Context, idb bun.IDB) (int64, string, error) {
	var seq int64
	var hash string
	err := idb.NewSelect().Model((*Record)(nil)).Column("seq", "hash").OrderExpr("seq DESC").Limit(1).Scan(ctx, &seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("audit: read last entry: %w", err)
	}
	return seq, hash, nil
}

// hashVersion names the canonical encoding, so that a future change of it
// can be told apart.
const hashVersion = "sg-audit-v1"

// timeLayout writes times in the one form both engines give back exactly
// (microseconds, UTC).
const timeLayout = "2006-01-02T15:04:05.000000Z"

// ComputeHash returns the hash the entry should carry: hex SHA-256 of a JSON
// array of its fields (in a fixed order) ending with prev_hash.
func (r *Record) ComputeHash() string {
	b, _ := json.Marshal([]any{hashVersion, r.Seq, r.At.UTC().Format(timeLayout), r.Actor, r.Via, r.Action,
		r.EntityType, r.EntityID, r.Before, r.After, r.IP, r.RequestID, r.PrevHash})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// encodeValue marshals v to JSON with secrets redacted; nil gives "".
func encodeValue(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	var raw []byte
	switch x := v.(type) {
	case json.RawMessage:
		raw = x
	case []byte:
		raw = x
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		raw = b
	}
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var generic any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&generic); err != nil {
		return "", err
	}
	// Not HTML-escaped: "<" stays "<" so the trail reads as typed; pages
	// escape it when they show it.
	var out strings.Builder
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(Redact(generic)); err != nil {
		return "", err
	}
	return strings.TrimSuffix(out.String(), "\n"), nil
}

// Redacted replaces a secret's value in an entry.
const Redacted = "[redacted]"

// Redact replaces, at any depth of decoded JSON, the values of keys that
// name secrets: passwords and their hashes, tokens and token hashes,
// session ids, reset codes, calendar tokens. A true/false or null cannot
// hold a secret and is kept ("password_set": true).
func Redact(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if _, isBool := val.(bool); !isBool && val != nil && secretKey(k) {
				x[k] = Redacted
				continue
			}
			x[k] = Redact(val)
		}
	case []any:
		for i := range x {
			x[i] = Redact(x[i])
		}
	}
	return v
}

// keySeparators are dropped before a key is compared with secret names
// ("api_key", "API-Key" and "api key" all read "apikey"). Built once: a
// Replacer's table is 6 KB, and an import of 10,000 people redacts the
// keys of 10,000 audit entries.
var keySeparators = strings.NewReplacer("_", "", "-", "", " ", "")

func secretKey(k string) bool {
	n := keySeparators.Replace(strings.ToLower(k))
	switch n {
	case "token", "secret", "hash", "session", "cookie", "otp":
		return true
	}
	for _, part := range []string{"password", "secret", "tokenhash", "sessionid", "idhash", "resetcode", "calendartoken", "apikey", "bearer"} {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}
