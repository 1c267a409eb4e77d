package clearance

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// Evidence snapshots: a person's roster (enrollments with their status
// history, moves, hire date) and the evidence of the enrollments decided so
// far, packed (evpack.go), kept per process under the person's decision
// stamp. A question about a day whose decisions are not cached (a past
// day: auditors, the as_of of reports) is then decided from memory, with
// no query beyond the one that read the stamp, the same as a cached
// answer. Everything kept is independent of the day asked about, so one
// snapshot answers every day; the stamp changes on every write that can
// change a decision (the same rule as the decision cache), so a snapshot
// is never used after such a write on any instance. Answers as known at
// an earlier instant (known_at) do not use snapshots.

// DefaultSnapshotSize is how many people's snapshots a process keeps:
// about 1.5 kB each for an apprentice with a hundred records, so 75 MB at
// most, and a 20,000-MA organisation's all fit.
const DefaultSnapshotSize = 50000

// snapshot is one person's, as of stamp. It is never changed once filed
// (a new one replaces it).
type snapshot struct {
	stamp int64
	// ens are the person's enrollments, oldest first, and moves the moves
	// from any of them: what pick chooses from. Each is kept without what
	// deciding never reads (keep), and an enrollment with evidence in
	// packed is the one its records carried (Version attached, the hire
	// date in force, Began): packed points at it rather than at a second
	// copy.
	ens   []assessments.Enrollment
	moves []evidence.Move
	hire  curriculum.Date
	// hasHire: HR recorded a hire date (else the enrollment's counts).
	hasHire bool
	packed  []packedEnrollment
}

// packedEnrollment is an enrollment as its records carry it (an element
// of the snapshot's ens) and its evidence, packed.
type packedEnrollment struct {
	enrollment *assessments.Enrollment
	ev         []byte
}

// attach files the packed evidence ev of e (as its records carry it) in
// sn, which must not be shared yet: e replaces sn's copy of the same
// enrollment, so a snapshot and the decisions made from it hold one. It
// returns the enrollment kept.
func (sn *snapshot) attach(e *assessments.Enrollment, ev []byte, names *nameTable) *assessments.Enrollment {
	for i := range sn.ens {
		if sn.ens[i].ID == e.ID {
			k := names.keep(*e)
			k.ApprenticeID = sn.ens[i].ApprenticeID // the person's id, shared
			sn.ens[i] = k
			sn.packed = append(sn.packed, packedEnrollment{enrollment: &sn.ens[i], ev: ev})
			return &sn.ens[i]
		}
	}
	// Not in the roster read under the same stamp: cannot happen (the
	// enrollment decided is chosen from it), but a copy is still right.
	k := names.keep(*e)
	sn.packed = append(sn.packed, packedEnrollment{enrollment: &k, ev: ev})
	return &k
}

// inForce is roster.inForce for the snapshot's person.
func (sn *snapshot) inForce(person string, asOf curriculum.Date) (assessments.Enrollment, bool) {
	e, ok := pick(sn.ens, sn.moves, asOf)[person]
	if ok && sn.hasHire {
		e.HireDate = sn.hire
	}
	return e, ok
}

func (sn *snapshot) evidenceOf(enrollmentID string) *packedEnrollment {
	for i := range sn.packed {
		if sn.packed[i].enrollment.ID == enrollmentID {
			return &sn.packed[i]
		}
	}
	return nil
}

// snapshotsOf splits a roster by person (every person asked about gets
// one, with no enrollments when they have none) under their stamps, each
// enrollment kept as names.keep keeps it.
func snapshotsOf(ro *roster, personIDs []string, stamps map[string]int64, names *nameTable) map[string]*snapshot {
	out := make(map[string]*snapshot, len(personIDs))
	// The enrollments name their person with the id asked about, which
	// the caches' keys hold anyway, rather than each with its own copy.
	key := make(map[string]string, len(personIDs))
	for _, id := range personIDs {
		sn := &snapshot{stamp: stamps[id]}
		sn.hire, sn.hasHire = ro.hires[id]
		out[id], key[id] = sn, id
	}
	owner := make(map[string]*snapshot, len(ro.ens))
	for _, e := range ro.ens {
		if sn := out[e.ApprenticeID]; sn != nil {
			k := names.keep(e)
			k.ApprenticeID = key[e.ApprenticeID]
			sn.ens = append(sn.ens, k)
			owner[e.ID] = sn
		}
	}
	for _, sn := range out {
		// Kept for as long as the stamp stands: at their exact length.
		sn.ens = slices.Clip(sn.ens)
	}
	for _, m := range ro.moves {
		if sn := owner[m.From]; sn != nil {
			sn.moves = append(sn.moves, m)
		}
	}
	return out
}

