// Package evaluations stores apprentices' periodic evaluations (the
// program's evaluation schedule): the mentor's signed evaluation and the
// apprentice's signed acknowledgement, each with its audit entry in the
// same transaction. The rules are assessments.CheckEvaluation and
// assessments.CheckAcknowledgement.
package evaluations

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/wages"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// Audit actions; the entity is the evaluation ("evaluation", its id) for both.
const (
	ActionSign        = "evaluation.sign"
	ActionAcknowledge = "evaluation.acknowledge"
)

// Store reads and writes evaluations and acknowledgements.
type Store struct {
	DB    bun.IDB
	Now   func() time.Time
	Audit *audit.Log
	// Wages, when set, gives the approved wage steps that evaluations
	// at_wage_steps fall due on (Load).
	Wages *wages.Service
	// Enrollments, when set, follows enrollments through their moves
	// (Load): the apprenticeship, and so its evaluations, continues
	// across a move to a newer program version.
	Enrollments *evidence.Store
}

// NewStore returns a Store on d.
func NewStore(d bun.IDB, log *audit.Log) *Store {
	return &Store{DB: d, Audit: log, Now: func() time.Time { return time.Now().UTC() }}
}

// signed are the e-signature columns evaluations and acknowledgements share.
type signed struct {
	SignerID    string          `bun:"signer_id"`
	PrintedName string          `bun:"printed_name"`
	Credential  string          `bun:"credential"`
	SignedAt    time.Time       `bun:"signed_at"`
	SignedOn    curriculum.Date `bun:"signed_on"`
	TimeZone    string          `bun:"time_zone"`
	Meaning     string          `bun:"meaning"`
	Hash        string          `bun:"hash"`
	AuthMethod  string          `bun:"auth_method"`
}

func signedOf(g *assessments.EvaluationSig, on curriculum.Date, authMethod string) signed {
	return signed{SignerID: g.SignerID, PrintedName: g.PrintedName, Credential: string(g.Credential), SignedAt: g.SignedAt,
		SignedOn: on, TimeZone: g.TimeZone, Meaning: g.Meaning, Hash: g.Hash, AuthMethod: authMethod}
}

func (r *signed) sig() assessments.EvaluationSig {
	return assessments.EvaluationSig{SignerID: r.SignerID, PrintedName: r.PrintedName, Credential: curriculum.ProfessionalCredential(r.Credential),
		SignedAt: r.SignedAt.UTC(), TimeZone: r.TimeZone, Meaning: r.Meaning, Hash: r.Hash}
}

type evaluationRow struct {
	bun.BaseModel `bun:"table:evaluations"`
	ID            string          `bun:"id,pk"`
	EnrollmentID  string          `bun:"enrollment_id"`
	ApprenticeID  string          `bun:"apprentice_id"`
	VersionID     string          `bun:"version_id"`
	Seq           int             `bun:"seq"`
	DueOn         curriculum.Date `bun:"due_on"`
	Ratings       string          `bun:"ratings"`
	Comments      string          `bun:"comments"`
	signed
}

type ackRow struct {
	bun.BaseModel `bun:"table:evaluation_acknowledgements"`
	ID            string `bun:"id,pk"`
	EvaluationID  string `bun:"evaluation_id"`
	signed
}

func (r *evaluationRow) evaluation() assessments.Evaluation {
	ev := assessments.Evaluation{ID: r.ID, EnrollmentID: r.EnrollmentID, ApprenticeID: r.ApprenticeID, VersionID: r.VersionID,
		Seq: r.Seq, DueOn: r.DueOn, Comments: r.Comments, SignedOn: r.SignedOn, AuthMethod: r.AuthMethod, Signature: r.sig()}
	_ = json.Unmarshal([]byte(r.Ratings), &ev.Ratings)
	return ev
}

func (r *ackRow) ack() *assessments.Acknowledgement {
	return &assessments.Acknowledgement{ID: r.ID, EvaluationID: r.EvaluationID, SignedOn: r.SignedOn, AuthMethod: r.AuthMethod, Signature: r.sig()}
}

