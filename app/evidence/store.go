// Package evidence stores enrollments and the evidence recorded against
// them (observations, self-logs, knowledge tests, sign-offs, revocations,
// hours) and loads it back as assessments.Records for the clearance
// engine. Rows are only ever inserted, except the one-time review of a
// pending self-log or hours entry.
//
// Every write carries the submitter's idempotency key under a unique
// index: submitting the same request again (a double click, a retry after
// a timeout, on any instance) returns the record already stored, with
// replayed = true, and writes nothing.
package evidence

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/webhooks"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// ErrAlreadySignedOff is assessments.ErrAlreadySignedOff (the same code and
// kind, so errors.Is matches either) as storage finds it: another sign-off of the same competency was
// committed at the same moment; this one was not recorded.
var ErrAlreadySignedOff = assessments.ErrAlreadySignedOff.With("This competency was just signed off by someone else; reload to see their signature.")

// ErrAlreadyReviewed is assessments.ErrAlreadyReviewed as storage finds it:
// the entry was verified, approved or rejected already (by someone else at
// the same moment).
var ErrAlreadyReviewed = assessments.ErrAlreadyReviewed.With("This entry has already been reviewed, perhaps by someone else a moment ago; reload to see the decision.")

// Store reads and writes evidence.
type Store struct {
	DB  bun.IDB
	Now func() time.Time
	// Audit records every write in the audit trail, in the write's
	// transaction (nil: the real clock). A replayed request writes nothing,
	// so it records nothing either.
	Audit *audit.Log
	// Outbox receives the webhook events of sign-offs and revocations, in
	// the write's transaction (nil: none).
	Outbox *webhooks.Outbox
	// scan is stored with the next record written (withScan).
	scan *pendingScan
}

// NewStore returns a Store on d.
func NewStore(d bun.IDB) *Store {
	return &Store{DB: d, Now: func() time.Time { return time.Now().UTC() }}
}

// WithTx returns a Store whose calls run in tx.
func (s *Store) WithTx(tx bun.IDB) *Store { c := *s; c.DB = tx; return &c }

// once runs write in a transaction (a savepoint inside one). When a unique
// index refuses it, lookup is asked for the row stored earlier under the
// same idempotency key: if there is one, the write was a replay.
func (s *Store) once(ctx context.Context, write func(ctx context.Context, tx bun.Tx) error, lookup func(ctx context.Context) error) (bool, error) {
	err := s.DB.RunInTx(ctx, nil, write)
	if err == nil {
		return false, nil
	}
	if !db.IsUniqueViolation(err) {
		return false, db.Translate(err)
	}
	switch lerr := lookup(ctx); {
	case lerr == nil:
		return true, nil
	case errors.Is(db.Translate(lerr), db.ErrNotFound):
		return false, db.Translate(err)
	default:
		return false, db.Translate(lerr)
	}
}

func byKey(q *bun.SelectQuery, col, submitter, key string) *bun.SelectQuery {
	return q.Where("? = ? AND idempotency_key = ?", bun.Ident(col), submitter, key)
}

// CreateEnrollment stores a new enrollment with its preceptors.
func (s *Store) CreateEnrollment(ctx context.Context, e assessments.Enrollment, by string) (assessments.Enrollment, bool, error) {
	setID(&e.ID)
	row := &enrollmentRow{ID: e.ID, ApprenticeID: e.ApprenticeID, VersionID: e.VersionID, SiteID: e.SiteID, HireDate: e.HireDate,
		StartDate: e.StartDate, Status: string(e.Status), CreatedAt: s.Now().UTC(), CreatedBy: nullable(by), IdempotencyKey: e.IdempotencyKey, RequestHash: e.RequestHash}
	var existing enrollmentRow
	replayed, err := s.once(ctx, func(ctx context.Context, tx bun.Tx) error {
		// A new enrollment replaces the one in force (a re-enrollment).
		return s.Outbox.Changing(ctx, tx, []string{e.ApprenticeID}, func(ctx context.Context) error {
			if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
				return err
			}
			if len(e.PreceptorIDs) > 0 {
				ps := make([]preceptorRow, len(e.PreceptorIDs))
				for i, p := range e.PreceptorIDs {
					ps[i] = preceptorRow{EnrollmentID: row.ID, PreceptorID: p}
				}
				if _, err := tx.NewInsert().Model(&ps).Exec(ctx); err != nil {
					return err
				}
			}
			return s.record(ctx, tx, ActionEnroll, "enrollment", row.ID, nil, enrollmentView(e))
		})
	}, func(ctx context.Context) error {
		return byKey(s.DB.NewSelect().Model(&existing), "created_by", by, e.IdempotencyKey).Scan(ctx)
	})
	if err != nil {
		return assessments.Enrollment{}, false, fmt.Errorf("enroll %s: %w", e.ApprenticeID, err)
	}
	if replayed {
		out := existing.enrollment()
		return out, true, nil
	}
	return e, false, nil
}

