package webhooks

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Event is what a change emits.
type Event struct {
	// Type is one of EventTypes.
	Type string
	// SiteIDs are the sites the event is about (the enrollment's site, the
	// person's sites): an endpoint limited to some sites receives it only
	// when they meet; an event without sites goes only to endpoints of
	// every site.
	SiteIDs []string
	// Data is the payload's data object (JSON-marshalable).
	Data any
	// DedupeKey, when set, makes the event happen once: a second Emit
	// with the same key writes nothing (a daily job run twice).
	DedupeKey string
}

// Outbox writes events in the caller's transaction. A nil *Outbox writes
// nothing (stores built without webhooks, as in most tests).
type Outbox struct {
	// Now is the clock (UTC); nil means time.Now.
	Now func() time.Time
	// Levels reads clearance levels for Changing (nil: Changing emits
	// nothing).
	Levels Levels
}

func (o *Outbox) now() time.Time {
	if o == nil || o.Now == nil {
		return time.Now().UTC()
	}
	return o.Now().UTC()
}

type eventRow struct {
	bun.BaseModel `bun:"table:webhook_events"`
	Seq           int64     `bun:"seq,pk"`
	ID            string    `bun:"id"`
	Type          string    `bun:"type"`
	Payload       string    `bun:"payload"`
	SiteIDs       string    `bun:"site_ids"`
	DedupeKey     *string   `bun:"dedupe_key"`
	OccurredAt    time.Time `bun:"occurred_at"`
}

type deliveryRow struct {
	bun.BaseModel `bun:"table:webhook_deliveries"`
	ID            string     `bun:"id,pk"`
	EndpointID    string     `bun:"endpoint_id"`
	EventSeq      int64      `bun:"event_seq"`
	Status        string     `bun:"status"`
	Attempts      int        `bun:"attempts"`
	NextAttemptAt time.Time  `bun:"next_attempt_at"`
	ClaimedUntil  *time.Time `bun:"claimed_until"`
	LastAttemptAt *time.Time `bun:"last_attempt_at"`
	ResponseCode  int        `bun:"response_code"`
	LastError     string     `bun:"last_error"`
	RetrySince    time.Time  `bun:"retry_since"`
	DeliveredAt   *time.Time `bun:"delivered_at"`
}

// payload is the body of every delivery (Standard Webhooks).
type payload struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// Emit writes events into the outbox inside idb's transaction, with one
// pending delivery per enabled endpoint subscribed to the type (and to one
// of the event's sites); an event no endpoint wants is not stored. Call it
// in the transaction of the change, next to its audit entry. When it writes
// an event it takes the outbox's lock until the transaction ends (a
// PostgreSQL advisory lock; SQLite's single writer), so events are
// numbered in commit order and endpoints receive them in that order.
// Transactions that emit no event (no endpoint wants it) never wait for it.
func (o *Outbox) Emit(ctx context.Context, idb bun.IDB, events ...Event) error {
	if o == nil || len(events) == 0 {
		return nil
	}
	var eps []endpointRow
	if err := idb.NewSelect().Model(&eps).Column("id", "events", "site_ids").Where("enabled = ?", true).Scan(ctx); err != nil {
		return fmt.Errorf("webhooks: endpoints: %w", err)
	}
	if len(eps) == 0 {
		return nil
	}
	now := o.now().Truncate(time.Microsecond)
	locked := false
	var seq int64
	for _, ev := range events {
		var to []string
		for _, ep := range eps {
			if ep.wants(ev) {
				to = append(to, ep.ID)
			}
		}
		if len(to) == 0 {
			continue
		}
		if !locked {
			if err := lockEvents(ctx, idb); err != nil {
				return err
			}
			if err := idb.NewSelect().Model((*eventRow)(nil)).ColumnExpr("COALESCE(MAX(seq), 0)").Scan(ctx, &seq); err != nil {
				return fmt.Errorf("webhooks: last event: %w", err)
			}
			locked = true
		}
		row := eventRow{ID: "msg_" + uuid.Must(uuid.NewV7()).String(), Type: ev.Type, SiteIDs: joinList(ev.SiteIDs), OccurredAt: now}
		if ev.DedupeKey != "" {
			k := ev.DedupeKey
			row.DedupeKey = &k
			err := idb.NewSelect().Model((*eventRow)(nil)).Column("seq").Where("dedupe_key = ?", k).Scan(ctx, new(int64))
			if err == nil {
				continue
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("webhooks: dedupe key: %w", err)
			}
		}
		body, err := json.Marshal(payload{Type: ev.Type, Timestamp: now, Data: ev.Data})
		if err != nil {
			return fmt.Errorf("webhooks: %s payload: %w", ev.Type, err)
		}
		seq++
		row.Seq, row.Payload = seq, string(body)
		if _, err := idb.NewInsert().Model(&row).Exec(ctx); err != nil {
			return fmt.Errorf("webhooks: write %s: %w", ev.Type, err)
		}
		ds := make([]deliveryRow, len(to))
		for i, ep := range to {
			ds[i] = deliveryRow{ID: uuid.Must(uuid.NewV7()).String(), EndpointID: ep, EventSeq: seq, Status: StatusPending,
				NextAttemptAt: now, RetrySince: now}
		}
		if _, err := idb.NewInsert().Model(&ds).Exec(ctx); err != nil {
			return fmt.Errorf("webhooks: deliveries of %s: %w", ev.Type, err)
		}
	}
	return nil
}

// eventsLockKey names the PostgreSQL advisory lock that numbers events in
// commit order: a fixed number ("SGWH") and the events table's oid, so
// that each schema's outbox has a lock of its own.
const eventsLockKey = "1397184328, ('webhook_events'::regclass::oid::bigint & 2147483647)::int"

// lockEvents takes the outbox's lock until tx ends: a transaction-scoped
// advisory lock on PostgreSQL (re-entrant); nothing on SQLite, whose
// single writer serialises transactions already.
func lockEvents(ctx context.Context, tx bun.IDB) error {
	if tx.Dialect().Name() != dialect.PG {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock("+eventsLockKey+")"); err != nil {
		return fmt.Errorf("webhooks: take the outbox's lock: %w", err)
	}
	return nil
}

func (ep *endpointRow) wants(ev Event) bool {
	if !slices.Contains(splitList(ep.Events), ev.Type) {
		return false
	}
	sites := splitList(ep.SiteIDs)
	if len(sites) == 0 {
		return true
	}
	for _, s := range ev.SiteIDs {
		if slices.Contains(sites, s) {
			return true
		}
	}
	return false
}

// Wants reports whether an enabled endpoint subscribes to any of types, so
// a job can skip work whose events nobody receives.
func (o *Outbox) Wants(ctx context.Context, idb bun.IDB, types ...string) (bool, error) {
	if o == nil {
		return false, nil
	}
	var eps []endpointRow
	if err := idb.NewSelect().Model(&eps).Column("events").Where("enabled = ?", true).Scan(ctx); err != nil {
		return false, fmt.Errorf("webhooks: endpoints: %w", err)
	}
	for _, ep := range eps {
		for _, t := range types {
			if slices.Contains(splitList(ep.Events), t) {
				return true, nil
			}
		}
	}
	return false, nil
}