// ForEnrollments returns the evaluations of the given enrollments, by
// enrollment id, in order, with their acknowledgements: two queries
// whatever the number of enrollments.
func (s *Store) ForEnrollments(ctx context.Context, ids []string) (map[string][]assessments.Evaluation, error) {
	out := map[string][]assessments.Evaluation{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []evaluationRow
	if err := s.DB.NewSelect().Model(&rows).Where("enrollment_id IN (?)", db.IDs(ids)).Order("enrollment_id", "seq").Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	if len(rows) == 0 {
		return out, nil
	}
	evIDs := make([]string, len(rows))
	for i := range rows {
		evIDs[i] = rows[i].ID
	}
	var acks []ackRow
	if err := s.DB.NewSelect().Model(&acks).Where("evaluation_id IN (?)", db.IDs(evIDs)).Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	byEval := map[string]*assessments.Acknowledgement{}
	for i := range acks {
		byEval[acks[i].EvaluationID] = acks[i].ack()
	}
	for i := range rows {
		ev := rows[i].evaluation()
		ev.Ack = byEval[ev.ID]
		out[ev.EnrollmentID] = append(out[ev.EnrollmentID], ev)
	}
	return out, nil
}

// Load returns the evaluations of the enrollments' apprenticeships, by
// enrollment id, in order: those of the enrollment and of the
// enrollments it was moved from, which keep their numbers (a move to a
// newer program version continues the apprenticeship). It attaches to
// each enrollment where its apprenticeship began and whether it was moved
// on (Began, MovedOn) and, where the schedule is at_wage_steps, the
// effective dates of its approved wage steps, from which
// assessments.EvaluationsOf and CheckEvaluation count due dates. Every
// reader that lists evaluations loads them with it.
func (s *Store) Load(ctx context.Context, es ...*assessments.Enrollment) (map[string][]assessments.Evaluation, error) {
	return s.LoadKnownBy(ctx, time.Time{}, es...)
}

// LoadKnownBy is Load with only the wage steps approved before knownBy
// (zero: every one): an answer about a past day counts evaluations due at
// the wage steps known then, not a step approved later with an earlier
// effective date.
func (s *Store) LoadKnownBy(ctx context.Context, knownBy time.Time, es ...*assessments.Enrollment) (map[string][]assessments.Evaluation, error) {
	ids := make([]string, 0, len(es))
	var stepped []string
	for _, e := range es {
		ids = append(ids, e.ID)
		if e.Version != nil && e.Version.Program().Evaluations != nil && e.Version.Program().Evaluations.AtWageSteps {
			stepped = append(stepped, e.ID)
		}
	}
	prev, err := s.placeInApprenticeship(ctx, es, ids)
	if err != nil {
		return nil, err
	}
	if len(stepped) > 0 && s.Wages != nil {
		h, err := s.Wages.History(ctx, stepped)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			e.WageStepsOn = nil
			for _, st := range h[e.ID] {
				if knownBy.IsZero() || st.ApprovedAt.Before(knownBy) {
					e.WageStepsOn = append(e.WageStepsOn, st.EffectiveOn)
				}
			}
		}
	}
	all := slices.Clone(ids)
	for _, p := range prev {
		all = append(all, p...)
	}
	own, err := s.ForEnrollments(ctx, all)
	if err != nil || len(prev) == 0 {
		return own, err
	}
	out := make(map[string][]assessments.Evaluation, len(es))
	for _, e := range es {
		list := own[e.ID]
		for _, p := range prev[e.ID] {
			list = append(list, own[p]...)
		}
		slices.SortStableFunc(list, func(a, b assessments.Evaluation) int { return a.Seq - b.Seq })
		if len(list) > 0 {
			out[e.ID] = list
		}
	}
	return out, nil
}

// placeInApprenticeship sets each enrollment's Began and MovedOn from its
// moves and returns the enrollments each one was moved from (nearest
// first).
func (s *Store) placeInApprenticeship(ctx context.Context, es []*assessments.Enrollment, ids []string) (map[string][]string, error) {
	if s.Enrollments == nil || len(ids) == 0 {
		return nil, nil
	}
	prev, onward, err := s.Enrollments.Chains(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("evaluations: %w", err)
	}
	var firsts []string
	for _, p := range prev {
		firsts = append(firsts, p[len(p)-1])
	}
	began := map[string]curriculum.Date{}
	if len(firsts) > 0 {
		ens, err := s.Enrollments.Enrollments(ctx, evidence.EnrollmentFilter{IDs: firsts})
		if err != nil {
			return nil, fmt.Errorf("evaluations: %w", err)
		}
		for _, f := range ens {
			began[f.ID] = f.StartDate
		}
	}
	for _, e := range es {
		e.Began, e.MovedOn = curriculum.Date{}, onward[e.ID].EffectiveOn
		if p := prev[e.ID]; len(p) > 0 {
			e.Began = began[p[len(p)-1]]
		}
	}
	return prev, nil
}