// EnrollmentFilter selects enrollments; empty fields do not filter.
type EnrollmentFilter struct {
	IDs           []string
	ApprenticeIDs []string
	SiteID        string
	// SiteIDs selects enrollments at any of these sites (when not nil).
	SiteIDs     []string
	PreceptorID string
	// VersionIDs keeps enrollments in these program versions (a program's
	// versions select the program).
	VersionIDs []string
}

// where adds the filter's conditions to a query on enrollments.
func (f EnrollmentFilter) where(q *bun.SelectQuery) *bun.SelectQuery {
	if f.IDs != nil {
		q.Where("id IN (?)", db.IDs(f.IDs))
	}
	if f.ApprenticeIDs != nil {
		q.Where("apprentice_id IN (?)", db.IDs(f.ApprenticeIDs))
	}
	if f.SiteID != "" {
		q.Where("site_id = ?", f.SiteID)
	}
	if f.SiteIDs != nil {
		q.Where("site_id IN (?)", db.IDs(f.SiteIDs))
	}
	if f.PreceptorID != "" {
		q.Where("id IN (SELECT enrollment_id FROM enrollment_preceptors WHERE preceptor_id = ?)", f.PreceptorID)
	}
	if f.VersionIDs != nil {
		q.Where("version_id IN (?)", db.IDs(f.VersionIDs))
	}
	return q
}

// ApprenticesOf is a subquery selecting the apprentice ids of matching
// enrollments, for accounts.Selection.Among.
func (s *Store) ApprenticesOf(f EnrollmentFilter) *bun.SelectQuery {
	return f.where(s.DB.NewSelect().Model((*enrollmentRow)(nil)).Column("apprentice_id"))
}

// Enrollments returns matching enrollments with their preceptors (two
// queries), oldest first. Their Version is not attached.
func (s *Store) Enrollments(ctx context.Context, f EnrollmentFilter) ([]assessments.Enrollment, error) {
	var rows []enrollmentRow
	q := f.where(s.DB.NewSelect().Model(&rows).Order("created_at", "id"))
	if err := q.Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	out := make([]assessments.Enrollment, len(rows))
	idx := make(map[string]int, len(rows))
	ids := make([]string, len(rows))
	for i := range rows {
		out[i] = rows[i].enrollment()
		idx[rows[i].ID] = i
		ids[i] = rows[i].ID
	}
	if len(ids) == 0 {
		return out, nil
	}
	var ps []preceptorRow
	if err := s.DB.NewSelect().Model(&ps).Where("enrollment_id IN (?)", bun.List(ids)).Order("preceptor_id").Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	for _, p := range ps {
		i := idx[p.EnrollmentID]
		out[i].PreceptorIDs = append(out[i].PreceptorIDs, p.PreceptorID)
	}
	return out, nil
}

// DecisionStamps reads people's decision stamps in one query, keyed by
// person id; a person whose records were never written has none (absent,
// read as 0). Database triggers keep the table (migration 0008) on every
// write to evidence, enrollments, moves and credentials; this is its one
// reader for caches of decisions.
func (s *Store) DecisionStamps(ctx context.Context, personIDs []string) (map[string]int64, error) {
	if len(personIDs) == 0 {
		return map[string]int64{}, nil
	}
	var rows []struct {
		PersonID string `bun:"person_id"`
		Version  int64  `bun:"version"`
	}
	if err := s.DB.NewSelect().Table("decision_stamps").Column("person_id", "version").
		Where("person_id IN (?)", db.IDs(personIDs)).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("decision stamps of %d people: %w", len(personIDs), db.Translate(err))
	}
	stamps := make(map[string]int64, len(rows))
	for _, r := range rows {
		stamps[r.PersonID] = r.Version
	}
	return stamps, nil
}

// stampBucket is the SQL for a decision stamp's bucket: the last two
// characters of the person's id (random in the ids Skillgate makes), so
// about 256 buckets of similar size, the same on both engines.
const stampBucket = "substr(person_id, length(person_id) - 1, 2)"

// BucketOf is the bucket of a person's decision stamp (see
// DecisionStampBuckets).
func BucketOf(personID string) string { return personID[max(len(personID)-2, 0):] }

// DecisionStampBuckets reads the total of the decision stamps in each
// bucket (BucketOf) in one query returning a few hundred rows. Stamps only
// grow, so a bucket whose total is unchanged holds no changed stamp: a
// read model of the whole organisation reads again only the stamps of the
// buckets that moved (DecisionStampsIn), not every person's.
func (s *Store) DecisionStampBuckets(ctx context.Context) (map[string]int64, error) {
	rows, err := s.DB.QueryContext(ctx, "SELECT "+stampBucket+" AS b, SUM(version) FROM decision_stamps GROUP BY b")
	if err != nil {
		return nil, fmt.Errorf("decision stamp buckets: %w", db.Translate(err))
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var b string
		var v int64
		if err := rows.Scan(&b, &v); err != nil {
			return nil, fmt.Errorf("decision stamp buckets: %w", err)
		}
		out[b] = v
	}
	return out, rows.Err()
}

