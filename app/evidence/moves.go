package evidence

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"

	"github.com/skillgate/skillgate/errkind"
)

// Moving to a newer version. Enrollments never change: a move ends the old
// enrollment on the effective day and starts a new one in the new version.
// The new enrollment's evidence includes every record of its predecessors
// whose competency (and variant) the new version still has; the rest "no
// longer counts" and is listed for the director before the move.

// Errors of a move.
var (
	// ErrMoved: the enrollment was moved meanwhile; nothing more is recorded against it.
	ErrMoved = errkind.New(errkind.Conflict, "This enrollment was moved to a newer program version; record against the new enrollment.")
	// ErrNotNewer: the chosen version is not a newer published version of the program.
	ErrNotNewer = errkind.New(errkind.Invalid, "Choose a newer published version of the same program.")
	// ErrMoveBeforeHire: the chosen date is before the current enrollment started.
	ErrMoveBeforeHire = errkind.New(errkind.Invalid, "The move cannot take effect before the current enrollment started.")
)

type moveRow struct {
	bun.BaseModel    `bun:"table:enrollment_moves"`
	ID               string          `bun:"id,pk"`
	FromEnrollmentID string          `bun:"from_enrollment_id"`
	ToEnrollmentID   string          `bun:"to_enrollment_id"`
	EffectiveOn      curriculum.Date `bun:"effective_on"`
	MovedBy          string          `bun:"moved_by"`
	MovedAt          time.Time       `bun:"moved_at"`
	IdempotencyKey   string          `bun:"idempotency_key"`
	RequestHash      string          `bun:"request_hash,nullzero"`
}

// Move is one recorded move.
type Move struct {
	From, To    string
	EffectiveOn curriculum.Date
	// MovedAt is when the move was recorded.
	MovedAt time.Time
}

// Moves returns the moves from or to any of the enrollments.
func (s *Store) Moves(ctx context.Context, enrollmentIDs []string) ([]Move, error) {
	if len(enrollmentIDs) == 0 {
		return nil, nil
	}
	var rows []moveRow
	in := bun.List(enrollmentIDs)
	if err := s.DB.NewSelect().Model(&rows).Where("from_enrollment_id IN (?) OR to_enrollment_id IN (?)", in, in).Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	out := make([]Move, len(rows))
	for i, r := range rows {
		out[i] = Move{From: r.FromEnrollmentID, To: r.ToEnrollmentID, EffectiveOn: r.EffectiveOn, MovedAt: r.MovedAt.UTC()}
	}
	return out, nil
}

// HoldUnmoved keeps the enrollment from being moved until tx ends and
// returns ErrMoved if it was moved already. A write numbered across the
// apprenticeship (an evaluation: the enrollment moved to continues the
// numbers) must not land on an enrollment moved from meanwhile, which the
// check made when the enrollment was loaded cannot see. On PostgreSQL a
// move of the enrollment takes the same transaction-scoped lock
// (applyMove), so the two come one after the other and the check reads
// the move if it came first; on SQLite the single writer keeps every
// transaction apart already.
func (s *Store) HoldUnmoved(ctx context.Context, tx bun.IDB, enrollmentID string) error {
	if err := lockAgainstMove(ctx, tx, enrollmentID); err != nil {
		return err
	}
	return s.WithTx(tx).notMoved(ctx, enrollmentID)
}

// notMoved returns ErrMoved if the enrollment was moved to a newer version.
func (s *Store) notMoved(ctx context.Context, enrollmentID string) error {
	moves, err := s.Moves(ctx, []string{enrollmentID})
	if err != nil {
		return err
	}
	for _, m := range moves {
		if m.From == enrollmentID {
			return ErrMoved
		}
	}
	return nil
}

// lockAgainstMove takes, on PostgreSQL, the lock that serialises a move of
// the enrollment with writes that hold it unmoved (a hash of its id: two
// enrollments that share one only wait for each other).
func lockAgainstMove(ctx context.Context, tx bun.IDB, enrollmentID string) error {
	if tx.Dialect().Name() != dialect.PG {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", "enrollment-move:"+enrollmentID); err != nil {
		return fmt.Errorf("hold enrollment %s against a move: %w", enrollmentID, db.Translate(err))
	}
	return nil
}

