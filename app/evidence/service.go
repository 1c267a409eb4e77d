package evidence

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// Service is the write and read path for evidence that handlers use: it
// loads what a rule needs (the enrollment's program version, the records so
// far, credentials), lets the assessments package decide, and stores the
// result.
type Service struct {
	Store       *Store
	Programs    *programs.Store
	Credentials *credentials.Store
	Now         func() time.Time
	// Policy holds organisation choices for sign-offs (e.g. signers must
	// hold BLS).
	Policy   assessments.SignOffPolicy
	versions *sync.Map // version id -> *assessments.ProgramVersion (published: never changes)
}

// WithDB returns the service reading and writing through idb (a
// transaction), sharing the compiled versions.
func (s *Service) WithDB(idb bun.IDB) *Service {
	return &Service{Store: s.Store.WithTx(idb), Programs: s.Programs.WithTx(idb), Credentials: s.Credentials.WithTx(idb),
		Now: s.Now, Policy: s.Policy, versions: s.versions}
}

// NewService wires a Service on one database.
func NewService(d bun.IDB, progs *programs.Store) *Service {
	return &Service{Store: NewStore(d), Programs: progs, Credentials: credentials.NewStore(d),
		Now: func() time.Time { return time.Now().UTC() }, versions: &sync.Map{}}
}

// ActorOf describes a person for the assessments rules.
func ActorOf(p *accounts.Person) assessments.Actor {
	cred := p.Credential
	if cred == "none" {
		cred = ""
	}
	return assessments.Actor{ID: p.ID, Name: p.Name, Credential: curriculumCred(cred),
		Preceptor: p.Has(accounts.RolePreceptor), Director: p.Has(accounts.RoleDirector)}
}

// Load returns the full records of the given enrollments: evidence, the
// apprentice's credentials, and the compiled program version attached.
// The query count does not depend on how many enrollments are asked for.
func (s *Service) Load(ctx context.Context, ens []assessments.Enrollment) (map[string]*assessments.Records, error) {
	return s.LoadScoped(ctx, ens, AllFields)
}

// LoadScoped is Load reading only what scope needs (DecisionFields: enough
// to decide, not to display).
func (s *Service) LoadScoped(ctx context.Context, ens []assessments.Enrollment, scope Scope) (map[string]*assessments.Records, error) {
	return s.LoadKnownAt(ctx, ens, scope, time.Time{})
}

// LoadKnownAt is LoadScoped with the records as they stood at knownAt
// (assessments.Records.KnownAt, credentials.KnownAt): what Skillgate knew
// then, for answering as it would have. Zero knownAt: everything on file.
func (s *Service) LoadKnownAt(ctx context.Context, ens []assessments.Enrollment, scope Scope, knownAt time.Time) (map[string]*assessments.Records, error) {
	own, err := s.Store.RecordsScoped(ctx, ens, scope)
	if err != nil {
		return nil, err
	}
	recs := make(map[string]*loaded, len(own))
	for id, r := range own {
		recs[id] = &loaded{Records: r}
	}
	people := make([]string, 0, len(ens))
	for _, e := range ens {
		people = append(people, e.ApprenticeID)
	}
	creds, err := s.Credentials.ForPeople(ctx, people)
	if err != nil {
		return nil, err
	}
	if err := s.mergePredecessors(ctx, recs, scope); err != nil {
		return nil, err
	}
	for _, r := range recs {
		e := r.Enrollment
		pv, err := s.version(ctx, e.VersionID)
		if err != nil {
			return nil, fmt.Errorf("enrollment %s: %w", e.ID, err)
		}
		e.Version = pv
		r.Credentials = credentials.CurriculumRecords(credentials.KnownAt(creds[e.ApprenticeID], knownAt), pv.Location())
		if prev := r.prev; len(prev) > 0 {
			carriedOver(r.Records, prev)
			// The apprenticeship began with the first of them.
			for _, p := range prev {
				if e.Began.IsZero() || p.Enrollment.StartDate.Before(e.Began) {
					e.Began = p.Enrollment.StartDate
				}
			}
		}
	}
	if scope == DecisionFields {
		if err := s.decisionHours(ctx, recs); err != nil {
			return nil, err
		}
	}
	out := make(map[string]*assessments.Records, len(recs))
	for id, r := range recs {
		out[id] = r.Records
		if !knownAt.IsZero() {
			out[id] = r.Records.KnownAt(knownAt)
		}
	}
	return out, nil
}

