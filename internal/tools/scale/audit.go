package scale

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/credentials"
)

// auditTrail writes the audit trail of the credential records as HR
// entered and verified them (one entry each, in time order, hash-chained
// as app/audit chains them), so that the audit trail's pages are measured
// on a trail of realistic length with names to resolve.
func (g *generator) auditTrail(ctx context.Context, recs []credentials.Record) error {
	type event struct {
		at  time.Time
		rec *credentials.Record
		vfy bool
	}
	events := make([]event, 0, 2*len(recs))
	for i := range recs {
		r := &recs[i]
		events = append(events, event{at: r.RecordedAt, rec: r})
		if r.VerifiedAt != nil {
			events = append(events, event{at: *r.VerifiedAt, rec: r, vfy: true})
		}
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].at.Before(events[j].at) })
	// After what the program's creation appended.
	head, err := audit.Head(ctx, g.l.Tx())
	if err != nil {
		return err
	}
	pos, prev := head.Seq, head.Hash
	seqs, err := audit.Reserve(ctx, g.l.Tx(), len(events))
	if err != nil {
		return err
	}
	batch := make([]audit.Record, 0, 5000)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := g.l.Insert(ctx, &batch)
		batch = batch[:0]
		return err
	}
	for i, ev := range events {
		pos++
		p := pos
		e := audit.Record{Seq: seqs[i], ChainSeq: &p, At: ev.at.UTC().Truncate(time.Microsecond), Actor: g.hrID, Via: "session",
			EntityType: "credential", EntityID: ev.rec.ID, PrevHash: prev}
		if ev.vfy {
			e.Action, e.Before = "credential.verify", `{"verified_at":null}`
			after, _ := json.Marshal(map[string]any{"verification_method": ev.rec.VerificationMethod, "verified_at": ev.rec.VerifiedAt.UTC(), "verified_by": ev.rec.VerifiedBy})
			e.After = string(after)
		} else {
			after, _ := json.Marshal(ev.rec)
			e.Action, e.After = "credential.create", string(after)
		}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		batch = append(batch, e)
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	g.res.AuditEntries = len(events)
	return flush()
}
