package evidence

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// Table rows and their conversion to and from the assessments types.

type enrollmentRow struct {
	bun.BaseModel  `bun:"table:enrollments"`
	ID             string          `bun:"id,pk"`
	ApprenticeID   string          `bun:"apprentice_id"`
	VersionID      string          `bun:"version_id"`
	SiteID         string          `bun:"site_id"`
	HireDate       curriculum.Date `bun:"hire_date"`
	StartDate      curriculum.Date `bun:"start_date"`
	Status         string          `bun:"status"`
	CreatedAt      time.Time       `bun:"created_at"`
	CreatedBy      *string         `bun:"created_by"`
	IdempotencyKey string          `bun:"idempotency_key"`
	RequestHash    string          `bun:"request_hash,nullzero"`
}

type preceptorRow struct {
	bun.BaseModel `bun:"table:enrollment_preceptors"`
	EnrollmentID  string `bun:"enrollment_id,pk"`
	PreceptorID   string `bun:"preceptor_id,pk"`
}

func (r *enrollmentRow) enrollment() assessments.Enrollment {
	return assessments.Enrollment{ID: r.ID, ApprenticeID: r.ApprenticeID, VersionID: r.VersionID, SiteID: r.SiteID,
		HireDate: r.HireDate, StartDate: r.StartDate, Status: assessments.EnrollmentStatus(r.Status), CreatedAt: r.CreatedAt.UTC(),
		IdempotencyKey: r.IdempotencyKey, RequestHash: r.RequestHash}
}

type observationRow struct {
	bun.BaseModel      `bun:"table:observations"`
	ID                 string          `bun:"id,pk"`
	EnrollmentID       string          `bun:"enrollment_id"`
	ApprenticeID       string          `bun:"apprentice_id"`
	Competency         string          `bun:"competency"`
	Variant            string          `bun:"variant"`
	ChecklistVersion   int             `bun:"checklist_version"`
	PerformedOn        curriculum.Date `bun:"performed_on"`
	SiteID             string          `bun:"site_id"`
	ObserverID         string          `bun:"observer_id"`
	ObserverName       string          `bun:"observer_name"`
	ObserverCredential string          `bun:"observer_credential"`
	Steps              string          `bun:"steps"`
	Successful         bool            `bun:"successful"`
	Comments           string          `bun:"comments"`
	Supersedes         *string         `bun:"supersedes"`
	CorrectionReason   string          `bun:"correction_reason"`
	RecordedAt         time.Time       `bun:"recorded_at"`
	IdempotencyKey     string          `bun:"idempotency_key"`
	RequestHash        string          `bun:"request_hash,nullzero"`
	TranscribedBy      *string         `bun:"transcribed_by"`
	SourceNote         string          `bun:"source_note"`
}

type stepJSON struct {
	Index int  `json:"index"`
	Met   bool `json:"met"`
}

func observationRowOf(o *assessments.Observation) *observationRow {
	steps := make([]stepJSON, len(o.Steps))
	for i, s := range o.Steps {
		steps[i] = stepJSON{s.Index, s.Met}
	}
	b, _ := json.Marshal(steps)
	return &observationRow{ID: o.ID, EnrollmentID: o.EnrollmentID, ApprenticeID: o.ApprenticeID, Competency: o.Competency,
		Variant: o.Variant, ChecklistVersion: o.ChecklistVersion, PerformedOn: o.PerformedOn, SiteID: o.SiteID,
		ObserverID: o.ObserverID, ObserverName: o.ObserverName, ObserverCredential: string(o.ObserverCredential),
		Steps: string(b), Successful: o.Successful, Comments: o.Comments, Supersedes: nullable(o.Supersedes),
		CorrectionReason: o.CorrectionReason, RecordedAt: o.RecordedAt.UTC(), IdempotencyKey: o.IdempotencyKey, RequestHash: o.RequestHash,
		TranscribedBy: nullable(o.TranscribedBy), SourceNote: o.SourceNote}
}

// parseSteps reads the steps column. Observations are the bulk of what a
// decision loads, so the form this package writes, [{"index":0,"met":true},
// …], is read by hand (encoding/json took a fifth of an export's CPU);
// anything else goes through encoding/json.
func parseSteps(s string) []stepJSON {
	out := make([]stepJSON, 0, strings.Count(s, "{"))
	rest, ok := strings.CutPrefix(s, "[")
	for ok && rest != "]" {
		var item string
		item, rest, ok = strings.Cut(rest, "}")
		if !ok {
			break
		}
		idx, met, found := strings.Cut(strings.TrimPrefix(item, "{"), ",")
		n, err := strconv.Atoi(strings.TrimPrefix(idx, `"index":`))
		if !found || err != nil || !strings.HasPrefix(idx, `"index":`) || (met != `"met":true` && met != `"met":false`) {
			ok = false
			break
		}
		out = append(out, stepJSON{Index: n, Met: met == `"met":true`})
		rest = strings.TrimPrefix(rest, ",")
	}
	if !ok {
		out = out[:0]
		_ = json.Unmarshal([]byte(s), &out)
	}
	return out
}