// decisionHours attaches the approved hours that the enrollments'
// programs count toward training-hours rules, those logged in the
// enrollments they were moved from included (as carriedOver does): one
// query for all of them, none when no program has such a rule.
func (s *Service) decisionHours(ctx context.Context, recs map[string]*loaded) error {
	owner := map[string]*loaded{}
	var ids []string
	codes := map[string]bool{}
	for id, r := range recs {
		cs := r.Enrollment.Version.Rules.HoursCodes()
		if len(cs) == 0 {
			continue
		}
		owner[id] = r
		ids = append(ids, id)
		for _, p := range r.prev {
			owner[p.Enrollment.ID] = r
			ids = append(ids, p.Enrollment.ID)
		}
		for _, c := range cs {
			codes[c] = true
		}
	}
	if len(ids) == 0 {
		return nil
	}
	hours, err := s.Store.ApprovedHours(ctx, ids, slices.Sorted(maps.Keys(codes)))
	if err != nil {
		return err
	}
	for _, h := range hours {
		r := owner[h.EnrollmentID]
		if h.EnrollmentID == r.Enrollment.ID || hoursApply(r.Enrollment.Version.Program(), h.Kind, h.Code) {
			r.Hours = append(r.Hours, h)
		}
	}
	return nil
}

// loaded is an enrollment's own records and those of the enrollments it
// was moved from.
type loaded struct {
	*assessments.Records
	prev []*assessments.Records
}

// mergePredecessors finds, level by level, the enrollments each one was
// moved from, and loads their records (a move chain is short: one query
// pair per level, not per enrollment).
func (s *Service) mergePredecessors(ctx context.Context, recs map[string]*loaded, scope Scope) error {
	frontier := map[string]string{} // enrollment id -> the loaded record it belongs to
	for id := range recs {
		frontier[id] = id
	}
	for depth := 0; len(frontier) > 0 && depth < 20; depth++ {
		ids := make([]string, 0, len(frontier))
		for id := range frontier {
			ids = append(ids, id)
		}
		moves, err := s.Store.Moves(ctx, ids)
		if err != nil {
			return err
		}
		next := map[string]string{}
		var prevIDs []string
		for _, m := range moves {
			if owner, ok := frontier[m.To]; ok {
				next[m.From] = owner
				prevIDs = append(prevIDs, m.From)
			}
		}
		if len(prevIDs) == 0 {
			return nil
		}
		ens, err := s.Store.Enrollments(ctx, EnrollmentFilter{IDs: prevIDs})
		if err != nil {
			return err
		}
		got, err := s.Store.RecordsScoped(ctx, ens, scope)
		if err != nil {
			return err
		}
		for id, r := range got {
			owner := recs[next[id]]
			owner.prev = append(owner.prev, r)
		}
		frontier = next
	}
	return nil
}

// Version returns the prepared program version with id (compiled once per
// process when published).
func (s *Service) Version(ctx context.Context, id string) (*assessments.ProgramVersion, error) {
	return s.version(ctx, id)
}

// version returns the prepared program version, compiled once per
// process for published versions (which never change).
func (s *Service) version(ctx context.Context, id string) (*assessments.ProgramVersion, error) {
	if pv, ok := s.versions.Load(id); ok {
		return pv.(*assessments.ProgramVersion), nil
	}
	rules, err := s.Programs.Rules(ctx, id)
	if err != nil {
		return nil, err
	}
	pv, err := assessments.NewProgramVersion(id, rules)
	if err != nil {
		return nil, err
	}
	if rules.Version().IsPublished() {
		s.versions.Store(id, pv)
	}
	return pv, nil
}

// Enrollment loads one enrollment with its records.
func (s *Service) Enrollment(ctx context.Context, id string) (*assessments.Records, error) {
	ens, err := s.Store.Enrollments(ctx, EnrollmentFilter{IDs: []string{id}})
	if err != nil {
		return nil, err
	}
	if len(ens) == 0 {
		return nil, db.ErrNotFound
	}
	recs, err := s.Load(ctx, ens)
	if err != nil {
		return nil, err
	}
	return recs[id], nil
}