// Chains follows the enrollments back through their moves: an
// apprenticeship continues across a move to a newer program version, so
// what belongs to it (wage steps, evaluations) is read from every
// enrollment of the chain. prev[id] lists the enrollments id was moved
// from, nearest first (the last is where the apprenticeship began; absent
// when none); onward[id] is the move that superseded id, for each of the
// enrollments asked about that was moved on. One query per level of
// moves (chains are short).
func (s *Store) Chains(ctx context.Context, ids []string) (prev map[string][]string, onward map[string]Move, err error) {
	prev, onward = map[string][]string{}, map[string]Move{}
	from := map[string]string{} // to -> from
	asked := map[string]bool{}
	for _, id := range ids {
		asked[id] = true
	}
	seen := map[string]bool{}
	for depth, frontier := 0, ids; len(frontier) > 0 && depth < 20; depth++ {
		moves, err := s.Moves(ctx, frontier)
		if err != nil {
			return nil, nil, fmt.Errorf("enrollment moves: %w", err)
		}
		in := map[string]bool{}
		for _, id := range frontier {
			in[id], seen[id] = true, true
		}
		frontier = nil
		for _, m := range moves {
			if depth == 0 && asked[m.From] {
				onward[m.From] = m
			}
			if !in[m.To] {
				continue
			}
			from[m.To] = m.From
			if !seen[m.From] { // its own moves are not read yet
				seen[m.From], frontier = true, append(frontier, m.From)
			}
		}
	}
	for _, id := range ids {
		for p, ok := from[id]; ok && !slices.Contains(prev[id], p) && p != id; p, ok = from[p] {
			prev[id] = append(prev[id], p)
		}
	}
	return prev, onward, nil
}

// Carryover says which of an enrollment's records still count in another
// program version, and describes the ones that do not.
type Carryover struct {
	Kept    int
	Dropped []string
}

func applies(p *curriculum.Program, competency, variant string) bool {
	c := p.Competency(competency)
	if c == nil {
		return false
	}
	if variant == "" {
		return true
	}
	return slices.ContainsFunc(c.Performances, func(r curriculum.PerformanceRequirement) bool { return r.Variant == variant })
}

// CarryoverTo compares records with a program version.
func CarryoverTo(rec *assessments.Records, to *curriculum.Program) Carryover {
	var co Carryover
	drop := func(format string, args ...any) { co.Dropped = append(co.Dropped, fmt.Sprintf(format, args...)) }
	for _, o := range rec.Observations {
		if applies(to, o.Competency, o.Variant) {
			co.Kept++
		} else {
			drop("Observed performance of %s%s on %s: the new version has no such %s", o.Competency, variantSuffix(o.Variant), o.PerformedOn, kindOf(to, o.Competency))
		}
	}
	for _, l := range rec.SelfLogs {
		if applies(to, l.Competency, l.Variant) {
			co.Kept++
		} else {
			drop("Self-logged performance of %s on %s: the new version has no such %s", l.Competency, l.PerformedOn, kindOf(to, l.Competency))
		}
	}
	for _, t := range rec.Tests {
		if c := to.Competency(t.Competency); c != nil && c.KnowledgeTest != nil {
			co.Kept++
		} else {
			drop("Knowledge test for %s on %s: the new version has no test for it", t.Competency, t.TakenOn)
		}
	}
	for _, so := range rec.SignOffs {
		if to.Competency(so.Competency) != nil {
			co.Kept++
		} else {
			drop("Sign-off of %s on %s by %s: the new version has no such competency", so.Competency, so.SignedOn, so.Signature.PrintedName)
		}
	}
	return co
}

func variantSuffix(v string) string {
	if v == "" {
		return ""
	}
	return " (" + v + ")"
}

func kindOf(p *curriculum.Program, code string) string {
	if p.Competency(code) != nil {
		return "variant"
	}
	return "competency"
}

// carriedOver merges predecessors' records that still apply into rec.
func carriedOver(rec *assessments.Records, prev []*assessments.Records) {
	to := rec.Enrollment.Version.Program()
	for _, p := range prev {
		for _, o := range p.Observations {
			if applies(to, o.Competency, o.Variant) {
				rec.Observations = append(rec.Observations, o)
			}
		}
		for _, l := range p.SelfLogs {
			if applies(to, l.Competency, l.Variant) {
				rec.SelfLogs = append(rec.SelfLogs, l)
			}
		}
		for _, t := range p.Tests {
			if c := to.Competency(t.Competency); c != nil && c.KnowledgeTest != nil {
				rec.Tests = append(rec.Tests, t)
			}
		}
		for _, so := range p.SignOffs {
			if to.Competency(so.Competency) != nil {
				rec.SignOffs = append(rec.SignOffs, so)
			}
		}
		rec.Revocations = append(rec.Revocations, p.Revocations...)
		for _, h := range p.Hours {
			if hoursApply(to, h.Kind, h.Code) {
				rec.Hours = append(rec.Hours, h)
			}
		}
	}
}