// fromSnapshot decides p's day from a snapshot: false when the enrollment
// in force that day has no evidence in it yet (a nil Decided with true:
// not enrolled that day).
func (s *Service) fromSnapshot(sn *snapshot, person string, asOf curriculum.Date) (*Decided, bool, error) {
	e, ok := sn.inForce(person, asOf)
	if !ok {
		return nil, true, nil
	}
	pe := sn.evidenceOf(e.ID)
	if pe == nil {
		return nil, false, nil
	}
	ev, err := unpackEvidence(pe.ev, person, &s.codes)
	if err != nil {
		return nil, false, err
	}
	pv := pe.enrollment.Version
	// The marks unpack the evidence again when asked for (a cohort grid):
	// a Decided kept in the cache holds the packed bytes the snapshot
	// shares, not the evidence unpacked, ten times their size.
	packed := pe.ev
	marks := func() []assessments.Mark {
		ev, err := unpackEvidence(packed, person, &s.codes)
		if err != nil { // they unpacked above, and neither changes
			panic(fmt.Sprintf("evidence of %s unpacked once, not again: %v", person, err))
		}
		return assessments.Marks(pv, ev, asOf)
	}
	return &Decided{PersonID: person, AsOf: asOf, Enrollment: pe.enrollment, Rules: pv.Rules,
		packed: pv.Rules.Pack(pv.Rules.Evaluate(ev, asOf)), lazyMarks: marks}, true, nil
}

// decideStamped decides for people on asOf with everything on file, whose
// decision stamps were read before (stamps): from their snapshots where
// they carry the same stamp, else from the database (a fixed number of
// queries for all of them), then filing what it read as their snapshots
// when file is set. People not enrolled on asOf are absent. read lists
// the people decided from the database: only their decisions are worth
// filing in the decision cache (a snapshot decides again in microseconds,
// and a sweep over past days must not push out today's decisions).
func (s *Service) decideStamped(ctx context.Context, stamps map[string]int64, personIDs []string, asOf curriculum.Date, file bool) (out map[string]*Decided, read []string, err error) {
	out = make(map[string]*Decided, len(personIDs))
	var missing []string
	for _, id := range personIDs {
		if sn, ok := s.snaps.get(id); ok && sn.stamp == stamps[id] {
			d, ok, err := s.fromSnapshot(sn, id, asOf)
			if err != nil {
				return nil, nil, err
			}
			if ok {
				if d != nil {
					out[id] = d
				}
				continue
			}
		}
		missing = append(missing, id)
	}
	if len(missing) == 0 {
		return out, nil, nil
	}
	// Read after the stamps: filed under them, never newer.
	res, ro, evs, err := s.evaluateRoster(ctx, missing, asOf, time.Time{}, evidence.DecisionFields, true)
	if err != nil {
		return nil, nil, err
	}
	var kept map[string]*assessments.Enrollment
	if file {
		kept = s.fileSnapshots(ro, missing, stamps, res, evs)
	}
	for id, r := range res {
		out[id] = s.newDecided(r, kept[id])
	}
	return out, missing, nil
}

// fileSnapshots files the snapshots of people just decided from the
// database: their roster and the evidence of the enrollment decided. It
// returns, by person, the enrollment decided as the snapshot keeps it, for
// the decisions to share.
func (s *Service) fileSnapshots(ro *roster, personIDs []string, stamps map[string]int64, res map[string]*Result, evs map[string]*curriculum.Evidence) map[string]*assessments.Enrollment {
	if s.SnapshotSize < 0 {
		return nil
	}
	kept := make(map[string]*assessments.Enrollment, len(res))
	for id, sn := range snapshotsOf(ro, personIDs, stamps, &s.names) {
		if r, ok := res[id]; ok && evs[id] != nil {
			kept[id] = sn.attach(r.Enrollment, packEvidence(evs[id], &s.codes), &s.names)
		}
		s.snaps.put(id, sn, s.SnapshotSize, &s.names)
	}
	return kept
}

// snapshotCache is a bounded map of snapshots by person, dropping an
// arbitrary tenth when full (as decisionCache).
type snapshotCache struct {
	mu sync.RWMutex
	m  map[string]*snapshot
}

func (c *snapshotCache) get(person string) (*snapshot, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	sn, ok := c.m[person]
	return sn, ok
}

// put files sn, keeping a newer stamp already filed; under the same
// stamp, the evidence of enrollments filed before is kept too.
func (c *snapshotCache) put(person string, sn *snapshot, size int, names *nameTable) {
	if size == 0 {
		size = DefaultSnapshotSize
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*snapshot{}
	}
	old, ok := c.m[person]
	switch {
	case ok && old.stamp > sn.stamp:
		return
	case ok && old.stamp == sn.stamp:
		for _, pe := range old.packed {
			if sn.evidenceOf(pe.enrollment.ID) == nil {
				sn.attach(pe.enrollment, pe.ev, names)
			}
		}
	case !ok && len(c.m) >= size:
		dropTenth(c.m, size)
	}
	c.m[person] = sn
}