// Head loads one enrollment with its program version attached and none of
// its records: what authorising and checking a new record need when the
// record does not depend on the records so far (an observation that
// corrects nothing, a test result). Reading the records (a hundred rows
// and more, table by table) was most of the cost of such a write. The
// enrollments it was moved from are not followed (Began is not set).
func (s *Service) Head(ctx context.Context, id string) (*assessments.Enrollment, error) {
	ens, err := s.Store.Enrollments(ctx, EnrollmentFilter{IDs: []string{id}})
	if err != nil {
		return nil, err
	}
	if len(ens) == 0 {
		return nil, db.ErrNotFound
	}
	e := &ens[0]
	if e.Version, err = s.version(ctx, e.VersionID); err != nil {
		return nil, fmt.Errorf("enrollment %s: %w", id, err)
	}
	return e, nil
}

// open refuses an enrollment that can no longer take new evidence: one
// that was moved to a newer version (ErrMoved). The enrollment was loaded
// by the caller, usually while checking who may see it, and is not read
// again: the write re-checks what a concurrent change could break in its
// own transaction (a sign-off's number, a correction's or a revocation's
// uniqueness).
func (s *Service) open(ctx context.Context, id string) error { return s.Store.notMoved(ctx, id) }

// Enroll validates and stores a new enrollment in a published version.
func (s *Service) Enroll(ctx context.Context, e assessments.Enrollment, by string) (assessments.Enrollment, bool, error) {
	// What the request asked for, before anything is filled in.
	fp := assessments.Fingerprint(assessments.OpEnroll, e.ApprenticeID, struct {
		VersionID, SiteID, Status string
		HireDate, StartDate       curriculum.Date
		PreceptorIDs              []string
	}{e.VersionID, e.SiteID, string(e.Status), e.HireDate, e.StartDate, e.PreceptorIDs})
	var err error
	if e.Version, err = s.version(ctx, e.VersionID); err != nil {
		return e, false, err
	}
	if e.Status == "" {
		e.Status = assessments.EnrollmentActive
	}
	if err := e.Validate(); err != nil {
		return e, false, err
	}
	if err := e.CheckManager(by, assessments.Enrolling); err != nil {
		return e, false, err
	}
	e.RequestHash = fp
	out, again, err := s.Store.CreateEnrollment(ctx, e, by)
	if err != nil || !again {
		return out, again, err
	}
	return retry(out, e.IdempotencyKey, out.RequestHash, out.ApprenticeID, fp, e.ApprenticeID)
}

// Observe records an observed performance in the enrollment e (as loaded
// by Head or Enrollment). A new observation does not depend on the
// records so far; a correction is checked against the enrollment's
// observations (those carried over from a move included), read here.
func (s *Service) Observe(ctx context.Context, e *assessments.Enrollment, observer assessments.Actor, req assessments.ObservationRequest) (assessments.Observation, bool, error) {
	fp := assessments.Fingerprint(assessments.OpObserve, e.ID, req)
	return write(ctx, s, e, observations(s.Store), observer.ID, req.IdempotencyKey, fp, func() (*assessments.Observation, error) {
		var history []assessments.Observation
		if req.Supersedes != "" {
			rec, err := s.Enrollment(ctx, e.ID)
			if err != nil {
				return nil, err
			}
			history = rec.Observations
		}
		return assessments.NewObservation(e, observer, req, history, s.Now())
	})
}

// RecordTest records a knowledge-test result in the enrollment e (as
// loaded by Head or Enrollment).
func (s *Service) RecordTest(ctx context.Context, e *assessments.Enrollment, by assessments.Actor, req assessments.TestResultRequest) (assessments.TestResult, bool, error) {
	fp := assessments.Fingerprint(assessments.OpTest, e.ID, req)
	return write(ctx, s, e, tests(s.Store), by.ID, req.IdempotencyKey, fp, func() (*assessments.TestResult, error) {
		return assessments.NewTestResult(e, by, req, s.Now())
	})
}

// kind is one kind of record as write stores it: R is its table row.
type kind[T, R any] struct {
	// col is the submitter's column in the idempotency key's lookup.
	col string
	// of reads a row; ref gives a record's request hash (to set or read)
	// and its enrollment; add stores a record (with its audit entry and
	// the clearance.changed events it causes, in one transaction).
	of  func(*R) T
	ref func(*T) (*string, string)
	add func(context.Context, T) (T, bool, error)
}

