// Package audit keeps Skillgate's audit trail: an append-only, hash-chained
// log of every change to records, every login (and failed login), logout,
// export and API-token use.
//
// Every entry has an id (seq) and, once chained, a place in the one chain
// (chain_seq: 1, 2, 3, … without gaps). Its hash is SHA-256 over a
// canonical encoding of its content, id, place and the previous entry's
// hash, so altering, removing or inserting an entry in the middle breaks
// the chain, which Verify reports. The chain is a single order of every
// entry, so one anchor covers the whole trail up to it.
//
// Entries are written inside the caller's transaction: an audited change
// and its entry commit or roll back together. Writers never wait for each
// other. On PostgreSQL an entry's id comes from a sequence; the writer then
// tries the chain's lock (a transaction-scoped advisory lock): if it is
// free, the writer chains its entries itself, holding the lock until
// commit (as every write did before); if another transaction holds it, the
// entries are committed unchained (chain_seq, prev_hash and hash empty) and
// the sealer chains them moments later. The sealer (RunSealer, in every
// server instance; Seal, also run by `skillgate audit verify`) chains
// waiting entries in id order, a batch per transaction under the chain's
// lock: a crash between a write and its sealing leaves the entry waiting,
// committed with its change, and the next sealing chains it; a crash during
// sealing rolls the batch back. So the chain's order is the order entries
// were chained, not always their ids' order. On SQLite the single writer
// (every transaction opens with BEGIN IMMEDIATE) holds the chain already,
// so every entry is chained as it is written. The unique index on
// chain_seq refuses a fork should the lock ever fail.
//
// The table refuses UPDATE and DELETE except the one change sealing makes
// (setting the place and hashes of an entry that has none, every other
// column unchanged). An entry waiting to be chained is not yet protected
// by the chain: Verify counts such entries (Report.Waiting) and the
// command-line verify chains them first.
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
	Seq           int64 `bun:"seq,pk"`
	// ChainSeq is the entry's place in the chain; nil while it waits for
	// the sealer (PrevHash and Hash are empty then).
	ChainSeq   *int64    `bun:"chain_seq"`
	At         time.Time `bun:"at"`
	Actor      string    `bun:"actor"`
	Via        string    `bun:"via"`
	Action     string    `bun:"action"`
	EntityType string    `bun:"entity_type"`
	EntityID   string    `bun:"entity_id"`
	Before     string    `bun:"before_json"` // JSON, or empty
	After      string    `bun:"after_json"`  // JSON, or empty
	IP         string    `bun:"ip"`
	RequestID  string    `bun:"request_id"`
	PrevHash   string    `bun:"prev_hash"`
	Hash       string    `bun:"hash"`
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

// lockKey names the PostgreSQL advisory lock held by whoever extends the
// chain (a writer chaining its own entries, or the sealer) until its
// transaction ends: a fixed number ("SGAU") and the audit table's oid, so
// that each schema's trail (each test's) has a lock of its own.
const lockKey = "1397178709, ('audit_log'::regclass::oid::bigint & 2147483647)::int"

// insertChunk bounds the rows of one INSERT (PostgreSQL allows 65,535
// parameters; 14 columns × 500 rows stays far below).
const insertChunk = 500

// Append records one entry inside idb's transaction (or in a transaction
// of its own when idb is not one). It never waits for another writer: see
// the package comment.
func (l *Log) Append(ctx context.Context, idb bun.IDB, e Entry) error {
	return l.AppendAll(ctx, idb, []Entry{e})
}