func (r *observationRow) observation() assessments.Observation {
	steps := parseSteps(r.Steps)
	o := assessments.Observation{ID: r.ID, EnrollmentID: r.EnrollmentID, ApprenticeID: r.ApprenticeID, Competency: r.Competency,
		Variant: r.Variant, ChecklistVersion: r.ChecklistVersion, PerformedOn: r.PerformedOn, SiteID: r.SiteID,
		ObserverID: r.ObserverID, ObserverName: r.ObserverName, ObserverCredential: curriculum.ProfessionalCredential(r.ObserverCredential),
		Successful: r.Successful, Comments: r.Comments, CorrectionReason: r.CorrectionReason, RecordedAt: r.RecordedAt, IdempotencyKey: r.IdempotencyKey, RequestHash: r.RequestHash}
	for _, s := range steps {
		o.Steps = append(o.Steps, assessments.StepResult{Index: s.Index, Met: s.Met})
	}
	if r.Supersedes != nil {
		o.Supersedes = *r.Supersedes
	}
	if r.TranscribedBy != nil {
		o.TranscribedBy, o.SourceNote = *r.TranscribedBy, r.SourceNote
	}
	return o
}

type paperSignOffRow struct {
	bun.BaseModel  `bun:"table:paper_sign_offs"`
	ID             string          `bun:"id,pk"`
	EnrollmentID   string          `bun:"enrollment_id"`
	ApprenticeID   string          `bun:"apprentice_id"`
	Competency     string          `bun:"competency"`
	Kind           string          `bun:"kind"`
	SignedOn       curriculum.Date `bun:"signed_on"`
	PrintedName    string          `bun:"printed_name"`
	Credential     string          `bun:"credential"`
	SourceNote     string          `bun:"source_note"`
	TranscribedBy  string          `bun:"transcribed_by"`
	RecordedAt     time.Time       `bun:"recorded_at"`
	IdempotencyKey string          `bun:"idempotency_key"`
	RequestHash    string          `bun:"request_hash,nullzero"`
}

func paperSignOffRowOf(p *assessments.PaperSignOff) *paperSignOffRow {
	return &paperSignOffRow{ID: p.ID, EnrollmentID: p.EnrollmentID, ApprenticeID: p.ApprenticeID, Competency: p.Competency, Kind: string(p.Kind),
		SignedOn: p.SignedOn, PrintedName: p.PrintedName, Credential: string(p.Credential), SourceNote: p.SourceNote,
		TranscribedBy: p.TranscribedBy, RecordedAt: p.RecordedAt.UTC(), IdempotencyKey: p.IdempotencyKey, RequestHash: p.RequestHash}
}

func (r *paperSignOffRow) paperSignOff() assessments.PaperSignOff {
	return assessments.PaperSignOff{ID: r.ID, EnrollmentID: r.EnrollmentID, ApprenticeID: r.ApprenticeID, Competency: r.Competency,
		Kind: curriculum.SignOffKind(r.Kind), SignedOn: r.SignedOn, PrintedName: r.PrintedName, Credential: curriculum.ProfessionalCredential(r.Credential),
		SourceNote: r.SourceNote, TranscribedBy: r.TranscribedBy, RecordedAt: r.RecordedAt.UTC(), IdempotencyKey: r.IdempotencyKey, RequestHash: r.RequestHash}
}

type testRow struct {
	bun.BaseModel  `bun:"table:test_results"`
	ID             string          `bun:"id,pk"`
	EnrollmentID   string          `bun:"enrollment_id"`
	ApprenticeID   string          `bun:"apprentice_id"`
	Competency     string          `bun:"competency"`
	Score          float64         `bun:"score"`
	PassMark       int             `bun:"pass_mark"`
	TakenOn        curriculum.Date `bun:"taken_on"`
	RecordedBy     string          `bun:"recorded_by"`
	RecordedAt     time.Time       `bun:"recorded_at"`
	IdempotencyKey string          `bun:"idempotency_key"`
	RequestHash    string          `bun:"request_hash,nullzero"`
	TranscribedBy  *string         `bun:"transcribed_by"`
	AttestedBy     string          `bun:"attested_by"`
	SourceNote     string          `bun:"source_note"`
}