func observations(st *Store) kind[assessments.Observation, observationRow] {
	return kind[assessments.Observation, observationRow]{col: "observer_id", of: (*observationRow).observation,
		ref: func(o *assessments.Observation) (*string, string) { return &o.RequestHash, o.EnrollmentID },
		add: st.AddObservation}
}

func tests(st *Store) kind[assessments.TestResult, testRow] {
	return kind[assessments.TestResult, testRow]{col: "recorded_by", of: (*testRow).result,
		ref: func(t *assessments.TestResult) (*string, string) { return &t.RequestHash, t.EnrollmentID },
		add: st.AddTestResult}
}

// write is the path of a new record in the enrollment e: a request whose
// key (under submitter) already found a record answers with it (retry);
// otherwise the enrollment must still take records (open), build makes
// the record, and k.add stores it.
func write[T, R any](ctx context.Context, s *Service, e *assessments.Enrollment, k kind[T, R], submitter, key, fp string, build func() (*T, error)) (T, bool, error) {
	var zero T
	target := e.ID
	var existing R
	if found, err := s.replay(ctx, &existing, k.col, submitter, key); err != nil || found {
		if err != nil {
			return zero, false, err
		}
		t := k.of(&existing)
		hash, stored := k.ref(&t)
		return retry(t, key, *hash, stored, fp, target)
	}
	if err := s.open(ctx, target); err != nil {
		return zero, false, err
	}
	t, err := build()
	if err != nil {
		return zero, false, err
	}
	hash, _ := k.ref(t)
	*hash = fp
	out, again, err := k.add(ctx, *t)
	if err != nil || !again {
		return out, again, err
	}
	hash, stored := k.ref(&out)
	return retry(out, key, *hash, stored, fp, target)
}

// SignOff checks and stores an electronic signature in the enrollment rec
// (as loaded by Enrollment). The caller must have re-authenticated the
// signer (password re-entered) just before. The rules are checked against
// rec; a sign-off of the same competency committed since rec was read is
// caught when writing (ErrAlreadySignedOff, or a replay if it was this
// very request sent earlier).
func (s *Service) SignOff(ctx context.Context, rec *assessments.Records, signer assessments.Actor, req assessments.SignOffRequest) (assessments.SignOff, bool, error) {
	enrollmentID := rec.Enrollment.ID
	fp := assessments.Fingerprint(assessments.OpSignOff, enrollmentID, req)
	var existing signOffRow
	if found, err := s.replay(ctx, &existing, "signer_id", signer.ID, req.IdempotencyKey); err != nil || found {
		if err != nil {
			return assessments.SignOff{}, false, err
		}
		return retry(existing.signOff(), req.IdempotencyKey, existing.RequestHash, existing.EnrollmentID, fp, enrollmentID)
	}
	if err := s.open(ctx, enrollmentID); err != nil {
		return assessments.SignOff{}, false, err
	}
	so, err := s.CheckSignOff(ctx, rec, signer, req)
	if err != nil {
		if found, rerr := s.replay(ctx, &existing, "signer_id", signer.ID, req.IdempotencyKey); rerr == nil && found {
			return retry(existing.signOff(), req.IdempotencyKey, existing.RequestHash, existing.EnrollmentID, fp, enrollmentID) // see replay
		}
		return assessments.SignOff{}, false, err
	}
	seq := 1
	for _, prior := range rec.SignOffs {
		if prior.Competency == so.Competency {
			seq++
		}
	}
	so.RequestHash = fp
	out, again, err := s.Store.AddSignOff(ctx, *so, seq)
	if err != nil || !again {
		return out, again, err
	}
	return retry(out, req.IdempotencyKey, out.RequestHash, out.EnrollmentID, fp, enrollmentID)
}