// AppendAll records entries in order (for bulk changes such as an import).
func (l *Log) AppendAll(ctx context.Context, idb bun.IDB, es []Entry) error {
	if len(es) == 0 {
		return nil
	}
	// Everything that does not need the database is done first.
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
		// Chain the entries now if the chain is free (always on SQLite,
		// whose single writer holds it already); otherwise leave them to
		// the sealer rather than wait.
		seqs, free, err := reserveAndTryLock(ctx, tx, len(rows))
		if err != nil {
			return err
		}
		for i := range rows {
			rows[i].Seq = seqs[i]
		}
		if free {
			head, err := Head(ctx, tx)
			if err != nil {
				return err
			}
			link(rows, head)
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

// link chains rows, in order, after head.
func link(rows []Record, head Anchor) {
	pos, prev := head.Seq, head.Hash
	for i := range rows {
		pos++
		p := pos
		rows[i].ChainSeq, rows[i].PrevHash = &p, prev
		rows[i].Hash = rows[i].ComputeHash()
		prev = rows[i].Hash
	}
}

// Reserve returns n new entry ids (seq) in increasing order: from the
// sequence audit_log_seq on PostgreSQL (no lock; a rolled-back transaction
// leaves a gap), after the largest stored on SQLite (whose single writer
// holds the table). Tools that write entries in bulk use it with Head.
func Reserve(ctx context.Context, idb bun.IDB, n int) ([]int64, error) {
	seqs := make([]int64, 0, n)
	if idb.Dialect().Name() == dialect.PG {
		if err := idb.NewRaw("SELECT nextval('audit_log_seq') FROM generate_series(1, ?)", n).Scan(ctx, &seqs); err != nil {
			return nil, fmt.Errorf("audit: number entries: %w", err)
		}
		return seqs, nil
	}
	var last int64
	if err := idb.NewSelect().Model((*Record)(nil)).ColumnExpr("COALESCE(MAX(seq), 0)").Scan(ctx, &last); err != nil {
		return nil, fmt.Errorf("audit: number entries: %w", err)
	}
	for i := range n {
		seqs = append(seqs, last+1+int64(i))
	}
	return seqs, nil
}

// reserveAndTryLock returns n new entry ids (as Reserve) and takes the
// chain's lock until tx ends if no other transaction holds it (or waits
// for it), saying whether it did; on SQLite the single writer holds it
// already. On PostgreSQL both are one round trip.
func reserveAndTryLock(ctx context.Context, tx bun.IDB, n int) ([]int64, bool, error) {
	if tx.Dialect().Name() != dialect.PG {
		seqs, err := Reserve(ctx, tx, n)
		return seqs, true, err
	}
	var got []struct {
		Free bool  `bun:"free"`
		Seq  int64 `bun:"seq"`
	}
	// The uncorrelated subquery runs once, whatever n.
	if err := tx.NewRaw("SELECT (SELECT pg_try_advisory_xact_lock("+lockKey+")) AS free, nextval('audit_log_seq') AS seq FROM generate_series(1, ?)", n).Scan(ctx, &got); err != nil {
		return nil, false, fmt.Errorf("audit: number entries: %w", err)
	}
	seqs := make([]int64, len(got))
	for i, g := range got {
		seqs[i] = g.Seq
	}
	return seqs, len(got) > 0 && got[0].Free, nil
}

// lock takes the chain's lock until tx ends, waiting for it.
func lock(ctx context.Context, tx bun.IDB) error {
	if tx.Dialect().Name() != dialect.PG {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock("+lockKey+")"); err != nil {
		return fmt.Errorf("audit: take the chain's lock: %w", err)
	}
	return nil
}

// Head returns the chain's newest entry: its place and hash (0 and "" when
// the chain is empty). Only meaningful under the chain's lock.
func Head(ctx context.Context, idb bun.IDB) (Anchor, error) {
	var h Anchor
	err := idb.NewSelect().Model((*Record)(nil)).Column("chain_seq", "hash").Where("chain_seq IS NOT NULL").
		OrderExpr("chain_seq DESC").Limit(1).Scan(ctx, &h.Seq, &h.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return Anchor{}, nil
	}
	if err != nil {
		return Anchor{}, fmt.Errorf("audit: read the chain's head: %w", err)
	}
	return h, nil
}

// hashVersion names the canonical encoding, so that a future change of it
// can be told apart. v2 adds the entry's place in the chain (chain_seq);
// entries written before it (v1) have chain_seq = seq, which v1 covers.
const (
	hashVersion   = "sg-audit-v2"
	hashVersionV1 = "sg-audit-v1"
)

// timeLayout writes times in the one form both engines give back exactly
// (microseconds, UTC).
const timeLayout = "2006-01-02T15:04:05.000000Z"

// ComputeHash returns the hash the entry should carry: hex SHA-256 of a JSON
// array of its fields (in a fixed order, its place in the chain second)
// ending with prev_hash.
func (r *Record) ComputeHash() string {
	var pos int64
	if r.ChainSeq != nil {
		pos = *r.ChainSeq
	}
	b, _ := json.Marshal([]any{hashVersion, r.Seq, pos, r.At.UTC().Format(timeLayout), r.Actor, r.Via, r.Action,
		r.EntityType, r.EntityID, r.Before, r.After, r.IP, r.RequestID, r.PrevHash})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// hashV1 is the hash of entries written before chain_seq existed.
func (r *Record) hashV1() string {
	b, _ := json.Marshal([]any{hashVersionV1, r.Seq, r.At.UTC().Format(timeLayout), r.Actor, r.Via, r.Action,
		r.EntityType, r.EntityID, r.Before, r.After, r.IP, r.RequestID, r.PrevHash})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// hashHolds says whether the entry's hash matches its content: the current
// encoding, or v1 for an entry whose place is its seq (as every entry
// written before v2 has).
func (r *Record) hashHolds() bool {
	if r.Hash == r.ComputeHash() {
		return true
	}
	return r.ChainSeq != nil && *r.ChainSeq == r.Seq && r.Hash == r.hashV1()
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
