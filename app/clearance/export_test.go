package clearance

import (
	"context"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// DecideFromFields exposes decide (decisions from DecisionFields records,
// bypassing the cache) to the external tests.
func DecideFromFields(s *Service, ctx context.Context, personIDs []string, asOf curriculum.Date) (map[string]*Decided, error) {
	return s.decide(ctx, personIDs, asOf, time.Time{})
}

// OnWaiting makes s call f whenever a caller starts waiting for another
// caller's decisions in flight.
func OnWaiting(s *Service, f func()) { s.flights.waiting = f }
