package evidence

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/assessments"
)

// Skills-lab sessions: one preceptor observes several apprentices on one
// competency and records every result from one screen. Each attempt is its
// own observation (its own steps, the critical-step rule, its own
// idempotency key); the session is stored all or nothing, in one
// transaction: the preceptor sends one screen, so one answer fits it — if
// any entry is refused, nothing is recorded and the same screen comes back
// to fix that entry, rather than leaving them to work out which apprentices
// were saved.

// SessionEntry is one apprentice's attempt in a session.
type SessionEntry struct {
	Records *assessments.Records // the enrollment, as loaded by Enrollment or Load
	Request assessments.ObservationRequest
}

// SessionError holds the refusal of each refused entry, by index; nothing
// was recorded.
type SessionError struct {
	Entries map[int]error
}

func (e *SessionError) Error() string {
	for _, err := range e.Entries {
		return err.Error()
	}
	return "the session was not recorded"
}

// ObserveSession records the entries' observations by observer, all or
// nothing. A resubmitted session (the same keys) returns what the first
// submission recorded (replayed true). A refused entry makes it return a
// *SessionError and record nothing.
func (s *Service) ObserveSession(ctx context.Context, observer assessments.Actor, entries []SessionEntry) ([]assessments.Observation, bool, error) {
	out := make([]assessments.Observation, len(entries))
	refused := map[int]error{}
	// A resubmission: every entry was recorded together, so the first
	// one's key tells.
	if len(entries) > 0 {
		var existing observationRow
		found, err := s.replay(ctx, &existing, "observer_id", observer.ID, entries[0].Request.IdempotencyKey)
		if err != nil {
			return nil, false, err
		}
		if found {
			for i, en := range entries {
				o, _, err := s.Observe(ctx, en.Records.Enrollment, observer, en.Request)
				if err != nil {
					refused[i] = err
				}
				out[i] = o
			}
			if len(refused) > 0 {
				return nil, false, &SessionError{Entries: refused}
			}
			return out, true, nil
		}
	}
	ids := make([]string, len(entries))
	for i, en := range entries {
		ids[i] = en.Records.Enrollment.ID
	}
	moves, err := s.Store.Moves(ctx, ids)
	if err != nil {
		return nil, false, err
	}
	moved := map[string]bool{}
	for _, m := range moves {
		moved[m.From] = true
	}
	for i, en := range entries {
		if moved[en.Records.Enrollment.ID] {
			refused[i] = ErrMoved
			continue
		}
		o, err := assessments.NewObservation(en.Records.Enrollment, observer, en.Request, en.Records.Observations, s.Now())
		if err != nil {
			refused[i] = err
			continue
		}
		o.RequestHash = assessments.Fingerprint(assessments.OpObserve, en.Records.Enrollment.ID, en.Request)
		out[i] = *o
	}
	if len(refused) > 0 {
		return nil, false, &SessionError{Entries: refused}
	}
	err = s.Store.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		st := s.Store.WithTx(tx)
		for i := range out {
			o, _, err := st.AddObservation(ctx, out[i])
			if err != nil {
				return err
			}
			out[i] = o
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return out, false, nil
}
