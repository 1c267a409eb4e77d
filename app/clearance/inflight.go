package clearance

import (
	"context"
	"errors"
	"sync"

	"github.com/skillgate/skillgate/curriculum"
)

// Decisions in flight: when two callers decide the same person for the
// same day under the same decision stamp at the same time (the start-up
// reminders and a director's first cohort view), the second waits for the
// first's batch instead of reading that person's evidence again. A batch
// is owned by the caller that started it and runs with its context; a
// waiter that gives up (its own context ends) leaves the batch running for
// the others, and a waiter whose batch failed (its owner cancelled, say)
// decides those people itself.

// errAbandoned: the owner of a batch stopped without an answer (a panic);
// its waiters decide for themselves.
var errAbandoned = errors.New("decisions in flight abandoned")

// flightKey is a person-day under one decision stamp: a waiter joins only
// a batch reading what it would read itself.
type flightKey struct {
	person string
	asOf   curriculum.Date
	stamp  int64
}

// flight is one owner's batch: done closes when res and err are set.
type flight struct {
	done chan struct{}
	res  map[string]*Decided // enrolled people only
	err  error
}

type inFlight struct {
	mu sync.Mutex
	m  map[flightKey]*flight
	// waiting, when set (tests), is called once a caller waits for
	// another's batch.
	waiting func()
}

// claim splits ids (decided on asOf under stamps) into those the caller
// decides itself, registered as in flight under f (own), and those
// another caller is already deciding (by their batch). Those cached
// meanwhile (a batch that finished since the caller looked) are put in
// cached.
func (s *Service) claim(ids []string, asOf curriculum.Date, stamps map[string]int64, f *flight, cached map[string]*Decided) (own []string, others map[*flight][]string) {
	s.flights.mu.Lock()
	defer s.flights.mu.Unlock()
	if s.flights.m == nil {
		s.flights.m = map[flightKey]*flight{}
	}
	for _, id := range ids {
		k := flightKey{id, asOf, stamps[id]}
		if o, ok := s.flights.m[k]; ok {
			if others == nil {
				others = map[*flight][]string{}
			}
			others[o] = append(others[o], id)
			continue
		}
		if e, ok := s.cache.get(cacheKey{id, asOf}); ok && e.stamp == stamps[id] {
			if e.decided != nil {
				cached[id] = e.decided
			}
			continue
		}
		if f != nil {
			s.flights.m[k] = f
		}
		own = append(own, id)
	}
	return own, others
}

// land publishes an owner's batch (after filing it in the cache) to its
// waiters.
func (s *Service) land(f *flight, ids []string, asOf curriculum.Date, stamps map[string]int64, res map[string]*Decided, err error) {
	s.flights.mu.Lock()
	for _, id := range ids {
		k := flightKey{id, asOf, stamps[id]}
		if s.flights.m[k] == f {
			delete(s.flights.m, k)
		}
	}
	s.flights.mu.Unlock()
	f.res, f.err = res, err
	close(f.done)
}

// await collects others' batches into out; people of a batch that failed
// are returned to be decided by the caller.
func (s *Service) await(ctx context.Context, others map[*flight][]string, out map[string]*Decided) (retry []string, err error) {
	if len(others) > 0 && s.flights.waiting != nil {
		s.flights.waiting()
	}
	for f, ids := range others {
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if f.err != nil {
			retry = append(retry, ids...)
			continue
		}
		for _, id := range ids {
			if d, ok := f.res[id]; ok {
				out[id] = d
			}
		}
	}
	return retry, nil
}