// DecisionStampsIn reads the decision stamps of everyone in the given
// buckets (all of them when buckets is nil), keyed by bucket then person.
func (s *Store) DecisionStampsIn(ctx context.Context, buckets []string) (map[string]map[string]int64, error) {
	q, args := "SELECT person_id, version FROM decision_stamps", []any{}
	if buckets != nil {
		if len(buckets) == 0 {
			return map[string]map[string]int64{}, nil
		}
		q, args = q+" WHERE "+stampBucket+" IN (?)", []any{bun.List(buckets)}
	}
	rows, err := s.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("decision stamps: %w", db.Translate(err))
	}
	defer rows.Close()
	out := map[string]map[string]int64{}
	for rows.Next() {
		var id string
		var v int64
		if err := rows.Scan(&id, &v); err != nil {
			return nil, fmt.Errorf("decision stamps: %w", err)
		}
		b := BucketOf(id)
		if out[b] == nil {
			out[b] = map[string]int64{}
		}
		out[b][id] = v
	}
	return out, rows.Err()
}

// DecisionStampTotal sums the decision stamps of the people the subquery
// selects (a single column of user ids), in one statement returning one
// row. Stamps only grow, so while the same people are selected an equal
// total means that nothing that can change a decision was written for any
// of them: a cache of something made from many people's decisions checks
// it without reading every stamp.
func (s *Store) DecisionStampTotal(ctx context.Context, people *bun.SelectQuery) (int64, error) {
	var total int64
	if err := s.DB.NewSelect().Table("decision_stamps").ColumnExpr("COALESCE(SUM(version), 0)").
		Where("person_id IN (?)", people).Scan(ctx, &total); err != nil {
		return 0, fmt.Errorf("total of decision stamps: %w", db.Translate(err))
	}
	return total, nil
}

// Scope says how much of each record Records reads.
type Scope uint8

const (
	// AllFields reads every record whole, as pages and reports show them.
	AllFields Scope = iota
	// DecisionFields reads only what the clearance engine decides from
	// (assessments.BuildEvidence): no checklist steps, comments, names,
	// signatures or idempotency keys, only verified self-logs, and no
	// hours here (Service.LoadScoped reads the approved hours that
	// training-hours rules count, with ApprovedHours). Deciding for a whole organisation reads millions of
	// observations, most of whose bytes (steps, names, keys) no decision
	// looks at. Records read this way are for deciding only, never for
	// display.
	DecisionFields
)

// decisionColumns are the columns DecisionFields reads, by table: those
// assessments.BuildEvidence uses, plus the ones records are ordered by.
var decisionColumns = map[string][]string{
	"observations": {"id", "enrollment_id", "apprentice_id", "competency", "variant", "performed_on", "successful", "supersedes", "recorded_at"},
	"self_logs":    {"id", "enrollment_id", "apprentice_id", "competency", "variant", "performed_on", "status", "logged_at", "reviewed_at"},
	"test_results": {"id", "enrollment_id", "apprentice_id", "competency", "score", "taken_on", "recorded_at"},
	"sign_offs":    {"id", "enrollment_id", "apprentice_id", "competency", "kind", "signed_on", "covered", "signed_at"},
}

// Records loads every record of the given enrollments: one query per kind
// of record, whatever the number of enrollments. Credentials are not
// included (they belong to the person; see app/credentials).
func (s *Store) Records(ctx context.Context, enrollments []assessments.Enrollment) (map[string]*assessments.Records, error) {
	return s.RecordsScoped(ctx, enrollments, AllFields)
}

