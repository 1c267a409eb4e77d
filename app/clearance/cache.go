package clearance

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// Decided is a person's decisions on one day, as the cache keeps them:
// packed (curriculum.Packed, about a tenth of the memory), without the
// evidence they were made from, so that a large organisation's people all
// fit.
type Decided struct {
	PersonID string
	AsOf     curriculum.Date
	// KnownAt is the instant whose knowledge the decisions use (zero:
	// everything on file; only those are cached).
	KnownAt time.Time
	// Enrollment is the one in force on AsOf (its Version attached).
	Enrollment *assessments.Enrollment
	Rules      *curriculum.Rules
	packed     curriculum.Packed
	marks      []assessments.Mark
	// lazyMarks, when set, makes marks on first use (a decision made from
	// a snapshot: most questions never look at them).
	lazyMarks func() []assessments.Mark
	marksOnce sync.Once
}

// newDecided keeps r's decisions with e, the enrollment as the person's
// snapshot keeps it, or when nil a copy of r's as kept for long
// (nameTable.keep): r's points into its whole batch's records.
func (s *Service) newDecided(r *Result, e *assessments.Enrollment) *Decided {
	if e == nil {
		k := s.names.keep(*r.Enrollment)
		e = &k
	}
	return &Decided{PersonID: r.PersonID, AsOf: r.AsOf, KnownAt: r.KnownAt, Enrollment: e, Rules: r.Rules, packed: r.Rules.Pack(r.Decisions), marks: r.Marks}
}

// Marks returns the standing of every competency of the program on AsOf,
// in program order (assessments.Marks), made from the same evidence as
// the decisions: a cohort grid reads them instead of every apprentice's
// records. Six bytes a competency; the slice is shared, not to be
// changed.
func (d *Decided) Marks() []assessments.Mark {
	if d.lazyMarks != nil {
		d.marksOnce.Do(func() { d.marks = d.lazyMarks() })
	}
	return d.marks
}

// Decisions returns the decision for every task of the program, in task
// order.
func (d *Decided) Decisions() ([]curriculum.Decision, error) {
	ds, err := d.Rules.Unpack(d.packed)
	if err != nil {
		return nil, fmt.Errorf("decisions of %s on %s: %w", d.PersonID, d.AsOf, err)
	}
	return ds, nil
}

// Decision returns the decision for a task code (false: the program has
// no such task).
func (d *Decided) Decision(task string) (curriculum.Decision, bool, error) {
	dec, ok, err := d.Rules.UnpackTask(d.packed, task)
	if err != nil {
		return dec, false, fmt.Errorf("decision of %s on %s for %s: %w", d.PersonID, d.AsOf, task, err)
	}
	return dec, ok, nil
}

// Task returns the task definition for a code, or nil.
func (d *Decided) Task(code string) *curriculum.Task { return d.Rules.Version().Program.Task(code) }

// DefaultCacheSize is how many person-days of decisions of the current
// days (today by the organisation's clock, and the day either side of it)
// a process keeps at least: about 1.2 kB each for a program of 25 tasks
// (packed), so 50 MB; two days of a 20,000-MA organisation, so that the
// day's first asks after midnight do not push out the ones still asked
// about yesterday. Beyond it only today's decisions are added, one a
// person, so a larger organisation's whole day is kept (decisionCache).
const DefaultCacheSize = 40000

// DefaultOtherDaysCacheSize is how many person-days of decisions of other
// days (past days, mostly: auditors, the as_of of reports) a process
// keeps, apart from the current days' so that they never push those out:
// about 6 MB. Few are worth keeping: only decisions read from the
// database are filed (an evidence snapshot decides another day again in
// microseconds), and a past day is seldom asked about twice.
const DefaultOtherDaysCacheSize = 5000

