package assessments

import (
	"strings"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// Historical evidence: clinics adopting Skillgate have years of paper
// checklists and signed competency forms. A program director or HR
// transcribes them: each record keeps the day it happened (counted from
// then) and when it was entered, names who attested it on paper, and is
// marked as transcribed from paper wherever it is shown. Who may
// transcribe (directors and HR, never for themselves) is the access
// layer's policy; the rules here refuse the apprentice's own records.

// MaxSourceNoteLen bounds a transcription's page reference or note.
const MaxSourceNoteLen = 500

// TranscriptionRequest is a paper record of an observed performance, as a
// director or HR types it in.
type TranscriptionRequest struct {
	IdempotencyKey string
	Competency     string
	Variant        string
	PerformedOn    curriculum.Date
	// Successful is what the paper record says: every critical step met.
	Successful bool
	// AttestedBy and AttesterCredential are who observed and signed the
	// paper record (printed name, credential); the credential must be one
	// the competency's observer rule allows.
	AttestedBy         string
	AttesterCredential curriculum.ProfessionalCredential
	// SourceNote says where the paper is (binder, page, scanned file);
	// optional.
	SourceNote string
}

// NewTranscribedObservation validates a transcription and returns the
// observation to store (ID empty): marked TranscribedBy the one who
// typed it in (who is also its ObserverID, the account that recorded it),
// with the attester as ObserverName and ObserverCredential, the checklist
// scored all met (successful) or all missed, and RecordedAt now. Unlike an
// observation at the point of care it may be dated before the enrollment
// started (paper from before go-live). It returns nil and an *Error:
// ErrInvalidIdempotencyKey; ErrInvalidEnrollment or ErrEnrollmentInactive;
// ErrSelfObservation (one's own records); ErrMissingField,
// ErrUnknownCompetency, ErrNothingToPerform, ErrInvalidVariant;
// ErrAttesterNotAllowed (the attester's credential); ErrFutureDate;
// ErrInvalidText, ErrTextTooLong.
func NewTranscribedObservation(e *Enrollment, by Actor, req TranscriptionRequest, now time.Time) (*Observation, error) {
	if err := checkTranscriber(e, by, req.IdempotencyKey, ErrSelfObservation); err != nil {
		return nil, err
	}
	c, err := e.competency(req.Competency, "competency")
	if err != nil {
		return nil, err
	}
	if err := checkVariant(c, req.Variant, "variant"); err != nil {
		return nil, err
	}
	if err := checkPastDay(e, req.PerformedOn, now, "performed_on", "performance"); err != nil {
		return nil, err
	}
	if err := checkObservedAttester(c, req.AttestedBy, req.AttesterCredential, req.SourceNote); err != nil {
		return nil, err
	}
	steps := make([]StepResult, len(c.Checklist))
	for i := range steps {
		steps[i] = StepResult{Index: i, Met: req.Successful}
	}
	return &Observation{
		EnrollmentID:       e.ID,
		ApprenticeID:       e.ApprenticeID,
		Competency:         c.Code,
		Variant:            req.Variant,
		ChecklistVersion:   c.ChecklistVersion,
		PerformedOn:        req.PerformedOn,
		SiteID:             e.SiteID,
		ObserverID:         by.ID,
		ObserverName:       strings.TrimSpace(req.AttestedBy),
		ObserverCredential: req.AttesterCredential,
		Steps:              steps,
		Successful:         req.Successful && len(missedCritical(c, steps)) == 0,
		TranscribedBy:      by.ID,
		SourceNote:         strings.TrimSpace(req.SourceNote),
		RecordedAt:         utc(now),
		IdempotencyKey:     req.IdempotencyKey,
	}, nil
}

// PaperSignOff is a competency sign-off signed on paper and transcribed
// from historical records: evidence of a paper signature (the signer's
// printed name and credential, the date on the form), never an electronic
// signature. It counts as the competency's sign-off only where the
// program allows paper sign-offs (curriculum.Competency.PaperSignOffs).
type PaperSignOff struct {
	ID           string                 `json:"id"`
	EnrollmentID string                 `json:"enrollment_id"`
	ApprenticeID string                 `json:"apprentice_id"`
	Competency   string                 `json:"competency"`
	Kind         curriculum.SignOffKind `json:"kind"`
	// SignedOn is the date on the paper form.
	SignedOn    curriculum.Date                   `json:"signed_on"`
	PrintedName string                            `json:"printed_name"`
	Credential  curriculum.ProfessionalCredential `json:"credential"`
	SourceNote  string                            `json:"source_note"`
	// TranscribedBy is who typed it in, at RecordedAt.
	TranscribedBy  string    `json:"transcribed_by"`
	RecordedAt     time.Time `json:"recorded_at"`
	IdempotencyKey string    `json:"idempotency_key"`
	RequestHash    string    `json:"-"`
}

// PaperSignOffRequest is a paper sign-off as a director or HR types it in.
type PaperSignOffRequest struct {
	IdempotencyKey string
	Competency     string
	// Kind is initial (the default) or reverification.
	Kind        curriculum.SignOffKind
	SignedOn    curriculum.Date
	PrintedName string
	Credential  curriculum.ProfessionalCredential
	SourceNote  string
}

// NewPaperSignOff validates a paper sign-off's transcription and returns
// the record to store (ID empty). The signer's credential must be one the
// competency's sign-off rule allows. A competency that does not allow
// paper sign-offs still takes the record (the paper exists and is kept),
// but it does not count; Counts says which. It returns nil and an *Error:
// ErrInvalidIdempotencyKey; ErrInvalidEnrollment or ErrEnrollmentInactive;
// ErrSelfSignOff; ErrMissingField, ErrUnknownCompetency; ErrInvalidKind;
// ErrFutureDate; ErrSignerNotAuthorized; ErrInvalidText, ErrTextTooLong.
func NewPaperSignOff(e *Enrollment, by Actor, req PaperSignOffRequest, now time.Time) (*PaperSignOff, error) {
	if err := checkTranscriber(e, by, req.IdempotencyKey, ErrSelfSignOff); err != nil {
		return nil, err
	}
	c, err := e.competency(req.Competency, "competency")
	if err != nil {
		return nil, err
	}
	kind := req.Kind
	if kind == "" {
		kind = curriculum.InitialSignOff
	}
	if kind != curriculum.InitialSignOff && kind != curriculum.ReverificationSignOff {
		return nil, fail(ErrInvalidKind, "kind", "A sign-off is either initial or a re-verification.")
	}
	if err := checkPastDay(e, req.SignedOn, now, "signed_on", "signature"); err != nil {
		return nil, err
	}
	if err := checkAttester(req.PrintedName, "printed_name"); err != nil {
		return nil, err
	}
	if !c.MaySignOff("", req.Credential) {
		return nil, fail(ErrSignerNotAuthorized, "credential", "%s can be signed off by %s; choose the credential the paper form names.",
			c.Title, describeAuthorization(c.SignedOffBy))
	}
	if err := checkText(req.SourceNote, "source_note", "note", MaxSourceNoteLen); err != nil {
		return nil, err
	}
	return &PaperSignOff{EnrollmentID: e.ID, ApprenticeID: e.ApprenticeID, Competency: c.Code, Kind: kind, SignedOn: req.SignedOn,
		PrintedName: strings.TrimSpace(req.PrintedName), Credential: req.Credential, SourceNote: strings.TrimSpace(req.SourceNote),
		TranscribedBy: by.ID, RecordedAt: utc(now), IdempotencyKey: req.IdempotencyKey}, nil
}

// Counts reports whether the paper sign-off counts in version pv: its
// competency allows paper sign-offs.
func (p *PaperSignOff) Counts(pv *ProgramVersion) bool {
	if pv == nil {
		return false
	}
	c := pv.Competency(p.Competency)
	return c != nil && c.AllowsPaperSignOffs()
}

// checkPastDay requires a day no later than today in the program's zone
// (historical records may predate the enrollment).
func checkPastDay(e *Enrollment, d curriculum.Date, now time.Time, field, what string) error {
	if d.IsZero() {
		return fail(ErrMissingField, field, "Enter the date of the %s on the paper record.", what)
	}
	if today := e.Version.Day(now); d.After(today) {
		return fail(ErrFutureDate, field, "The %s date %s is in the future (today is %s).", what, d, today)
	}
	return nil
}

// checkTranscriber runs the checks every transcription starts with: the
// idempotency key, an enrollment that takes records, and a transcriber
// who is not the apprentice (self is the code to refuse that with).
func checkTranscriber(e *Enrollment, by Actor, key string, self *Error) error {
	if err := ValidateIdempotencyKey(key); err != nil {
		return err
	}
	if err := e.ready(); err != nil {
		return err
	}
	if by.ID == "" || by.ID == e.ApprenticeID {
		return fail(self, "competency", "You cannot transcribe records of your own training; another director or HR must.")
	}
	return nil
}

// checkObservedAttester checks who attested an observed performance on
// paper (their name, and a credential the competency's observer rule
// allows) and the note on where the paper is.
func checkObservedAttester(c *curriculum.Competency, name string, cred curriculum.ProfessionalCredential, note string) error {
	if err := checkAttester(name, "attested_by"); err != nil {
		return err
	}
	if !c.MayObserve("", cred) {
		return fail(ErrAttesterNotAllowed, "attester_credential", "%s can be observed by %s; choose the credential the paper record names.",
			c.Title, describeAuthorization(c.ObservedBy))
	}
	return checkText(note, "source_note", "note", MaxSourceNoteLen)
}

// checkAttester requires the printed name of who signed the paper.
func checkAttester(name, field string) error {
	if strings.TrimSpace(name) == "" {
		return fail(ErrMissingField, field, "Enter the name printed on the paper record of who observed or signed it.")
	}
	return checkText(name, field, "name", 200)
}

// PaperSelfLogRequest is an apprentice's self-logged performance verified
// on paper (a logbook page countersigned by the supervisor), as a
// director or HR types it in.
type PaperSelfLogRequest struct {
	IdempotencyKey string
	Competency     string
	Variant        string
	PerformedOn    curriculum.Date
	// AttestedBy and AttesterCredential are the supervisor who
	// countersigned the paper log; the credential must be one the
	// competency's observer rule allows.
	AttestedBy         string
	AttesterCredential curriculum.ProfessionalCredential
	SourceNote         string
}

// NewTranscribedSelfLog validates a paper self-log's transcription and
// returns the record to store (ID empty): verified on paper, so it counts
// as one successful performance from the day performed; the supervisor
// and reviewer are the transcriber's account (the one who recorded it),
// ReviewerName and ReviewerCredential who attested it, and LoggedAt and
// ReviewedAt now (when Skillgate learnt of it). It returns the errors of
// NewTranscribedObservation.
func NewTranscribedSelfLog(e *Enrollment, by Actor, req PaperSelfLogRequest, now time.Time) (*SelfLog, error) {
	if err := checkTranscriber(e, by, req.IdempotencyKey, ErrSelfObservation); err != nil {
		return nil, err
	}
	c, err := e.competency(req.Competency, "competency")
	if err != nil {
		return nil, err
	}
	if err := checkVariant(c, req.Variant, "variant"); err != nil {
		return nil, err
	}
	if err := checkPastDay(e, req.PerformedOn, now, "performed_on", "performance"); err != nil {
		return nil, err
	}
	if err := checkObservedAttester(c, req.AttestedBy, req.AttesterCredential, req.SourceNote); err != nil {
		return nil, err
	}
	t := utc(now)
	return &SelfLog{EnrollmentID: e.ID, ApprenticeID: e.ApprenticeID, Competency: c.Code, Variant: req.Variant, PerformedOn: req.PerformedOn,
		SiteID: e.SiteID, SupervisorID: by.ID, LoggedAt: t, Status: SelfLogVerified, ReviewedBy: by.ID,
		ReviewerName: strings.TrimSpace(req.AttestedBy), ReviewerCredential: req.AttesterCredential, ReviewedAt: t,
		TranscribedBy: by.ID, SourceNote: strings.TrimSpace(req.SourceNote), IdempotencyKey: req.IdempotencyKey}, nil
}

// PaperHoursRequest is hours approved on paper (a signed timesheet), as a
// director or HR types them in.
type PaperHoursRequest struct {
	IdempotencyKey string
	Kind           HoursKind
	Code           string
	WorkedOn       curriculum.Date
	Minutes        Minutes
	// AttestedBy is who approved the hours on paper.
	AttestedBy string
	SourceNote string
}

// NewTranscribedHours validates a paper hours entry's transcription and
// returns the record to store (ID empty): approved on paper, so it counts
// from the day worked; supervisor and reviewer are the transcriber's
// account, ReviewerName who approved it on paper. It returns nil and an
// *Error: the checks of checkTranscriber; ErrUnknownHoursCode;
// ErrInvalidHours; ErrMissingField or ErrFutureDate; ErrMissingField,
// ErrInvalidText, ErrTextTooLong.
func NewTranscribedHours(e *Enrollment, by Actor, req PaperHoursRequest, now time.Time) (*HoursEntry, error) {
	if err := checkTranscriber(e, by, req.IdempotencyKey, ErrSelfObservation); err != nil {
		return nil, err
	}
	if err := checkHoursCode(e.Version.Program(), req.Kind, req.Code); err != nil {
		return nil, err
	}
	if err := checkMinutes(req.Minutes); err != nil {
		return nil, err
	}
	if err := checkPastDay(e, req.WorkedOn, now, "worked_on", "work"); err != nil {
		return nil, err
	}
	if err := checkAttester(req.AttestedBy, "attested_by"); err != nil {
		return nil, err
	}
	if err := checkText(req.SourceNote, "source_note", "note", MaxSourceNoteLen); err != nil {
		return nil, err
	}
	t := utc(now)
	return &HoursEntry{EnrollmentID: e.ID, ApprenticeID: e.ApprenticeID, Kind: req.Kind, Code: req.Code, WorkedOn: req.WorkedOn,
		Minutes: req.Minutes, SupervisorID: by.ID, LoggedAt: t, Status: HoursApproved, ReviewedBy: by.ID,
		ReviewerName: strings.TrimSpace(req.AttestedBy), ReviewedAt: t, TranscribedBy: by.ID,
		SourceNote: strings.TrimSpace(req.SourceNote), IdempotencyKey: req.IdempotencyKey}, nil
}

// PaperTestRequest is a knowledge test graded on paper, as a director or
// HR types it in.
type PaperTestRequest struct {
	IdempotencyKey string
	Competency     string
	Score          float64
	TakenOn        curriculum.Date
	// AttestedBy is who graded the paper test.
	AttestedBy string
	SourceNote string
}

// NewTranscribedTest validates a paper test result's transcription and
// returns the record to store (ID empty), recorded by the transcriber
// now and counted from the day taken. It returns nil and an *Error: the
// checks of checkTranscriber; ErrMissingField, ErrUnknownCompetency,
// ErrNoKnowledgeTest; ErrInvalidScore; ErrMissingField or ErrFutureDate;
// ErrMissingField, ErrInvalidText, ErrTextTooLong.
func NewTranscribedTest(e *Enrollment, by Actor, req PaperTestRequest, now time.Time) (*TestResult, error) {
	if err := checkTranscriber(e, by, req.IdempotencyKey, ErrSelfObservation); err != nil {
		return nil, err
	}
	c, err := e.competency(req.Competency, "competency")
	if err != nil {
		return nil, err
	}
	if err := checkScore(c, req.Score); err != nil {
		return nil, err
	}
	if err := checkPastDay(e, req.TakenOn, now, "taken_on", "test"); err != nil {
		return nil, err
	}
	if err := checkAttester(req.AttestedBy, "attested_by"); err != nil {
		return nil, err
	}
	if err := checkText(req.SourceNote, "source_note", "note", MaxSourceNoteLen); err != nil {
		return nil, err
	}
	return &TestResult{EnrollmentID: e.ID, ApprenticeID: e.ApprenticeID, Competency: c.Code, Score: req.Score,
		PassMark: c.KnowledgeTest.PassMark, TakenOn: req.TakenOn, RecordedBy: by.ID, RecordedAt: utc(now), TranscribedBy: by.ID,
		AttestedBy: strings.TrimSpace(req.AttestedBy), SourceNote: strings.TrimSpace(req.SourceNote), IdempotencyKey: req.IdempotencyKey}, nil
}