// RecordsScoped is Records reading only what scope needs.
func (s *Store) RecordsScoped(ctx context.Context, enrollments []assessments.Enrollment, scope Scope) (map[string]*assessments.Records, error) {
	f := newFiler(enrollments)
	if len(enrollments) == 0 {
		return f.byID(), nil
	}
	in := bun.List(f.ids)
	// sel starts the read of one kind of record for these enrollments.
	sel := func(model any, table string) *bun.SelectQuery {
		q := s.DB.NewSelect().Model(model).Where("enrollment_id IN (?)", in)
		if scope == DecisionFields {
			q = q.Column(decisionColumns[table]...)
			if table == "self_logs" {
				q = q.Where("status = ?", string(assessments.SelfLogVerified))
			}
		}
		return q
	}
	var obs []assessments.Observation
	if scope == DecisionFields {
		var err error
		if obs, err = s.decisionObservations(ctx, in); err != nil {
			return nil, db.Translate(err)
		}
	} else {
		var rows []observationRow
		if err := sel(&rows, "observations").Scan(ctx); err != nil {
			return nil, db.Translate(err)
		}
		obs = convertRows(rows, (*observationRow).observation)
	}
	if err := fileRecords(f, obs, func(o *assessments.Observation) string { return o.EnrollmentID },
		func(a, b *assessments.Observation) int { return byTimeID(a.RecordedAt, b.RecordedAt, a.ID, b.ID) },
		func(r *assessments.Records, l []assessments.Observation) { r.Observations = l }); err != nil {
		return nil, fmt.Errorf("observations: %w", err)
	}
	var logs []selfLogRow
	if err := sel(&logs, "self_logs").Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	if err := fileRecords(f, convertRows(logs, (*selfLogRow).selfLog), func(l *assessments.SelfLog) string { return l.EnrollmentID },
		func(a, b *assessments.SelfLog) int { return byTimeID(a.LoggedAt, b.LoggedAt, a.ID, b.ID) },
		func(r *assessments.Records, l []assessments.SelfLog) { r.SelfLogs = l }); err != nil {
		return nil, fmt.Errorf("self-logs: %w", err)
	}
	var tests []testRow
	if err := sel(&tests, "test_results").Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	if err := fileRecords(f, convertRows(tests, (*testRow).result), func(t *assessments.TestResult) string { return t.EnrollmentID },
		func(a, b *assessments.TestResult) int { return byTimeID(a.RecordedAt, b.RecordedAt, a.ID, b.ID) },
		func(r *assessments.Records, l []assessments.TestResult) { r.Tests = l }); err != nil {
		return nil, fmt.Errorf("test results: %w", err)
	}
	var sos []assessments.SignOff
	if scope == DecisionFields {
		var err error
		if sos, err = s.decisionSignOffs(ctx, in); err != nil {
			return nil, db.Translate(err)
		}
	} else {
		var rows []signOffRow
		if err := sel(&rows, "sign_offs").Scan(ctx); err != nil {
			return nil, db.Translate(err)
		}
		sos = convertRows(rows, (*signOffRow).signOff)
	}
	if err := fileRecords(f, sos, func(o *assessments.SignOff) string { return o.EnrollmentID },
		func(a, b *assessments.SignOff) int {
			return byTimeID(a.Signature.SignedAt, b.Signature.SignedAt, a.ID, b.ID)
		},
		func(r *assessments.Records, l []assessments.SignOff) { r.SignOffs = l }); err != nil {
		return nil, fmt.Errorf("sign-offs: %w", err)
	}
	var revs []revocationRow
	if err := s.DB.NewSelect().Model(&revs).Where("enrollment_id IN (?)", in).Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	var paperRevs []paperRevocationRow
	if err := s.DB.NewSelect().Model(&paperRevs).Where("enrollment_id IN (?)", in).Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	if err := fileRecords(f, append(convertRows(revs, (*revocationRow).revocation), convertRows(paperRevs, (*paperRevocationRow).revocation)...), func(r *assessments.Revocation) string { return r.EnrollmentID },
		func(a, b *assessments.Revocation) int { return byTimeID(a.RecordedAt, b.RecordedAt, a.ID, b.ID) },
		func(r *assessments.Records, l []assessments.Revocation) { r.Revocations = l }); err != nil {
		return nil, fmt.Errorf("revocations: %w", err)
	}
	var papers []paperSignOffRow
	if err := s.DB.NewSelect().Model(&papers).Where("enrollment_id IN (?)", in).Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	if err := fileRecords(f, convertRows(papers, (*paperSignOffRow).paperSignOff), func(p *assessments.PaperSignOff) string { return p.EnrollmentID },
		func(a, b *assessments.PaperSignOff) int { return byTimeID(a.RecordedAt, b.RecordedAt, a.ID, b.ID) },
		func(r *assessments.Records, l []assessments.PaperSignOff) { r.PaperSignOffs = l }); err != nil {
		return nil, fmt.Errorf("paper sign-offs: %w", err)
	}
	if scope == DecisionFields {
		return f.byID(), nil // Service.LoadScoped reads the hours decisions need
	}
	var hours []hoursRow
	if err := s.DB.NewSelect().Model(&hours).Where("enrollment_id IN (?)", in).Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	if err := fileRecords(f, convertRows(hours, (*hoursRow).entry), func(h *assessments.HoursEntry) string { return h.EnrollmentID },
		func(a, b *assessments.HoursEntry) int {
			if c := a.WorkedOn.Compare(b.WorkedOn); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		},
		func(r *assessments.Records, l []assessments.HoursEntry) { r.Hours = l }); err != nil {
		return nil, fmt.Errorf("hours: %w", err)
	}
	return f.byID(), nil
}