func (r *testRow) result() assessments.TestResult {
	t := assessments.TestResult{ID: r.ID, EnrollmentID: r.EnrollmentID, ApprenticeID: r.ApprenticeID, Competency: r.Competency,
		Score: r.Score, PassMark: r.PassMark, TakenOn: r.TakenOn, RecordedBy: r.RecordedBy, RecordedAt: r.RecordedAt, IdempotencyKey: r.IdempotencyKey, RequestHash: r.RequestHash,
		AttestedBy: r.AttestedBy, SourceNote: r.SourceNote}
	if r.TranscribedBy != nil {
		t.TranscribedBy = *r.TranscribedBy
	}
	return t
}

type signOffRow struct {
	bun.BaseModel    `bun:"table:sign_offs"`
	ID               string          `bun:"id,pk"`
	EnrollmentID     string          `bun:"enrollment_id"`
	ApprenticeID     string          `bun:"apprentice_id"`
	VersionID        string          `bun:"version_id"`
	Competency       string          `bun:"competency"`
	Kind             string          `bun:"kind"`
	Seq              int             `bun:"seq"`
	SignedOn         curriculum.Date `bun:"signed_on"`
	Covered          string          `bun:"covered"`
	SignerID         string          `bun:"signer_id"`
	PrintedName      string          `bun:"printed_name"`
	Credential       string          `bun:"credential"`
	SignedAt         time.Time       `bun:"signed_at"`
	TimeZone         string          `bun:"time_zone"`
	Meaning          string          `bun:"meaning"`
	PerformanceIDs   string          `bun:"performance_ids"`
	TestResultID     string          `bun:"test_result_id"`
	ChecklistVersion int             `bun:"checklist_version"`
	Hash             string          `bun:"hash"`
	IdempotencyKey   string          `bun:"idempotency_key"`
	RequestHash      string          `bun:"request_hash,nullzero"`
	AuthMethod       string          `bun:"auth_method"`
}

func jsonList(s []string) string {
	if s == nil {
		s = []string{}
	}
	b, _ := json.Marshal(s)
	return string(b)
}

func parseList(s string) []string {
	if s == "" || s == "[]" {
		return nil // most lists, without the JSON decoder
	}
	var out []string
	_ = json.Unmarshal([]byte(s), &out)
	if len(out) == 0 {
		return nil
	}
	return out
}

func signOffRowOf(so *assessments.SignOff) *signOffRow {
	sig := so.Signature
	return &signOffRow{ID: so.ID, EnrollmentID: so.EnrollmentID, ApprenticeID: so.ApprenticeID, VersionID: so.VersionID,
		Competency: so.Competency, Kind: string(so.Kind), SignedOn: so.SignedOn, Covered: jsonList(so.Covered),
		SignerID: sig.SignerID, PrintedName: sig.PrintedName, Credential: string(sig.Credential), SignedAt: sig.SignedAt.UTC(),
		TimeZone: sig.TimeZone, Meaning: sig.Meaning, PerformanceIDs: jsonList(sig.PerformanceIDs), TestResultID: sig.TestResultID,
		ChecklistVersion: sig.ChecklistVersion, Hash: sig.Hash, IdempotencyKey: so.IdempotencyKey, RequestHash: so.RequestHash,
		AuthMethod: so.AuthMethod}
}

func (r *signOffRow) signOff() assessments.SignOff {
	return assessments.SignOff{ID: r.ID, EnrollmentID: r.EnrollmentID, ApprenticeID: r.ApprenticeID, VersionID: r.VersionID,
		Competency: r.Competency, Kind: curriculum.SignOffKind(r.Kind), SignedOn: r.SignedOn, Covered: parseList(r.Covered),
		IdempotencyKey: r.IdempotencyKey, RequestHash: r.RequestHash, AuthMethod: r.AuthMethod, Signature: assessments.Signature{SignerID: r.SignerID, PrintedName: r.PrintedName,
			Credential: curriculum.ProfessionalCredential(r.Credential), SignedAt: r.SignedAt.UTC(), TimeZone: r.TimeZone,
			Meaning: r.Meaning, PerformanceIDs: parseList(r.PerformanceIDs), TestResultID: r.TestResultID,
			ChecklistVersion: r.ChecklistVersion, Hash: r.Hash}}
}