// hoursApply reports whether hours logged against code (a work process or
// RTI course) mean something in program p: it has that work process or
// course. (The training hours a competency requires count across a move.)
func hoursApply(p *curriculum.Program, kind assessments.HoursKind, code string) bool {
	if kind == assessments.RTI {
		return slices.ContainsFunc(p.RTICourses, func(c curriculum.RTICourse) bool { return c.Code == code })
	}
	return slices.ContainsFunc(p.WorkProcesses, func(w curriculum.WorkProcess) bool { return w.Code == code })
}

// plannedMove is a move checked and ready to write.
type plannedMove struct {
	old, next assessments.Enrollment
	from, to  int // version numbers
	req       MoveRequest
	fp        string
}

// planMove checks that by may move rec's enrollment to req's version (a
// newer published version of the same program, on or after its start)
// and makes the new enrollment; it writes nothing.
func (s *Service) planMove(ctx context.Context, rec *assessments.Records, by assessments.Actor, req MoveRequest, fp string) (plannedMove, error) {
	old := rec.Enrollment
	if err := old.CheckManager(by.ID, assessments.Moving); err != nil {
		return plannedMove{}, err
	}
	from, err := s.Programs.VersionByID(ctx, old.VersionID)
	if err != nil {
		return plannedMove{}, err
	}
	to, err := s.Programs.VersionByID(ctx, req.ToVersionID)
	if err != nil {
		return plannedMove{}, err
	}
	if to.ProgramID != from.ProgramID || to.Number <= from.Number || to.Status != curriculum.Published {
		return plannedMove{}, ErrNotNewer
	}
	if req.EffectiveOn.IsZero() {
		req.EffectiveOn = curriculum.DateOf(s.Now(), rec.Enrollment.Version.Location())
	}
	if req.EffectiveOn.Before(old.StartDate) {
		return plannedMove{}, ErrMoveBeforeHire
	}
	next := assessments.Enrollment{ApprenticeID: old.ApprenticeID, VersionID: to.ID, SiteID: old.SiteID, HireDate: old.HireDate,
		StartDate: req.EffectiveOn, PreceptorIDs: old.PreceptorIDs, Status: old.Status, IdempotencyKey: req.IdempotencyKey, RequestHash: fp}
	return plannedMove{old: *old, next: next, from: from.Number, to: to.Number, req: req, fp: fp}, nil
}

// applyMove writes a planned move inside tx: the new enrollment, the move
// and its audit entry.
func (st *Store) applyMove(ctx context.Context, tx bun.Tx, m plannedMove, by assessments.Actor) (e assessments.Enrollment, err error) {
	if err := lockAgainstMove(ctx, tx, m.old.ID); err != nil {
		return assessments.Enrollment{}, err
	}
	err = st.Outbox.Changing(ctx, tx, []string{m.old.ApprenticeID}, func(ctx context.Context) error {
		e, _, err = st.CreateEnrollment(ctx, m.next, by.ID)
		if err != nil {
			return err
		}
		_, err = tx.NewInsert().Model(&moveRow{ID: newID(), FromEnrollmentID: m.old.ID, ToEnrollmentID: e.ID, EffectiveOn: m.req.EffectiveOn,
			MovedBy: by.ID, MovedAt: st.Now().UTC(), IdempotencyKey: m.req.IdempotencyKey, RequestHash: m.fp}).Exec(ctx)
		if db.IsUniqueViolation(err) {
			return fmt.Errorf("%w", ErrMoved)
		}
		if err != nil {
			return err
		}
		return st.record(ctx, tx, ActionMove, "enrollment", m.old.ID,
			map[string]any{"version_id": m.old.VersionID, "number": m.from},
			map[string]any{"version_id": m.req.ToVersionID, "number": m.to, "new_enrollment_id": e.ID, "effective_on": m.req.EffectiveOn})
	})
	if err != nil {
		return assessments.Enrollment{}, err
	}
	return e, nil
}

// ErrNothingToMove: a cohort move named no enrollment.
var ErrNothingToMove = errkind.New(errkind.Invalid, "Nobody is left to move: every apprentice listed is already on this version.")