// Decide returns p's decisions on asOf (ErrNotEnrolled without an
// enrollment in force). p must have been read in the current request: its
// DecisionStamp, which database triggers change on every write that can
// change a decision, was read in that same statement, and decisions cached
// under an equal stamp are served without reading anything else. So a
// write committed on any instance before p was read is always seen, and
// the check costs no extra round trip when nothing changed.
func (s *Service) Decide(ctx context.Context, p *accounts.Person, asOf curriculum.Date) (*Decided, error) {
	if e, ok := s.cache.get(cacheKey{p.ID, asOf}); ok && e.stamp == p.DecisionStamp {
		if e.decided == nil {
			return nil, ErrNotEnrolled
		}
		return e.decided, nil
	}
	// Loaded after the stamp was read, so the records are at least as new
	// as the stamp the result is filed under (never older).
	res := map[string]*Decided{}
	if err := s.decideMissing(ctx, map[string]int64{p.ID: p.DecisionStamp}, []string{p.ID}, asOf, true, res); err != nil {
		return nil, err
	}
	d := res[p.ID]
	if d == nil {
		return nil, ErrNotEnrolled
	}
	return d, nil
}

// DecideKnownAt is Decide answering as Skillgate would have answered at
// knownAt (see ForPeopleKnownAt). Such answers are neither served from
// nor kept in the cache, which holds answers with everything on file: a
// cached answer of now must never answer a question about an earlier
// instant. Zero knownAt is Decide.
func (s *Service) DecideKnownAt(ctx context.Context, p *accounts.Person, asOf curriculum.Date, knownAt time.Time) (*Decided, error) {
	if knownAt.IsZero() {
		return s.Decide(ctx, p, asOf)
	}
	res, err := s.decide(ctx, []string{p.ID}, asOf, knownAt)
	if err != nil {
		return nil, err
	}
	d := res[p.ID]
	if d == nil {
		return nil, ErrNotEnrolled
	}
	return d, nil
}

// DecideManyKnownAt is DecideMany (fill) or DecideManyReadOnly answering
// as of knownAt, bypassing the cache as DecideKnownAt does (zero knownAt:
// through the cache).
func (s *Service) DecideManyKnownAt(ctx context.Context, personIDs []string, asOf curriculum.Date, knownAt time.Time, fill bool) (map[string]*Decided, error) {
	if knownAt.IsZero() {
		return s.decideMany(ctx, personIDs, asOf, fill)
	}
	return s.decide(ctx, personIDs, asOf, knownAt)
}

// DecideMany is Decide for several people (a site's matrix): it reads
// their decision stamps in one query, serves those whose cached decisions
// carry the same stamp, and decides the rest together (a fixed number of
// queries). People not enrolled on asOf are absent from the map.
func (s *Service) DecideMany(ctx context.Context, personIDs []string, asOf curriculum.Date) (map[string]*Decided, error) {
	return s.decideMany(ctx, personIDs, asOf, true)
}

// DecideManyReadOnly is DecideMany for exports: it serves what the cache
// has but does not add what it decides, so a sweep over the whole
// organisation, or over a past day, does not push out the decisions the
// API and the pages keep asking for.
func (s *Service) DecideManyReadOnly(ctx context.Context, personIDs []string, asOf curriculum.Date) (map[string]*Decided, error) {
	return s.decideMany(ctx, personIDs, asOf, false)
}

func (s *Service) decideMany(ctx context.Context, personIDs []string, asOf curriculum.Date, fill bool) (map[string]*Decided, error) {
	out := make(map[string]*Decided, len(personIDs))
	if len(personIDs) == 0 {
		return out, nil
	}
	stamps, err := s.Evidence.Store.DecisionStamps(ctx, personIDs)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, id := range personIDs {
		if e, ok := s.cache.get(cacheKey{id, asOf}); ok && e.stamp == stamps[id] {
			if e.decided != nil {
				out[id] = e.decided
			}
			continue
		}
		missing = append(missing, id)
	}
	if err := s.decideMissing(ctx, stamps, missing, asOf, fill, out); err != nil {
		return nil, err
	}
	return out, nil
}

// decideMissing decides people not found in the cache into out (enrolled
// ones only), sharing the work with other callers deciding the same
// people at the same time (inflight.go): it decides those nobody else is
// deciding, registered as in flight when it fills the cache (fill), then
// waits for the others' batches.
func (s *Service) decideMissing(ctx context.Context, stamps map[string]int64, missing []string, asOf curriculum.Date, fill bool, out map[string]*Decided) error {
	if len(missing) == 0 {
		return nil
	}
	var f *flight
	if fill {
		f = &flight{done: make(chan struct{})}
	}
	own, others := s.claim(missing, asOf, stamps, f, out)
	if err := s.decideOwn(ctx, f, stamps, own, asOf, fill, out); err != nil {
		return err
	}
	retry, err := s.await(ctx, others, out)
	if err != nil {
		return err
	}
	return s.decideOwn(ctx, nil, stamps, retry, asOf, fill, out)
}