type revocationRow struct {
	bun.BaseModel  `bun:"table:revocations"`
	ID             string          `bun:"id,pk"`
	SignOffID      string          `bun:"sign_off_id"`
	EnrollmentID   string          `bun:"enrollment_id"`
	ApprenticeID   string          `bun:"apprentice_id"`
	Competency     string          `bun:"competency"`
	EffectiveOn    curriculum.Date `bun:"effective_on"`
	Reason         string          `bun:"reason"`
	RevokedBy      string          `bun:"revoked_by"`
	RevokerName    string          `bun:"revoker_name"`
	RecordedAt     time.Time       `bun:"recorded_at"`
	IdempotencyKey string          `bun:"idempotency_key"`
	RequestHash    string          `bun:"request_hash,nullzero"`
}

// paperRevocationRow is the revocation of a paper sign-off.
type paperRevocationRow struct {
	bun.BaseModel  `bun:"table:paper_revocations"`
	ID             string          `bun:"id,pk"`
	PaperSignOffID string          `bun:"paper_sign_off_id"`
	EnrollmentID   string          `bun:"enrollment_id"`
	ApprenticeID   string          `bun:"apprentice_id"`
	Competency     string          `bun:"competency"`
	EffectiveOn    curriculum.Date `bun:"effective_on"`
	Reason         string          `bun:"reason"`
	RevokedBy      string          `bun:"revoked_by"`
	RevokerName    string          `bun:"revoker_name"`
	RecordedAt     time.Time       `bun:"recorded_at"`
	IdempotencyKey string          `bun:"idempotency_key"`
	RequestHash    string          `bun:"request_hash,nullzero"`
}

func (r *paperRevocationRow) revocation() assessments.Revocation {
	return assessments.Revocation{ID: r.ID, SignOffID: r.PaperSignOffID, EnrollmentID: r.EnrollmentID, ApprenticeID: r.ApprenticeID,
		Competency: r.Competency, EffectiveOn: r.EffectiveOn, Reason: r.Reason, RevokedBy: r.RevokedBy, RevokerName: r.RevokerName,
		RecordedAt: r.RecordedAt, IdempotencyKey: r.IdempotencyKey, RequestHash: r.RequestHash, Paper: true}
}

func (r *revocationRow) revocation() assessments.Revocation {
	return assessments.Revocation{ID: r.ID, SignOffID: r.SignOffID, EnrollmentID: r.EnrollmentID, ApprenticeID: r.ApprenticeID,
		Competency: r.Competency, EffectiveOn: r.EffectiveOn, Reason: r.Reason, RevokedBy: r.RevokedBy, RevokerName: r.RevokerName,
		RecordedAt: r.RecordedAt, IdempotencyKey: r.IdempotencyKey, RequestHash: r.RequestHash}
}

type selfLogRow struct {
	bun.BaseModel      `bun:"table:self_logs"`
	ID                 string          `bun:"id,pk"`
	EnrollmentID       string          `bun:"enrollment_id"`
	ApprenticeID       string          `bun:"apprentice_id"`
	Competency         string          `bun:"competency"`
	Variant            string          `bun:"variant"`
	PerformedOn        curriculum.Date `bun:"performed_on"`
	SiteID             string          `bun:"site_id"`
	SupervisorID       string          `bun:"supervisor_id"`
	Comments           string          `bun:"comments"`
	LoggedAt           time.Time       `bun:"logged_at"`
	Status             string          `bun:"status"`
	ReviewedBy         *string         `bun:"reviewed_by"`
	ReviewerName       string          `bun:"reviewer_name"`
	ReviewerCredential string          `bun:"reviewer_credential"`
	ReviewedAt         *time.Time      `bun:"reviewed_at"`
	RejectionReason    string          `bun:"rejection_reason"`
	IdempotencyKey     string          `bun:"idempotency_key"`
	RequestHash        string          `bun:"request_hash,nullzero"`
	TranscribedBy      *string         `bun:"transcribed_by"`
	SourceNote         string          `bun:"source_note"`
}

func (r *selfLogRow) selfLog() assessments.SelfLog {
	l := assessments.SelfLog{ID: r.ID, EnrollmentID: r.EnrollmentID, ApprenticeID: r.ApprenticeID, Competency: r.Competency,
		Variant: r.Variant, PerformedOn: r.PerformedOn, SiteID: r.SiteID, SupervisorID: r.SupervisorID, Comments: r.Comments,
		LoggedAt: r.LoggedAt, Status: assessments.SelfLogStatus(r.Status), ReviewerName: r.ReviewerName,
		ReviewerCredential: curriculum.ProfessionalCredential(r.ReviewerCredential), RejectionReason: r.RejectionReason, IdempotencyKey: r.IdempotencyKey, RequestHash: r.RequestHash}
	if r.ReviewedBy != nil {
		l.ReviewedBy = *r.ReviewedBy
	}
	if r.ReviewedAt != nil {
		l.ReviewedAt = *r.ReviewedAt
	}
	if r.TranscribedBy != nil {
		l.TranscribedBy, l.SourceNote = *r.TranscribedBy, r.SourceNote
	}
	return l
}

