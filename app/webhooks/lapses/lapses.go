// Package lapses is the daily job behind the webhook events that time
// alone causes: clearance.lapsing (LeadDays before a clearance's computed
// lapse day), clearance.lapsed (on that day: a BLS card valid through the
// month lapses clearances on the 1st with nothing recorded),
// credential.expiring (LeadDays before a card's last valid day) and
// credential.expired (the day after it).
//
// It is stateless: each run decides every apprentice as of yesterday and
// today (lapsed: a decision of yesterday whose LapsesOn is today, and
// today's level is lower) and reads the credentials whose last day is
// today+LeadDays or yesterday. Each event carries a key (type, person,
// task or credential, day), so running again, later the same day or on
// several instances at once, emits nothing twice; a day the job did not
// run is not caught up (the events are about that day).
package lapses

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/webhooks"
	"github.com/skillgate/skillgate/curriculum"
)

// DefaultLeadDays is how many days ahead lapsing and expiring are told.
const DefaultLeadDays = 14

// pageSize is how many apprentices are decided at once.
const pageSize = 500

// Job emits the lapse and expiry events of one day.
type Job struct {
	DB          bun.IDB
	Accounts    *accounts.Store
	Clearance   *clearance.Service
	Credentials *credentials.Store
	Outbox      *webhooks.Outbox
	// Now is the clock; Location the organisation's zone, in which days
	// are counted.
	Now      func() time.Time
	Location *time.Location
	// LeadDays is N of "lapsing in N days" (DefaultLeadDays when 0).
	LeadDays int
}

func (j *Job) lead() int {
	if j.LeadDays <= 0 {
		return DefaultLeadDays
	}
	return j.LeadDays
}

// Run emits today's events and returns how many it tried to emit (those
// already emitted today are skipped by their key).
func (j *Job) Run(ctx context.Context) (int, error) {
	want, err := j.Outbox.Wants(ctx, j.DB, webhooks.ClearanceLapsing, webhooks.ClearanceLapsed, webhooks.CredentialExpiring, webhooks.CredentialExpired)
	if err != nil || !want {
		return 0, err
	}
	today := curriculum.DateOf(j.Now(), j.Location)
	n, err := j.credentialEvents(ctx, today)
	if err != nil {
		return n, err
	}
	for off := 0; ; off += pageSize {
		people, _, err := j.Accounts.List(ctx, accounts.ListFilter{Role: accounts.RoleApprentice, Limit: pageSize, Offset: off})
		if err != nil {
			return n, err
		}
		m, err := j.clearanceEvents(ctx, today, people)
		n += m
		if err != nil || len(people) < pageSize {
			return n, err
		}
	}
}

// RunDaily runs the job once a day (on the first check after midnight in
// the organisation's zone, and at start), checking every interval, until
// ctx ends; a failed run is tried again at the next check.
func (j *Job) RunDaily(ctx context.Context, interval time.Duration, log *slog.Logger) {
	var done curriculum.Date
	for {
		if today := curriculum.DateOf(j.Now(), j.Location); today != done {
			if n, err := j.Run(ctx); err != nil {
				if ctx.Err() == nil {
					log.Warn("webhooks: lapse and expiry events", "error", err)
				}
			} else {
				done = today
				log.Debug("webhooks: lapse and expiry events", "day", today, "events", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

func (j *Job) emit(ctx context.Context, ev webhooks.Event) error {
	return j.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return j.Outbox.Emit(ctx, tx, ev)
	})
}

func (j *Job) clearanceEvents(ctx context.Context, today curriculum.Date, people []*accounts.Person) (int, error) {
	ids := make([]string, len(people))
	sites := map[string][]string{}
	for i, p := range people {
		ids[i], sites[p.ID] = p.ID, p.SiteIDs
	}
	now, err := j.Clearance.ForPeople(ctx, ids, today)
	if err != nil {
		return 0, err
	}
	before, err := j.Clearance.ForPeople(ctx, ids, today.AddDays(-1))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		res := now[id]
		if res == nil {
			continue
		}
		site := res.Enrollment.SiteID
		for _, d := range res.Decisions {
			if d.LapsesOn.IsZero() || d.LapsesOn != today.AddDays(j.lead()) {
				continue
			}
			n++
			if err := j.emit(ctx, webhooks.Event{Type: webhooks.ClearanceLapsing, SiteIDs: []string{site},
				DedupeKey: fmt.Sprintf("%s:%s:%s:%s", webhooks.ClearanceLapsing, id, d.Task, d.LapsesOn),
				Data:      data(id, site, d, d, today)}); err != nil {
				return n, err
			}
		}
		was := before[id]
		if was == nil || was.Enrollment.ID != res.Enrollment.ID {
			continue
		}
		for _, old := range was.Decisions {
			d, ok := res.Decision(old.Task)
			if old.LapsesOn != today || !ok || d.Status >= old.Status {
				continue
			}
			n++
			if err := j.emit(ctx, webhooks.Event{Type: webhooks.ClearanceLapsed, SiteIDs: []string{site},
				DedupeKey: fmt.Sprintf("%s:%s:%s:%s", webhooks.ClearanceLapsed, id, d.Task, today),
				Data:      data(id, site, old, d, today)}); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// data is a clearance event's data: the level of before and of after (as
// of today), with today's reasons and before's lapse day.
func data(person, site string, before, after curriculum.Decision, today curriculum.Date) webhooks.ClearanceData {
	out := clearance.EventData(person, site, after, today)
	out.Before, out.LapsesOn = before.Status.String(), before.LapsesOn.String()
	return out
}

// credentialEvents tells of the cards whose last valid day is LeadDays
// ahead (expiring) or was yesterday (expired), unless the person has a
// record of the same type valid for longer (renewed already).
func (j *Job) credentialEvents(ctx context.Context, today curriculum.Date) (int, error) {
	n := 0
	for _, c := range []struct {
		typ string
		day curriculum.Date
	}{{webhooks.CredentialExpiring, today.AddDays(j.lead())}, {webhooks.CredentialExpired, today.AddDays(-1)}} {
		recs, err := j.Credentials.ExpiringBetween(ctx, c.day, c.day)
		if err != nil {
			return n, err
		}
		for _, r := range recs {
			renewed, err := j.renewed(ctx, r)
			if err != nil {
				return n, err
			}
			if renewed {
				continue
			}
			sites, err := accounts.SiteIDsOf(ctx, j.DB, r.PersonID)
			if err != nil {
				return n, err
			}
			n++
			if err := j.emit(ctx, webhooks.Event{Type: c.typ, SiteIDs: sites, DedupeKey: fmt.Sprintf("%s:%s:%s", c.typ, r.ID, c.day),
				Data: webhooks.CredentialData{CredentialID: r.ID, PersonID: r.PersonID, Type: r.TypeCode, ExpiresOn: r.ExpiresOn.String(),
					VerifiedAt: r.VerifiedAt, VerifiedBy: r.VerifiedBy}}); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (j *Job) renewed(ctx context.Context, r credentials.Record) (bool, error) {
	all, err := j.Credentials.ForPerson(ctx, r.PersonID)
	if err != nil {
		return false, err
	}
	for _, o := range all {
		if o.ID != r.ID && o.TypeCode == r.TypeCode && o.ExpiresOn.After(r.ExpiresOn) {
			return true, nil
		}
	}
	return false, nil
}