// ApprovedHours reads, in one query, the approved hours entries of the
// given enrollments logged against any of codes (work processes or RTI
// courses), with only the columns decisions use (assessments.BuildEvidence
// reads apprentice, kind, code, day worked, minutes, status and the time of
// approval). They are for deciding, never for display.
func (s *Store) ApprovedHours(ctx context.Context, enrollmentIDs, codes []string) ([]assessments.HoursEntry, error) {
	if len(enrollmentIDs) == 0 || len(codes) == 0 {
		return nil, nil
	}
	var rows []hoursRow
	if err := s.DB.NewSelect().Model(&rows).
		Column("id", "enrollment_id", "apprentice_id", "kind", "code", "worked_on", "minutes", "status", "reviewed_at").
		Where("enrollment_id IN (?)", bun.List(enrollmentIDs)).
		Where("status = ?", string(assessments.HoursApproved)).
		Where("code IN (?)", bun.List(codes)).
		Scan(ctx); err != nil {
		return nil, fmt.Errorf("approved hours of %d enrollments: %w", len(enrollmentIDs), db.Translate(err))
	}
	return convertRows(rows, (*hoursRow).entry), nil
}

// decisionObservations reads observations' DecisionFields with
// database/sql's own scanning into typed values: deciding for a whole
// organisation reads 1.5 M of them, and bun's reflection per row and
// column cost about a third of deciding.
func (s *Store) decisionObservations(ctx context.Context, in any) ([]assessments.Observation, error) {
	rows, err := s.DB.QueryContext(ctx, "SELECT "+strings.Join(decisionColumns["observations"], ", ")+
		" FROM observations WHERE enrollment_id IN (?)", in)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []assessments.Observation
	intern := interner{}
	var enrollment, apprentice, competency, variant sql.RawBytes
	for rows.Next() {
		var o assessments.Observation
		var supersedes sql.NullString
		var recorded db.Time
		if err := rows.Scan(&o.ID, &enrollment, &apprentice, &competency, &variant, &o.PerformedOn,
			&o.Successful, &supersedes, &recorded); err != nil {
			return nil, fmt.Errorf("read observations: %w", err)
		}
		o.EnrollmentID, o.ApprenticeID, o.Competency, o.Variant = intern.of(enrollment), intern.of(apprentice), intern.of(competency), intern.of(variant)
		o.Supersedes = supersedes.String
		o.RecordedAt = recorded.Time
		out = append(out, o)
	}
	return out, rows.Err()
}

// interner makes each distinct value of a batch's rows a string once: a
// batch's tens of thousands of rows name a few hundred enrollments and
// people and a few dozen competencies (raw bytes are valid only until the
// next row).
type interner map[string]string

func (in interner) of(b sql.RawBytes) string {
	if v, ok := in[string(b)]; ok {
		return v
	}
	v := string(b)
	in[v] = v
	return v
}

// decisionSignOffs reads sign-offs' DecisionFields as decisionObservations
// reads observations (360,000 of them for a whole organisation).
func (s *Store) decisionSignOffs(ctx context.Context, in any) ([]assessments.SignOff, error) {
	rows, err := s.DB.QueryContext(ctx, "SELECT "+strings.Join(decisionColumns["sign_offs"], ", ")+
		" FROM sign_offs WHERE enrollment_id IN (?)", in)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []assessments.SignOff
	intern := interner{}
	var enrollment, apprentice, competency, kind, covered sql.RawBytes
	for rows.Next() {
		var so assessments.SignOff
		var signed db.Time
		if err := rows.Scan(&so.ID, &enrollment, &apprentice, &competency, &kind, &so.SignedOn, &covered, &signed); err != nil {
			return nil, fmt.Errorf("read sign-offs: %w", err)
		}
		so.EnrollmentID, so.ApprenticeID, so.Competency = intern.of(enrollment), intern.of(apprentice), intern.of(competency)
		so.Kind = curriculum.SignOffKind(intern.of(kind))
		if len(covered) > 0 && string(covered) != "[]" { // most are empty: no string made
			so.Covered = parseList(string(covered))
		}
		so.Signature.SignedAt = signed.Time.UTC()
		out = append(out, so)
	}
	return out, rows.Err()
}

// byTimeID orders records as they were recorded (id breaks ties). Records
// sorts in Go rather than in SQL: for a batch of a thousand enrollments the
// database would sort tens of thousands of wide rows on disk, while each
// enrollment's few dozen sort here in microseconds.
func byTimeID(a, b time.Time, aid, bid string) int {
	if c := a.Compare(b); c != 0 {
		return c
	}
	return strings.Compare(aid, bid)
}