// ForEnrollment returns one enrollment's evaluations (with Load).
func (s *Store) ForEnrollment(ctx context.Context, e *assessments.Enrollment) ([]assessments.Evaluation, error) {
	m, err := s.Load(ctx, e)
	return m[e.ID], err
}

// Complete checks and stores the mentor's evaluation of e (whose
// evaluations so far are done), with its audit entry, in one transaction.
func (s *Store) Complete(ctx context.Context, e *assessments.Enrollment, done []assessments.Evaluation, signer assessments.Actor, req assessments.EvaluationRequest) (*assessments.Evaluation, error) {
	ev, err := assessments.CheckEvaluation(req, signer, e, done, s.Now())
	if err != nil {
		return nil, err
	}
	ev.ID = uuid.Must(uuid.NewV7()).String()
	ratings, _ := json.Marshal(ev.Ratings)
	row := &evaluationRow{ID: ev.ID, EnrollmentID: ev.EnrollmentID, ApprenticeID: ev.ApprenticeID, VersionID: ev.VersionID, Seq: ev.Seq,
		DueOn: ev.DueOn, Ratings: string(ratings), Comments: ev.Comments, signed: signedOf(&ev.Signature, ev.SignedOn, ev.AuthMethod)}
	// Numbers continue across a move: an enrollment moved from since it
	// was loaded takes no more (its successor numbers on from what it had).
	unmoved := func(ctx context.Context, tx bun.Tx) error {
		if s.Enrollments == nil {
			return nil
		}
		return s.Enrollments.HoldUnmoved(ctx, tx, e.ID)
	}
	if err := s.insert(ctx, unmoved, row, ActionSign, ev.ID, ev, assessments.ErrAlreadySignedOff.With(fmt.Sprintf("Evaluation %d has already been completed.", req.Seq))); err != nil {
		return nil, err
	}
	return ev, nil
}

// Acknowledge checks and stores the apprentice's acknowledgement of ev,
// with its audit entry, in one transaction.
func (s *Store) Acknowledge(ctx context.Context, ev *assessments.Evaluation, signer assessments.Actor, loc *time.Location, authMethod string) (*assessments.Acknowledgement, error) {
	a, err := assessments.CheckAcknowledgement(ev, signer, loc, authMethod, s.Now())
	if err != nil {
		return nil, err
	}
	a.ID = uuid.Must(uuid.NewV7()).String()
	row := &ackRow{ID: a.ID, EvaluationID: ev.ID, signed: signedOf(&a.Signature, a.SignedOn, authMethod)}
	if err := s.insert(ctx, nil, row, ActionAcknowledge, ev.ID, a, assessments.ErrAlreadyReviewed.With(fmt.Sprintf("Evaluation %d has already been acknowledged.", ev.Seq))); err != nil {
		return nil, err
	}
	return a, nil
}

// insert writes row and its audit entry (action on the evaluation id,
// after) in one transaction, after first (when not nil) has allowed it;
// taken is the answer when someone got there first (the unique index).
func (s *Store) insert(ctx context.Context, first func(context.Context, bun.Tx) error, row any, action, id string, after any, taken error) error {
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if first != nil {
			if err := first(ctx, tx); err != nil {
				return err
			}
		}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: action, EntityType: "evaluation", EntityID: id, After: after})
	})
	if db.IsUniqueViolation(err) {
		return taken
	}
	return db.Translate(err)
}

// Find returns evaluation seq of the enrollment among evs, or nil.
func Find(evs []assessments.Evaluation, seq int) *assessments.Evaluation {
	for i := range evs {
		if evs[i].Seq == seq {
			return &evs[i]
		}
	}
	return nil
}