// decideOwn decides ids from snapshots or the database into out, files
// what it read in the cache (fill), and lands f (when set) for its
// waiters, also when it fails or panics.
func (s *Service) decideOwn(ctx context.Context, f *flight, stamps map[string]int64, ids []string, asOf curriculum.Date, fill bool, out map[string]*Decided) error {
	if len(ids) == 0 {
		return nil
	}
	landed := f == nil
	defer func() {
		if !landed {
			s.land(f, ids, asOf, stamps, nil, errAbandoned)
		}
	}()
	res, read, err := s.decideStamped(ctx, stamps, ids, asOf, fill)
	if err == nil && fill {
		today := s.today()
		// A current day's decisions are all kept, those made from
		// snapshots too: they have room, and the rankings of the whole
		// organisation ask for every one again. Of other days only those
		// read from the database (decideStamped).
		if isCurrent(asOf, today) {
			read = ids
		}
		for _, id := range read {
			s.cache.put(cacheKey{id, asOf}, cacheEntry{stamp: stamps[id], decided: res[id]}, today, s.cacheSizes())
		}
	}
	if !landed {
		s.land(f, ids, asOf, stamps, res, err)
		landed = true
	}
	if err != nil {
		return err
	}
	for id, d := range res {
		out[id] = d
	}
	return nil
}

// ForPeopleCaching is ForPeople that also files the decisions it makes in
// the cache, as DecideMany would: a job that decides for everyone anyway
// (reminders) leaves every person's decisions for the day ready for the
// API and the site matrices, and their evidence snapshots ready for
// questions about other days.
func (s *Service) ForPeopleCaching(ctx context.Context, personIDs []string, asOf curriculum.Date) (map[string]*Result, error) {
	stamps, err := s.Evidence.Store.DecisionStamps(ctx, personIDs)
	if err != nil {
		return nil, err
	}
	// Others deciding some of these people now wait for this run.
	f := &flight{done: make(chan struct{})}
	own, _ := s.claim(personIDs, asOf, stamps, f, map[string]*Decided{})
	landed := false
	defer func() {
		if !landed {
			s.land(f, own, asOf, stamps, nil, errAbandoned)
		}
	}()
	// Loaded after the stamps were read: filed under them, never newer.
	res, ro, evs, err := s.evaluateRoster(ctx, personIDs, asOf, time.Time{}, evidence.AllFields, true)
	if err != nil {
		s.land(f, own, asOf, stamps, nil, err)
		landed = true
		return nil, err
	}
	kept := s.fileSnapshots(ro, personIDs, stamps, res, evs)
	today := s.today()
	decided := make(map[string]*Decided, len(res))
	for _, id := range personIDs {
		var d *Decided
		if r, ok := res[id]; ok {
			d = s.newDecided(r, kept[id])
			decided[id] = d
		}
		s.cache.put(cacheKey{id, asOf}, cacheEntry{stamp: stamps[id], decided: d}, today, s.cacheSizes())
	}
	s.land(f, own, asOf, stamps, decided, nil)
	landed = true
	return res, nil
}

// decide decides for people enrolled on asOf (others are absent), as
// known at knownAt (zero: now), reading only the fields of their records
// that decisions depend on.
func (s *Service) decide(ctx context.Context, personIDs []string, asOf curriculum.Date, knownAt time.Time) (map[string]*Decided, error) {
	res, err := s.evaluate(ctx, personIDs, asOf, knownAt, evidence.DecisionFields, true)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*Decided, len(res))
	for id, r := range res {
		out[id] = s.newDecided(r, nil)
	}
	return out, nil
}

// today is the organisation's calendar day now: which days the cache
// counts as current.
func (s *Service) today() curriculum.Date { return Today(time.Now(), nil) }

func (s *Service) cacheSizes() cacheSizes {
	return cacheSizes{current: s.CacheSize, other: s.OtherDaysCacheSize}
}

type cacheKey struct {
	person string
	asOf   curriculum.Date
}

type cacheEntry struct {
	stamp   int64
	decided *Decided // nil: not enrolled
}