// CheckSignOff decides, writing nothing, whether signer may sign off req
// in rec now, as SignOff does before it writes: the rules of the records,
// the signer's own credentials and the organisation's policy plus what
// the program requires of signers. It returns the record SignOff would
// store, or the refusal (a load generator chooses valid sign-offs with it).
func (s *Service) CheckSignOff(ctx context.Context, rec *assessments.Records, signer assessments.Actor, req assessments.SignOffRequest) (*assessments.SignOff, error) {
	own, err := s.Credentials.ForPerson(ctx, signer.ID)
	if err != nil {
		return nil, fmt.Errorf("the signer's credentials: %w", err)
	}
	policy := s.Policy
	for _, code := range rec.Enrollment.Version.Program().Settings.SignersMustHold {
		if !slices.Contains(policy.SignerMustHold, code) {
			policy.SignerMustHold = append(slices.Clone(policy.SignerMustHold), code)
		}
	}
	return assessments.CheckSignOff(req, assessments.Signer{Actor: signer,
		Records: credentials.CurriculumRecords(own, rec.Enrollment.Version.Location())}, rec, policy, s.Now())
}

// Revoke records a director's revocation of a sign-off of the enrollment
// rec (as loaded by Enrollment); a sign-off is revoked at most once, which
// the write checks.
func (s *Service) Revoke(ctx context.Context, rec *assessments.Records, signOffID string, by assessments.Actor, req assessments.RevocationRequest) (assessments.Revocation, bool, error) {
	fp := assessments.Fingerprint(assessments.OpRevoke, signOffID, req)
	var existing revocationRow
	if found, err := s.replay(ctx, &existing, "revoked_by", by.ID, req.IdempotencyKey); err != nil || found {
		if err != nil {
			return assessments.Revocation{}, false, err
		}
		return retry(existing.revocation(), req.IdempotencyKey, existing.RequestHash, existing.SignOffID, fp, signOffID)
	}
	var so *assessments.SignOff
	for i := range rec.SignOffs {
		if rec.SignOffs[i].ID == signOffID {
			so = &rec.SignOffs[i]
		}
	}
	if so == nil {
		return assessments.Revocation{}, false, db.ErrNotFound
	}
	r, err := assessments.Revoke(so, rec.Revocations, by, req, rec.Enrollment.Version.Location(), s.Now())
	if err != nil {
		if found, rerr := s.replay(ctx, &existing, "revoked_by", by.ID, req.IdempotencyKey); rerr == nil && found {
			return retry(existing.revocation(), req.IdempotencyKey, existing.RequestHash, existing.SignOffID, fp, signOffID) // see replay
		}
		return assessments.Revocation{}, false, err
	}
	r.RequestHash = fp
	out, again, err := s.Store.AddRevocation(ctx, *r)
	if err != nil || !again {
		return out, again, err
	}
	return retry(out, req.IdempotencyKey, out.RequestHash, out.SignOffID, fp, signOffID)
}

// retry answers a request whose key found a record: the record when it is
// a retry of the request that made it, ErrKeyReused when the key was used
// for another target or content (assessments.CheckReplay), so a key never
// answers one request with another's record.
func retry[T any](rec T, key, storedHash, storedTarget, fp, target string) (T, bool, error) {
	if err := assessments.CheckReplay(key, storedHash, storedTarget, fp, target); err != nil {
		var zero T
		return zero, false, err
	}
	return rec, true, nil
}

// replay finds a record already stored under the submitter's key: a
// resubmitted form returns what the first submission recorded, before any
// rule is checked again (it might fail now only because it succeeded).
// A retry sent while its first attempt was still running (a client
// timeout) finds no record at first; its records were read before, so the
// rules pass and the write meets the first attempt (AddSignOff and the
// unique indexes turn that into a replay). Sign-offs and revocations still
// ask again when the rules refuse them, in case a caller read its records
// after the lookup.
func (s *Service) replay(ctx context.Context, dst any, col, submitter, key string) (bool, error) {
	if key == "" || submitter == "" {
		return false, nil
	}
	err := byKey(s.Store.DB.NewSelect().Model(dst), col, submitter, key).Scan(ctx)
	if err == nil {
		return true, nil
	}
	if errors.Is(db.Translate(err), db.ErrNotFound) {
		return false, nil
	}
	return false, db.Translate(err)
}

func curriculumCred(s string) curriculum.ProfessionalCredential {
	return curriculum.ProfessionalCredential(s)
}