// AddObservation stores an observation made by assessments.NewObservation.
func (s *Store) AddObservation(ctx context.Context, o assessments.Observation) (assessments.Observation, bool, error) {
	setID(&o.ID)
	row := observationRowOf(&o)
	var existing observationRow
	action := ActionObserve
	switch {
	case o.Supersedes != "":
		action = ActionCorrect
	case o.TranscribedBy != "":
		action = ActionTranscribe
	}
	replayed, err := s.once(ctx, func(ctx context.Context, tx bun.Tx) error {
		return s.addRecord(ctx, tx, o.ApprenticeID, row, action, "observation", o.ID, o, o.EnrollmentID, o.ObserverID)
	}, func(ctx context.Context) error {
		return byKey(s.DB.NewSelect().Model(&existing), "observer_id", o.ObserverID, o.IdempotencyKey).Scan(ctx)
	})
	if err != nil {
		if errors.Is(err, db.ErrConflict) && o.Supersedes != "" {
			return o, false, assessments.ErrAlreadySuperseded.With("That record has already been corrected; correct the correction instead.")
		}
		return o, false, fmt.Errorf("record observation: %w", err)
	}
	if replayed {
		return existing.observation(), true, nil
	}
	return o, false, nil
}

// AddTestResult stores a knowledge-test result.
func (s *Store) AddTestResult(ctx context.Context, t assessments.TestResult) (assessments.TestResult, bool, error) {
	setID(&t.ID)
	row := &testRow{ID: t.ID, EnrollmentID: t.EnrollmentID, ApprenticeID: t.ApprenticeID, Competency: t.Competency, Score: t.Score,
		PassMark: t.PassMark, TakenOn: t.TakenOn, RecordedBy: t.RecordedBy, RecordedAt: t.RecordedAt.UTC(), IdempotencyKey: t.IdempotencyKey,
		RequestHash: t.RequestHash, TranscribedBy: nullable(t.TranscribedBy), AttestedBy: t.AttestedBy, SourceNote: t.SourceNote}
	var existing testRow
	action := ActionTest
	if t.TranscribedBy != "" {
		action = ActionTestTranscribe
	}
	replayed, err := s.once(ctx, func(ctx context.Context, tx bun.Tx) error {
		return s.addRecord(ctx, tx, t.ApprenticeID, row, action, "test", t.ID, t, t.EnrollmentID, t.RecordedBy)
	}, func(ctx context.Context) error {
		return byKey(s.DB.NewSelect().Model(&existing), "recorded_by", t.RecordedBy, t.IdempotencyKey).Scan(ctx)
	})
	if err != nil {
		return t, false, fmt.Errorf("record test result: %w", err)
	}
	if replayed {
		return existing.result(), true, nil
	}
	return t, false, nil
}

// AddSignOff stores a sign-off checked by assessments.CheckSignOff against
// records that held seq-1 sign-offs of the competency. If another sign-off
// of it was committed since (a second preceptor at the same moment), this
// one is refused with ErrAlreadySignedOff: the check it passed is stale.
// Inside the transaction the count is re-read, and a unique index on the
// number catches the race the count cannot see (two transactions reading
// at once on PostgreSQL).
func (s *Store) AddSignOff(ctx context.Context, so assessments.SignOff, seq int) (assessments.SignOff, bool, error) {
	setID(&so.ID)
	row := signOffRowOf(&so)
	var existing signOffRow
	replayed, err := s.once(ctx, func(ctx context.Context, tx bun.Tx) error {
		return s.Outbox.Changing(ctx, tx, []string{so.ApprenticeID}, func(ctx context.Context) error {
			n, err := tx.NewSelect().Model((*signOffRow)(nil)).Where("enrollment_id = ? AND competency = ?", so.EnrollmentID, so.Competency).Count(ctx)
			if err != nil {
				return err
			}
			if int(n)+1 != seq {
				return ErrAlreadySignedOff
			}
			row.Seq = seq
			if _, err = tx.NewInsert().Model(row).Exec(ctx); err != nil {
				return err
			}
			if err := s.record(ctx, tx, ActionSignOff, "signoff", so.ID, nil, so); err != nil {
				return err
			}
			site, err := s.enrollmentSite(ctx, tx, so.EnrollmentID)
			if err != nil {
				return err
			}
			return s.Outbox.Emit(ctx, tx, webhooks.Event{Type: webhooks.SignOffRecorded, SiteIDs: []string{site}, Data: webhooks.SignOffData{
				SignOffID: so.ID, EnrollmentID: so.EnrollmentID, PersonID: so.ApprenticeID, SiteID: site, Competency: so.Competency,
				Kind: string(so.Kind), SignedOn: so.SignedOn.String(), SignedAt: so.Signature.SignedAt, SignerID: so.Signature.SignerID}})
		})
	}, func(ctx context.Context) error {
		return byKey(s.DB.NewSelect().Model(&existing), "signer_id", so.Signature.SignerID, so.IdempotencyKey).Scan(ctx)
	})
	switch {
	case errors.Is(err, db.ErrConflict), errors.Is(err, ErrAlreadySignedOff):
		// The sign-off that got in first may be this very request, sent
		// earlier: a client that timed out retries with the same key while
		// its first attempt commits. It must get that record, not a refusal.
		lerr := byKey(s.DB.NewSelect().Model(&existing), "signer_id", so.Signature.SignerID, so.IdempotencyKey).Scan(ctx)
		if lerr == nil {
			return existing.signOff(), true, nil
		}
		if !errors.Is(db.Translate(lerr), db.ErrNotFound) {
			return so, false, fmt.Errorf("record sign-off: %w", db.Translate(lerr))
		}
		return so, false, ErrAlreadySignedOff
	case err != nil:
		return so, false, fmt.Errorf("record sign-off: %w", err)
	case replayed:
		return existing.signOff(), true, nil
	}
	return so, false, nil
}