// MoveAll moves every enrollment to req's version in one transaction: all
// of them or, when any one cannot move (moved meanwhile, a date before
// its start, not the director's to move), none. Each move is recorded and
// audited as a single move is, under the key req.IdempotencyKey + "-" +
// the enrollment's id; sending the same request again changes nothing
// and returns the enrollments the first one made.
func (s *Service) MoveAll(ctx context.Context, enrollmentIDs []string, by assessments.Actor, req MoveRequest) ([]assessments.Enrollment, error) {
	if err := assessments.ValidateIdempotencyKey(req.IdempotencyKey); err != nil {
		return nil, err
	}
	if len(enrollmentIDs) == 0 {
		return nil, ErrNothingToMove
	}
	keyOf := func(id string) string { return req.IdempotencyKey + "-" + id }
	if err := assessments.ValidateIdempotencyKey(keyOf(enrollmentIDs[0])); err != nil {
		return nil, err
	}
	// A replay: the first enrollment's move under this key was made.
	var done []moveRow
	if err := s.Store.DB.NewSelect().Model(&done).Where("moved_by = ? AND idempotency_key IN (?)", by.ID, db.IDs(mapKeys(enrollmentIDs, keyOf))).Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	if len(done) > 0 {
		ids := make([]string, len(done))
		for i, d := range done {
			ids[i] = d.ToEnrollmentID
		}
		return s.Store.Enrollments(ctx, EnrollmentFilter{IDs: ids})
	}
	if !by.Director {
		return nil, assessments.ErrNotDirector
	}
	ens, err := s.Store.Enrollments(ctx, EnrollmentFilter{IDs: enrollmentIDs})
	if err != nil {
		return nil, err
	}
	if len(ens) != len(enrollmentIDs) {
		return nil, db.ErrNotFound
	}
	recs, err := s.Load(ctx, ens)
	if err != nil {
		return nil, err
	}
	plans := make([]plannedMove, 0, len(ens))
	for _, e := range ens {
		r := req
		r.IdempotencyKey = keyOf(e.ID)
		m, err := s.planMove(ctx, recs[e.ID], by, r, assessments.Fingerprint(assessments.OpMove, e.ID, r))
		if err != nil {
			return nil, err
		}
		plans = append(plans, m)
	}
	out := make([]assessments.Enrollment, 0, len(plans))
	err = s.Store.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		st := s.Store.WithTx(tx)
		for _, m := range plans {
			e, err := st.applyMove(ctx, tx, m, by)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func mapKeys(ids []string, f func(string) string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = f(id)
	}
	return out
}

// MoveRequest asks to move an enrollment to another version.
type MoveRequest struct {
	IdempotencyKey string
	ToVersionID    string
	EffectiveOn    curriculum.Date
}

// Preview returns what would carry over if the enrollment moved to the
// version, without changing anything.
func (s *Service) Preview(ctx context.Context, enrollmentID, toVersionID string) (Carryover, error) {
	rec, err := s.Enrollment(ctx, enrollmentID)
	if err != nil {
		return Carryover{}, err
	}
	to, err := s.version(ctx, toVersionID)
	if err != nil {
		return Carryover{}, err
	}
	return CarryoverTo(rec, to.Program()), nil
}

// MoveToVersion ends the enrollment on req.EffectiveOn and starts a new
// one in a newer published version of the same program, in one
// transaction. Only a program director may move apprentices.
func (s *Service) MoveToVersion(ctx context.Context, enrollmentID string, by assessments.Actor, req MoveRequest) (assessments.Enrollment, error) {
	if err := assessments.ValidateIdempotencyKey(req.IdempotencyKey); err != nil {
		return assessments.Enrollment{}, err
	}
	fp := assessments.Fingerprint(assessments.OpMove, enrollmentID, req)
	var done moveRow
	if err := byKey(s.Store.DB.NewSelect().Model(&done), "moved_by", by.ID, req.IdempotencyKey).Scan(ctx); err == nil {
		// A retry may arrive at the enrollment the move made (once it took
		// effect it is the person's enrollment in force, which the move page
		// acts on): it is about the enrollment moved from.
		target, sent := enrollmentID, fp
		if enrollmentID == done.ToEnrollmentID {
			target, sent = done.FromEnrollmentID, assessments.Fingerprint(assessments.OpMove, done.FromEnrollmentID, req)
		}
		if err := assessments.CheckReplay(req.IdempotencyKey, done.RequestHash, done.FromEnrollmentID, sent, target); err != nil {
			return assessments.Enrollment{}, err
		}
		ens, err := s.Store.Enrollments(ctx, EnrollmentFilter{IDs: []string{done.ToEnrollmentID}})
		if err != nil || len(ens) == 0 {
			return assessments.Enrollment{}, db.ErrNotFound
		}
		return ens[0], nil
	}
	if !by.Director {
		return assessments.Enrollment{}, assessments.ErrNotDirector
	}
	rec, err := s.Enrollment(ctx, enrollmentID)
	if err != nil {
		return assessments.Enrollment{}, err
	}
	m, err := s.planMove(ctx, rec, by, req, fp)
	if err != nil {
		return assessments.Enrollment{}, err
	}
	var out assessments.Enrollment
	err = s.Store.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		out, err = s.Store.WithTx(tx).applyMove(ctx, tx, m, by)
		return err
	})
	if err != nil {
		return assessments.Enrollment{}, err
	}
	return out, nil
}
