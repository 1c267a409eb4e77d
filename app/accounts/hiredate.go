package accounts

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// ActionHireDate is the audit action of a change to a person's hire date.
const ActionHireDate = "person.hire_date"

// ReasonImport is the reason recorded for a hire date set or changed by
// the HR import.
const ReasonImport = "import"

// ReasonCreated is the reason recorded for the hire date given when a
// person is added.
const ReasonCreated = "given when the person was added"

// HireDateChange is one entry of a person's hire-date history: the date
// it sets, who set it, when and why.
//
// Every change is a correction of a fact (the day the person was hired)
// and applies to every day, past ones included: the hire date in force on
// any day is the most recently recorded one. History keeps what was
// believed before, and who changed it.
type HireDateChange struct {
	bun.BaseModel `bun:"table:hire_date_changes"`
	ID            string    `bun:"id,pk"`
	PersonID      string    `bun:"user_id"`
	HireDate      string    `bun:"hire_date"`
	Reason        string    `bun:"reason"`
	ChangedBy     string    `bun:"changed_by"`
	ChangedAt     time.Time `bun:"changed_at"`
}

// SetHireDate records date (YYYY-MM-DD) as the person's hire date, with
// why, in one transaction with its audit entry; the actor of ctx is who
// changed it. A bad date or an empty reason is an errkind.BadFields error
// naming the field (hire_date, reason), and the date already in force an
// Invalid one; either changes nothing.
func (s *Store) SetHireDate(ctx context.Context, personID, date, reason string) error {
	date, reason = strings.TrimSpace(date), strings.TrimSpace(reason)
	fields := map[string]string{}
	if _, err := curriculum.ParseDate(date); err != nil {
		fields["hire_date"] = "Give the hire date as YYYY-MM-DD."
	}
	if reason == "" {
		fields["reason"] = "Say why the hire date changes (for example, the offer letter shows another day)."
	}
	if len(fields) > 0 {
		return errkind.BadFields(fields)
	}
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var was userRow
		if err := tx.NewSelect().Model(&was).Column("hire_date").Where("id = ?", personID).Scan(ctx); err != nil {
			return db.Translate(err)
		}
		if was.HireDate != nil && *was.HireDate == date {
			return errkind.WithFields(errkind.Invalid, "Nothing to change.", map[string]string{"hire_date": "This is already the person's hire date."})
		}
		// Grace periods count from the hire date.
		return s.Outbox.Changing(ctx, tx, []string{personID}, func(ctx context.Context) error {
			return s.writeHireDate(ctx, tx, personID, was.HireDate, date, reason)
		})
	})
}

// writeHireDate records a hire date change and its audit entry inside the
// caller's transaction, and keeps users.hire_date the value in force.
func (s *Store) writeHireDate(ctx context.Context, tx bun.IDB, personID string, was *string, date, reason string) error {
	now := s.now()
	if _, err := tx.NewInsert().Model(hireDateRow(ctx, personID, date, reason, now)).Exec(ctx); err != nil {
		return db.Translate(err)
	}
	if _, err := tx.NewUpdate().Model((*userRow)(nil)).Set("hire_date = ?", date).Set("updated_at = ?", now).
		Where("id = ?", personID).Exec(ctx); err != nil {
		return db.Translate(err)
	}
	before := map[string]any{"hire_date": was}
	return s.record(ctx, tx, ActionHireDate, "person", personID, before, map[string]any{"hire_date": date, "reason": reason})
}

// RecordImportedHireDates records, by person id, the hire dates the HR
// import gives people who exist with another (or none), with the reason
// "import", each with its audit entry, in one transaction (the caller's,
// through WithTx).
func (s *Store) RecordImportedHireDates(ctx context.Context, dates map[string]string) error {
	if len(dates) == 0 {
		return nil
	}
	ids := slices.Sorted(maps.Keys(dates))
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return s.Outbox.Changing(ctx, tx, ids, func(ctx context.Context) error {
			for _, id := range ids {
				var was userRow
				if err := tx.NewSelect().Model(&was).Column("hire_date").Where("id = ?", id).Scan(ctx); err != nil {
					return db.Translate(err)
				}
				if err := s.writeHireDate(ctx, tx, id, was.HireDate, dates[id], ReasonImport); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// hireDateRow is a change made now by the actor of ctx.
func hireDateRow(ctx context.Context, personID, date, reason string, at time.Time) *HireDateChange {
	by := audit.Unattributed
	if a, ok := audit.ActorFrom(ctx); ok {
		by = a.ID
	}
	return &HireDateChange{ID: NewID(), PersonID: personID, HireDate: date, Reason: reason, ChangedBy: by, ChangedAt: at.UTC()}
}

// HireDateHistory returns a person's hire-date changes, oldest first.
func (s *Store) HireDateHistory(ctx context.Context, personID string) ([]HireDateChange, error) {
	var out []HireDateChange
	err := s.DB.NewSelect().Model(&out).Where("user_id = ?", personID).OrderExpr("changed_at, id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("hire date history of %s: %w", personID, db.Translate(err))
	}
	return out, nil
}

// HireDates returns, by person id, the hire date in force for each of
// people who has one, in one query however many people: the clearance
// engine's credential grace periods count from it. As every change is a
// correction (see HireDateChange), the date in force on any day asked
// about is the most recently recorded one.
func HireDates(ctx context.Context, d bun.IDB, people []string) (map[string]curriculum.Date, error) {
	return HireDatesKnownAt(ctx, d, people, time.Time{})
}

// HireDatesKnownAt is HireDates as known at knownAt: changes recorded after
// it are ignored (zero: none are).
func HireDatesKnownAt(ctx context.Context, d bun.IDB, people []string, knownAt time.Time) (map[string]curriculum.Date, error) {
	out := map[string]curriculum.Date{}
	if len(people) == 0 {
		return out, nil
	}
	var rows []HireDateChange
	q := d.NewSelect().Model(&rows).Column("user_id", "hire_date").Where("user_id IN (?)", db.IDs(people))
	if !knownAt.IsZero() {
		q = q.Where("changed_at <= ?", knownAt.UTC())
	}
	if err := q.OrderExpr("changed_at, id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("hire dates: %w", db.Translate(err))
	}
	for _, r := range rows {
		h, err := curriculum.ParseDate(r.HireDate)
		if err != nil {
			return nil, fmt.Errorf("hire date of %s: %w", r.PersonID, err)
		}
		out[r.PersonID] = h
	}
	return out, nil
}
