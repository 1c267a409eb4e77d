package audit

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// Filter narrows the trail for browsing and export. Empty fields match all.
type Filter struct {
	Actor string
	// Action matches exactly, or as a prefix when it ends in "." ("signoff.").
	Action     string
	EntityType string
	EntityID   string
	// From and Until bound the entry time: From ≤ at < Until.
	From  time.Time
	Until time.Time
	// Conditions narrow the entries further with SQL a read model builds
	// over audit_log's columns (entries about the people a name matches).
	Conditions []Condition
}

// Condition is one further narrowing of the trail: a WHERE clause over
// audit_log's columns, and what the reader asked for in words (for an
// export's About sheet and its audit entry).
type Condition struct {
	Param, Value string
	SQL          string
	Args         []any
}

// Params are the filter's non-empty fields as strings, for an export's
// About sheet and for the export's own audit entry.
func (f Filter) Params() map[string]string {
	m := map[string]string{}
	for k, v := range map[string]string{"actor": f.Actor, "action": f.Action, "entity_type": f.EntityType, "entity_id": f.EntityID} {
		if v != "" {
			m[k] = v
		}
	}
	if !f.From.IsZero() {
		m["from"] = f.From.UTC().Format(time.RFC3339)
	}
	if !f.Until.IsZero() {
		m["until"] = f.Until.UTC().Format(time.RFC3339)
	}
	for _, c := range f.Conditions {
		m[c.Param] = c.Value
	}
	return m
}

func (f Filter) apply(q *bun.SelectQuery) *bun.SelectQuery {
	if f.Actor != "" {
		q.Where("actor = ?", f.Actor)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			// Range instead of LIKE: no escaping, and the index serves it.
			q.Where("action >= ? AND action < ?", f.Action, f.Action[:len(f.Action)-1]+"/")
		} else {
			q.Where("action = ?", f.Action)
		}
	}
	if f.EntityType != "" {
		q.Where("entity_type = ?", f.EntityType)
	}
	if f.EntityID != "" {
		q.Where("entity_id = ?", f.EntityID)
	}
	if !f.From.IsZero() {
		q.Where("at >= ?", f.From.UTC())
	}
	if !f.Until.IsZero() {
		q.Where("at < ?", f.Until.UTC())
	}
	for _, c := range f.Conditions {
		q.Where(c.SQL, c.Args...)
	}
	return q
}

// List returns a page of matching entries, newest first, and how many match.
func List(ctx context.Context, idb bun.IDB, f Filter, limit, offset int) ([]Record, int, error) {
	var rows []Record
	n, err := f.apply(idb.NewSelect().Model(&rows)).OrderExpr("seq DESC").Limit(int64(limit)).Offset(int64(offset)).ScanAndCount(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("list audit entries: %w", err)
	}
	return rows, int(n), nil
}

// List lists a page of the trail like the function List, but counts the whole
// unfiltered trail with c, which remembers what it counted before.
func (c *Counter) List(ctx context.Context, idb bun.IDB, f Filter, limit, offset int) ([]Record, int, error) {
	if !f.empty() {
		return List(ctx, idb, f, limit, offset)
	}
	var rows []Record
	if err := idb.NewSelect().Model(&rows).OrderExpr("seq DESC").Limit(int64(limit)).Offset(int64(offset)).Scan(ctx); err != nil {
		return nil, 0, fmt.Errorf("list audit entries: %w", err)
	}
	n, err := c.count(ctx, idb)
	if err != nil {
		return nil, 0, err
	}
	return rows, int(n), nil
}

// empty reports whether f selects every entry.
func (f Filter) empty() bool {
	return f.Actor == "" && f.Action == "" && f.EntityType == "" && f.EntityID == "" && f.From.IsZero() && f.Until.IsZero() && len(f.Conditions) == 0
}

// Counter counts the whole trail without reading all of it each time. An
// entry's place in the chain (chain_seq), once given, never changes, and
// no entry goes away (the table refuses both), so the entries chained up
// to a place are counted once; each count then reads only the entries
// chained since and those waiting for the sealer (two index ranges),
// where a plain count visited every entry (400,000 at twice the bench
// size: most of the audit trail's first page). One Counter serves one
// database.
// The zero Counter has counted nothing yet.
type Counter struct {
	mu      sync.Mutex
	counted bool  // whether upTo and below hold a count
	upTo    int64 // the chain's entries up to this place ...
	below   int64 // ... are this many
}

func (c *Counter) count(ctx context.Context, idb bun.IDB) (int64, error) {
	c.mu.Lock()
	counted, upTo, below := c.counted, c.upTo, c.below
	c.mu.Unlock()
	since := idb.NewSelect().Model((*Record)(nil)).ColumnExpr("COUNT(*)").Where("chain_seq IS NOT NULL")
	if counted {
		since = idb.NewSelect().Model((*Record)(nil)).ColumnExpr("COUNT(*)").Where("chain_seq > ?", upTo)
	}
	// One statement: the three figures are of the same moment.
	var r struct {
		Last    *int64 `bun:"last"`
		Since   int64  `bun:"since"`
		Waiting int64  `bun:"waiting"`
	}
	err := idb.NewRaw(`SELECT (SELECT MAX(chain_seq) FROM audit_log) AS last, (?) AS since,
		(SELECT COUNT(*) FROM audit_log WHERE chain_seq IS NULL) AS waiting`, since).Scan(ctx, &r)
	if err != nil {
		return 0, fmt.Errorf("count audit entries: %w", err)
	}
	if r.Last != nil && (!counted || *r.Last > upTo) {
		c.mu.Lock()
		// A count that started from an older place is as right as one
		// from a newer: keep whichever reaches further.
		if !c.counted || *r.Last > c.upTo {
			c.counted, c.upTo, c.below = true, *r.Last, below+r.Since
		}
		c.mu.Unlock()
	}
	return below + r.Since + r.Waiting, nil
}

// Each calls fn for every matching entry, newest first, reading a batch at
// a time by seq (keyset), so an export of millions of entries stays small.
func Each(ctx context.Context, idb bun.IDB, f Filter, fn func(*Record) error) error {
	return EachBatch(ctx, idb, f, func(batch []Record) error {
		for i := range batch {
			if err := fn(&batch[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// EachBatch calls fn with every matching entry, newest first, a batch of
// at most VerifyBatch at a time: a reader that resolves names once per
// batch instead of once per entry.
func EachBatch(ctx context.Context, idb bun.IDB, f Filter, fn func([]Record) error) error {
	var below int64 = -1
	for {
		var batch []Record
		q := f.apply(idb.NewSelect().Model(&batch))
		if below >= 0 {
			q.Where("seq < ?", below)
		}
		if err := q.OrderExpr("seq DESC").Limit(VerifyBatch).Scan(ctx); err != nil {
			return fmt.Errorf("read audit entries: %w", err)
		}
		if len(batch) > 0 {
			if err := fn(batch); err != nil {
				return err
			}
		}
		if len(batch) < VerifyBatch {
			return nil
		}
		below = batch[len(batch)-1].Seq
	}
}