// decisionCache keeps decisions in two parts, so that questions about
// other days never push out the current days' decisions, which the API,
// the pages and the whole-organisation rankings keep asking for:
//
//   - current: the days within one of today (the organisation's clock;
//     a program in another zone may be a day apart), up to the configured
//     size. Beyond it only today's are added, as many as the organisation
//     has people (one entry each), up to maxTodayCache: a larger
//     organisation's whole day is kept. When full, entries of days other
//     than today go first; an arbitrary tenth of today's goes only at
//     maxTodayCache.
//   - other: every other day, small; an arbitrary tenth goes when full.
//
// Dropping an arbitrary tenth (Go's map order is random) is as good as
// LRU for uniform access and costs nothing per hit. What is kept, and
// under which stamp, follows the same rules in both parts.
type decisionCache struct {
	mu      sync.RWMutex
	current map[cacheKey]cacheEntry
	other   map[cacheKey]cacheEntry
	// today is the day current was last sorted for: when the clock's
	// day moves, days no longer current leave it (dropped, not moved:
	// each is a day of the whole organisation, not a few past days'),
	// and nToday counts its entries of today.
	today  curriculum.Date
	nToday int
}

// maxTodayCache bounds today's decisions whatever the organisation: about
// 240 MB, more than a process deciding that many people holds anyway.
const maxTodayCache = 200000

// cacheSizes are a Service's bounds (0: the default; negative: none).
type cacheSizes struct{ current, other int }

func (c *decisionCache) get(k cacheKey) (cacheEntry, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if e, ok := c.current[k]; ok {
		return e, true
	}
	e, ok := c.other[k]
	return e, ok
}

// isCurrent tells whether day is one of the current days when the
// clock's day is today.
func isCurrent(day, today curriculum.Date) bool {
	return !day.Before(today.AddDays(-1)) && !day.After(today.AddDays(1))
}

func (c *decisionCache) put(k cacheKey, e cacheEntry, today curriculum.Date, sizes cacheSizes) {
	if sizes.current < 0 {
		return // caching off
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current == nil {
		c.current, c.other = map[cacheKey]cacheEntry{}, map[cacheKey]cacheEntry{}
	}
	if today != c.today {
		c.today, c.nToday = today, 0
		for key := range c.current {
			switch {
			case !isCurrent(key.asOf, today):
				delete(c.current, key)
			case key.asOf == today:
				c.nToday++
			}
		}
	}
	if !isCurrent(k.asOf, today) {
		c.putOther(k, e, cmp.Or(sizes.other, DefaultOtherDaysCacheSize))
		return
	}
	// A slower request may come back with an older stamp than one already
	// stored; keep the newer.
	if old, ok := c.current[k]; ok {
		if old.stamp <= e.stamp {
			c.current[k] = e
		}
		return
	}
	size := cmp.Or(sizes.current, DefaultCacheSize)
	if len(c.current) >= size && len(c.current) > c.nToday {
		// Room from the other current days first.
		dropWhere(c.current, max(size/10, 1), func(key cacheKey) bool { return key.asOf != today })
	}
	if k.asOf != today {
		if len(c.current) >= size {
			return // today's fill it
		}
	} else if limit := max(size, maxTodayCache); c.nToday >= limit {
		c.nToday -= dropWhere(c.current, max(limit/10, 1), func(key cacheKey) bool { return key.asOf == today })
	}
	c.current[k] = e
	if k.asOf == today {
		c.nToday++
	}
}

// putOther files a decision of another day.
func (c *decisionCache) putOther(k cacheKey, e cacheEntry, size int) {
	if size < 0 {
		return
	}
	old, ok := c.other[k]
	if ok && old.stamp > e.stamp {
		return
	}
	if !ok && len(c.other) >= size {
		dropTenth(c.other, size)
	}
	c.other[k] = e
}

// dropWhere deletes up to n arbitrary entries whose key passes drop (Go's
// map order is random) and returns how many it deleted.
func dropWhere[K comparable, V any](m map[K]V, n int, drop func(K) bool) int {
	dropped := 0
	for k := range m {
		if dropped == n {
			break
		}
		if drop(k) {
			delete(m, k)
			dropped++
		}
	}
	return dropped
}

// dropTenth deletes an arbitrary tenth of size entries of a full map (Go's
// map order is random).
func dropTenth[K comparable, V any](m map[K]V, size int) {
	dropWhere(m, max(size/10, 1), func(K) bool { return true })
}