// enrollmentSite returns an enrollment's site, for its events (read only
// when there is an outbox to write to).
func (s *Store) enrollmentSite(ctx context.Context, tx bun.IDB, enrollmentID string) (string, error) {
	if s.Outbox == nil {
		return "", nil
	}
	var site string
	if err := tx.NewSelect().Model((*enrollmentRow)(nil)).Column("site_id").Where("id = ?", enrollmentID).Scan(ctx, &site); err != nil {
		return "", fmt.Errorf("site of enrollment %s: %w", enrollmentID, err)
	}
	return site, nil
}

// AddRevocation stores a revocation; a sign-off is revoked at most once.
func (s *Store) AddRevocation(ctx context.Context, r assessments.Revocation) (assessments.Revocation, bool, error) {
	setID(&r.ID)
	row := &revocationRow{ID: r.ID, SignOffID: r.SignOffID, EnrollmentID: r.EnrollmentID, ApprenticeID: r.ApprenticeID, Competency: r.Competency,
		EffectiveOn: r.EffectiveOn, Reason: r.Reason, RevokedBy: r.RevokedBy, RevokerName: r.RevokerName, RecordedAt: r.RecordedAt.UTC(), IdempotencyKey: r.IdempotencyKey,
		RequestHash: r.RequestHash}
	var existing revocationRow
	replayed, err := s.once(ctx, func(ctx context.Context, tx bun.Tx) error {
		return s.Outbox.Changing(ctx, tx, []string{r.ApprenticeID}, func(ctx context.Context) error {
			if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
				return err
			}
			// Filed under the sign-off it revokes, so that sign-off's history
			// reads in one place.
			if err := s.record(ctx, tx, ActionRevoke, "signoff", r.SignOffID, nil, r); err != nil {
				return err
			}
			site, err := s.enrollmentSite(ctx, tx, r.EnrollmentID)
			if err != nil {
				return err
			}
			return s.Outbox.Emit(ctx, tx, webhooks.Event{Type: webhooks.SignOffRevoked, SiteIDs: []string{site}, Data: webhooks.RevocationData{
				SignOffID: r.SignOffID, RevocationID: r.ID, EnrollmentID: r.EnrollmentID, PersonID: r.ApprenticeID, SiteID: site,
				Competency: r.Competency, EffectiveOn: r.EffectiveOn.String(), Reason: r.Reason, RevokedBy: r.RevokedBy, RecordedAt: r.RecordedAt}})
		})
	}, func(ctx context.Context) error {
		return byKey(s.DB.NewSelect().Model(&existing), "revoked_by", r.RevokedBy, r.IdempotencyKey).Scan(ctx)
	})
	switch {
	case errors.Is(err, db.ErrConflict):
		return r, false, assessments.ErrAlreadyRevoked
	case err != nil:
		return r, false, fmt.Errorf("record revocation: %w", err)
	case replayed:
		return existing.revocation(), true, nil
	}
	return r, false, nil
}

// AddSelfLog stores an apprentice's self-logged performance (pending), or
// one transcribed from paper (verified on paper).
func (s *Store) AddSelfLog(ctx context.Context, l assessments.SelfLog) (assessments.SelfLog, bool, error) {
	setID(&l.ID)
	row := selfLogRowOf(&l)
	var existing selfLogRow
	action := ActionSelfLog
	if l.TranscribedBy != "" {
		action = ActionSelfLogTranscribe
	}
	replayed, err := s.once(ctx, func(ctx context.Context, tx bun.Tx) error {
		return s.addRecord(ctx, tx, l.ApprenticeID, row, action, "selflog", l.ID, l, l.EnrollmentID, l.TranscribedBy)
	}, func(ctx context.Context) error {
		return byKey(s.DB.NewSelect().Model(&existing), "apprentice_id", l.ApprenticeID, l.IdempotencyKey).Scan(ctx)
	})
	if err != nil {
		return l, false, fmt.Errorf("record self-log: %w", unknownSupervisor(err))
	}
	if replayed {
		return existing.selfLog(), true, nil
	}
	return l, false, nil
}