func selfLogRowOf(l *assessments.SelfLog) *selfLogRow {
	r := &selfLogRow{ID: l.ID, EnrollmentID: l.EnrollmentID, ApprenticeID: l.ApprenticeID, Competency: l.Competency, Variant: l.Variant,
		PerformedOn: l.PerformedOn, SiteID: l.SiteID, SupervisorID: l.SupervisorID, Comments: l.Comments, LoggedAt: l.LoggedAt.UTC(),
		Status: string(l.Status), ReviewedBy: nullable(l.ReviewedBy), ReviewerName: l.ReviewerName,
		ReviewerCredential: string(l.ReviewerCredential), RejectionReason: l.RejectionReason, IdempotencyKey: l.IdempotencyKey, RequestHash: l.RequestHash,
		TranscribedBy: nullable(l.TranscribedBy), SourceNote: l.SourceNote}
	if !l.ReviewedAt.IsZero() {
		t := l.ReviewedAt.UTC()
		r.ReviewedAt = &t
	}
	return r
}

type hoursRow struct {
	bun.BaseModel   `bun:"table:hours_entries"`
	ID              string          `bun:"id,pk"`
	EnrollmentID    string          `bun:"enrollment_id"`
	ApprenticeID    string          `bun:"apprentice_id"`
	Kind            string          `bun:"kind"`
	Code            string          `bun:"code"`
	WorkedOn        curriculum.Date `bun:"worked_on"`
	Minutes         int             `bun:"minutes"`
	SupervisorID    *string         `bun:"supervisor_id"`
	Note            string          `bun:"note"`
	LoggedAt        time.Time       `bun:"logged_at"`
	Status          string          `bun:"status"`
	ReviewedBy      *string         `bun:"reviewed_by"`
	ReviewerName    string          `bun:"reviewer_name"`
	ReviewedAt      *time.Time      `bun:"reviewed_at"`
	RejectionReason string          `bun:"rejection_reason"`
	IdempotencyKey  string          `bun:"idempotency_key"`
	RequestHash     string          `bun:"request_hash,nullzero"`
	TranscribedBy   *string         `bun:"transcribed_by"`
	SourceNote      string          `bun:"source_note"`
}

func (r *hoursRow) entry() assessments.HoursEntry {
	h := assessments.HoursEntry{ID: r.ID, EnrollmentID: r.EnrollmentID, ApprenticeID: r.ApprenticeID, Kind: assessments.HoursKind(r.Kind),
		Code: r.Code, WorkedOn: r.WorkedOn, Minutes: assessments.Minutes(r.Minutes), Note: r.Note, LoggedAt: r.LoggedAt,
		Status: assessments.HoursStatus(r.Status), ReviewerName: r.ReviewerName, RejectionReason: r.RejectionReason, IdempotencyKey: r.IdempotencyKey, RequestHash: r.RequestHash}
	if r.SupervisorID != nil {
		h.SupervisorID = *r.SupervisorID
	}
	if r.ReviewedBy != nil {
		h.ReviewedBy = *r.ReviewedBy
	}
	if r.ReviewedAt != nil {
		h.ReviewedAt = *r.ReviewedAt
	}
	if r.TranscribedBy != nil {
		h.TranscribedBy, h.SourceNote = *r.TranscribedBy, r.SourceNote
	}
	return h
}

func hoursRowOf(h *assessments.HoursEntry) *hoursRow {
	r := &hoursRow{ID: h.ID, EnrollmentID: h.EnrollmentID, ApprenticeID: h.ApprenticeID, Kind: string(h.Kind), Code: h.Code,
		WorkedOn: h.WorkedOn, Minutes: int(h.Minutes), SupervisorID: nullable(h.SupervisorID), Note: h.Note, LoggedAt: h.LoggedAt.UTC(),
		Status: string(h.Status), ReviewedBy: nullable(h.ReviewedBy), ReviewerName: h.ReviewerName, RejectionReason: h.RejectionReason,
		IdempotencyKey: h.IdempotencyKey, RequestHash: h.RequestHash, TranscribedBy: nullable(h.TranscribedBy), SourceNote: h.SourceNote}
	if !h.ReviewedAt.IsZero() {
		t := h.ReviewedAt.UTC()
		r.ReviewedAt = &t
	}
	return r
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
