package reminders

import (
	"context"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/curriculum"
)

type calendarRow struct {
	bun.BaseModel `bun:"table:calendar_tokens"`
	ID            string     `bun:"id,pk"`
	PersonID      string     `bun:"person_id"`
	TokenHash     string     `bun:"token_hash"`
	CreatedAt     time.Time  `bun:"created_at"`
	RevokedAt     *time.Time `bun:"revoked_at"`
}

// NewCalendarToken gives a person a new private feed token, revoking the
// previous one (a leaked link stops working when a new one is made).
func (s *Service) NewCalendarToken(ctx context.Context, personID string) (string, error) {
	secret := accounts.NewSecret()
	now := s.Now().UTC()
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*calendarRow)(nil)).Set("revoked_at = ?", now).
			Where("person_id = ? AND revoked_at IS NULL", personID).Exec(ctx)
		if err != nil {
			return err
		}
		revoked, _ := res.RowsAffected()
		row := &calendarRow{ID: uuid.Must(uuid.NewV7()).String(), PersonID: personID, TokenHash: accounts.HashSecret(secret), CreatedAt: now}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
		// The entry names the feed by its row id, never the link's secret.
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionCalendarCreate, EntityType: "calendar_token", EntityID: row.ID,
			After: map[string]any{"person_id": personID, "earlier_links_revoked": revoked}})
	})
	return secret, db.Translate(err)
}

// RevokeCalendar stops a person's feed link.
func (s *Service) RevokeCalendar(ctx context.Context, personID string) error {
	now := s.Now().UTC()
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var ids []string
		if err := tx.NewSelect().Model((*calendarRow)(nil)).Column("id").Where("person_id = ? AND revoked_at IS NULL", personID).Scan(ctx, &ids); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if _, err := tx.NewUpdate().Model((*calendarRow)(nil)).Set("revoked_at = ?", now).
			Where("id IN (?)", bun.List(ids)).Exec(ctx); err != nil {
			return err
		}
		es := make([]audit.Entry, len(ids))
		for i, id := range ids {
			es[i] = audit.Entry{Action: ActionCalendarRevoke, EntityType: "calendar_token", EntityID: id,
				Before: map[string]any{"revoked_at": nil}, After: map[string]any{"person_id": personID, "revoked_at": now}}
		}
		return s.Audit.AppendAll(ctx, tx, es)
	})
	return db.Translate(err)
}

// Audit actions recorded by this package. Notifications the reminder job
// sends, and marking them read, are not changes to records and are not
// audited.
const (
	ActionCalendarCreate = "calendar_token.create"
	ActionCalendarRevoke = "calendar_token.revoke"
)

// HasCalendar reports whether the person has a live feed link.
func (s *Service) HasCalendar(ctx context.Context, personID string) (bool, error) {
	n, err := s.DB.NewSelect().Model((*calendarRow)(nil)).Where("person_id = ? AND revoked_at IS NULL", personID).Count(ctx)
	return n > 0, db.Translate(err)
}

// Calendar returns the iCalendar feed for a token: one all-day event per
// credential expiry, re-verification and periodic evaluation due date. An unknown or revoked
// token is db.ErrNotFound.
func (s *Service) Calendar(ctx context.Context, token string) ([]byte, error) {
	var row calendarRow
	if err := s.DB.NewSelect().Model(&row).Where("token_hash = ? AND revoked_at IS NULL", accounts.HashSecret(token)).Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	today := curriculum.DateOf(s.Now(), s.Location)
	res, err := s.Clearance.ForPeople(ctx, []string{row.PersonID}, today)
	if err != nil {
		return nil, err
	}
	cal := ics.NewCalendar()
	cal.SetMethod(ics.MethodPublish)
	cal.SetProductId("-//Skillgate//Due dates//EN")
	cal.SetName("Skillgate due dates")
	stamp := s.Now().UTC()
	due, err := s.due(ctx, res, today)
	if err != nil {
		return nil, err
	}
	for _, d := range due {
		ev := cal.AddEvent(d.Subject + "/" + d.On.String() + "@" + row.PersonID + ".skillgate")
		ev.SetDtStampTime(stamp)
		start := d.On.Time(time.UTC)
		ev.SetAllDayStartAt(start)
		ev.SetAllDayEndAt(start.AddDate(0, 0, 1))
		ev.SetSummary(d.What + " due")
	}
	return []byte(cal.Serialize()), nil
}