// SignedEvidenceFor collects the records a sign-off's signature names, so
// assessments.VerifySignature can check it whenever it is shown.
func SignedEvidenceFor(rec *assessments.Records, so *assessments.SignOff) assessments.SignedEvidence {
	var ev assessments.SignedEvidence
	named := map[string]bool{}
	for _, id := range so.Signature.PerformanceIDs {
		named[id] = true
	}
	for _, o := range rec.Observations {
		if named[o.ID] {
			ev.Observations = append(ev.Observations, o)
		}
	}
	for _, l := range rec.SelfLogs {
		if named[l.ID] {
			ev.SelfLogs = append(ev.SelfLogs, l)
		}
	}
	for i := range rec.Tests {
		if rec.Tests[i].ID == so.Signature.TestResultID {
			t := rec.Tests[i]
			ev.Test = &t
		}
	}
	return ev
}

type statusRow struct {
	bun.BaseModel `bun:"table:enrollment_status_changes"`
	ID            string    `bun:"id,pk"`
	EnrollmentID  string    `bun:"enrollment_id"`
	Status        string    `bun:"status"`
	ChangedAt     time.Time `bun:"changed_at"`
	ChangedBy     *string   `bun:"changed_by"`
	Reason        string    `bun:"reason"`
}

// ChangeStatus puts an enrollment on hold, back to active or withdrawn
// (program directors), keeping the change with its reason. Completed is
// refused (assessments.ErrCompletionNeedsSignature): Complete records it. The
// update is conditional on the status it was checked against, so two
// directors cannot make conflicting changes at once.
func (s *Service) ChangeStatus(ctx context.Context, enrollmentID string, by assessments.Actor, to assessments.EnrollmentStatus, reason string) error {
	if !by.Director {
		return assessments.ErrNotDirector
	}
	ens, err := s.Store.Enrollments(ctx, EnrollmentFilter{IDs: []string{enrollmentID}})
	if err != nil {
		return err
	}
	if len(ens) == 0 {
		return db.ErrNotFound
	}
	e := ens[0]
	from := e.Status
	if err := e.CheckManager(by.ID, assessments.ChangingStatus); err != nil {
		return err
	}
	if err := e.ChangeStatus(to); err != nil {
		return err
	}
	return s.Store.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// A hold or a withdrawal changes levels from the day it is made.
		return s.Store.Outbox.Changing(ctx, tx, []string{e.ApprenticeID}, func(ctx context.Context) error {
			res, err := tx.NewUpdate().Model((*enrollmentRow)(nil)).Set("status = ?", string(to)).
				Where("id = ? AND status = ?", enrollmentID, string(from)).Exec(ctx)
			if err != nil {
				return db.Translate(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				// Another director changed it between our read and this write.
				return db.ErrConflict.With("Someone else changed this enrollment's status a moment ago, so nothing was changed. Reload the page to see its status and try again.")
			}
			_, err = tx.NewInsert().Model(&statusRow{ID: newID(), EnrollmentID: enrollmentID, Status: string(to), ChangedAt: s.Now().UTC(),
				ChangedBy: nullable(by.ID), Reason: strings.TrimSpace(reason)}).Exec(ctx)
			if err != nil {
				return db.Translate(err)
			}
			return s.Store.record(ctx, tx, ActionStatusChange, "enrollment", enrollmentID,
				map[string]any{"status": from}, map[string]any{"status": to, "reason": strings.TrimSpace(reason)})
		})
	})
}

// StatusHistory returns the dated status changes of the enrollments,
// oldest first per enrollment (one query, however many enrollments), for
// Enrollment.History.
func (s *Store) StatusHistory(ctx context.Context, enrollmentIDs []string) (map[string][]assessments.StatusChange, error) {
	out := map[string][]assessments.StatusChange{}
	if len(enrollmentIDs) == 0 {
		return out, nil
	}
	var rows []statusRow
	if err := s.DB.NewSelect().Model(&rows).Column("enrollment_id", "status", "changed_at").
		Where("enrollment_id IN (?)", db.IDs(enrollmentIDs)).Order("changed_at", "id").Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	for _, r := range rows {
		out[r.EnrollmentID] = append(out[r.EnrollmentID], assessments.StatusChange{Status: assessments.EnrollmentStatus(r.Status), At: r.ChangedAt.UTC()})
	}
	return out, nil
}