// ReviewSelfLog stores the verification or rejection of a pending
// self-log (made by SelfLog.Verify or Reject). Only a pending row changes,
// so two reviewers cannot both decide.
func (s *Store) ReviewSelfLog(ctx context.Context, l assessments.SelfLog) error {
	row := selfLogRowOf(&l)
	action := ActionSelfLogVerify
	if l.Status == assessments.SelfLogRejected {
		action = ActionSelfLogReject
	}
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return s.Outbox.Changing(ctx, tx, []string{l.ApprenticeID}, func(ctx context.Context) error {
			res, err := tx.NewUpdate().Model(row).Column("status", "reviewed_by", "reviewer_name", "reviewer_credential", "reviewed_at", "rejection_reason").
				Where("id = ? AND status = 'pending'", l.ID).Exec(ctx)
			if err != nil {
				return db.Translate(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrAlreadyReviewed
			}
			return s.record(ctx, tx, action, "selflog", l.ID, map[string]any{"status": "pending"},
				map[string]any{"status": row.Status, "reviewed_by": row.ReviewedBy, "reviewer_name": row.ReviewerName,
					"reviewed_at": row.ReviewedAt, "rejection_reason": row.RejectionReason})
		})
	})
}

// AddHours stores an hours entry (pending), or one transcribed from paper
// (approved on paper).
func (s *Store) AddHours(ctx context.Context, h assessments.HoursEntry) (assessments.HoursEntry, bool, error) {
	setID(&h.ID)
	row := hoursRowOf(&h)
	var existing hoursRow
	action := ActionHours
	if h.TranscribedBy != "" {
		action = ActionHoursTranscribe
	}
	replayed, err := s.once(ctx, func(ctx context.Context, tx bun.Tx) error {
		return s.addRecord(ctx, tx, h.ApprenticeID, row, action, "hours", h.ID, h, h.EnrollmentID, h.TranscribedBy)
	}, func(ctx context.Context) error {
		return byKey(s.DB.NewSelect().Model(&existing), "apprentice_id", h.ApprenticeID, h.IdempotencyKey).Scan(ctx)
	})
	if err != nil {
		return h, false, fmt.Errorf("record hours: %w", unknownSupervisor(err))
	}
	if replayed {
		return existing.entry(), true, nil
	}
	return h, false, nil
}

// ReviewHours stores the approval or rejection of a pending hours entry.
func (s *Store) ReviewHours(ctx context.Context, h assessments.HoursEntry) error {
	row := hoursRowOf(&h)
	action := ActionHoursApprove
	if h.Status == assessments.HoursRejected {
		action = ActionHoursReject
	}
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return s.Outbox.Changing(ctx, tx, []string{h.ApprenticeID}, func(ctx context.Context) error {
			res, err := tx.NewUpdate().Model(row).Column("status", "reviewed_by", "reviewer_name", "reviewed_at", "rejection_reason").
				Where("id = ? AND status = 'pending'", h.ID).Exec(ctx)
			if err != nil {
				return db.Translate(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrAlreadyReviewed
			}
			return s.record(ctx, tx, action, "hours", h.ID, map[string]any{"status": "pending"},
				map[string]any{"status": row.Status, "reviewed_by": row.ReviewedBy, "reviewer_name": row.ReviewerName,
					"reviewed_at": row.ReviewedAt, "rejection_reason": row.RejectionReason})
		})
	})
}

// addRecord is the write of a new evidence record in tx: its row, its
// audit entry (action on entity id, showing after) and the scan sent with
// it (withScan; uploaded by by), inside Outbox.Changing for the
// apprentice, so the clearance.changed events it causes go with it.
func (s *Store) addRecord(ctx context.Context, tx bun.Tx, apprenticeID string, row any, action, entity, id string, after any, enrollmentID, by string) error {
	return s.Outbox.Changing(ctx, tx, []string{apprenticeID}, func(ctx context.Context) error {
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
		if err := s.record(ctx, tx, action, entity, id, nil, after); err != nil {
			return err
		}
		return s.attachScan(ctx, tx, enrollmentID, entity, id, by)
	})
}

// setID gives a new record a time-ordered id (UUIDv7) unless it has one.
// unknownSupervisor reads a foreign-key refusal of a self-log or hours
// entry as what it is: the apprentice, enrollment and site come from the
// stored enrollment, so the one id a user chose is the supervisor's.
func unknownSupervisor(err error) error {
	if !errors.Is(err, db.ErrReference) {
		return err
	}
	e := *assessments.ErrUnknownSupervisor
	e.Field = "supervisor_id"
	return &e
}

func setID(id *string) {
	if *id == "" {
		*id = newID()
	}
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }
