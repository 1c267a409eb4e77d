package assessments

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// StepResult is the observer's answer for one checklist step.
type StepResult struct {
	// Index is the step's position in the competency's checklist, from 0.
	// (People see step Index+1.)
	Index int  `json:"index"`
	Met   bool `json:"met"`
}

// Observation is a preceptor's record that an apprentice performed a
// competency on a day at a site, scored step by step against the checklist.
//
// It holds no patient-identifying data: there is no field for it, and
// comments are for technique, not for who the patient was. Observations are
// never edited or deleted; a correction is a new Observation whose
// Supersedes names the one it replaces and whose CorrectionReason says why.
// Both stay on file; from the correction on, only the new one counts.
type Observation struct {
	ID           string `json:"id"`
	EnrollmentID string `json:"enrollment_id"`
	ApprenticeID string `json:"apprentice_id"`

	Competency string `json:"competency"`
	// Variant is set when the competency's requirement has variants (IM,
	// SUBQ, ID), and empty otherwise.
	Variant string `json:"variant"`
	// ChecklistVersion is the version of the checklist the steps were
	// scored against; Steps index into that list.
	ChecklistVersion int             `json:"checklist_version"`
	PerformedOn      curriculum.Date `json:"performed_on"`
	SiteID           string          `json:"site_id"`

	ObserverID         string                            `json:"observer_id"`
	ObserverName       string                            `json:"observer_name"`
	ObserverCredential curriculum.ProfessionalCredential `json:"observer_credential"`

	// Steps holds one answer per checklist step, in step order.
	Steps []StepResult `json:"steps"`
	// Successful is computed by NewObservation: true exactly when every
	// critical step was met. It is stored for queries, never typed in.
	Successful bool   `json:"successful"`
	Comments   string `json:"comments"`

	// Supersedes is the ID of the observation this one corrects, with the
	// reason; both empty for an original record.
	Supersedes       string `json:"supersedes"`
	CorrectionReason string `json:"correction_reason"`

	// TranscribedBy, when set, marks a record transcribed from paper
	// (NewTranscribedObservation): the director or HR person who typed it
	// in; ObserverName and ObserverCredential are then who attested it on
	// paper, and SourceNote where the paper is.
	TranscribedBy string `json:"transcribed_by,omitempty"`
	SourceNote    string `json:"source_note,omitempty"`

	// RecordedAt is when the record was made (UTC); its calendar day in the
	// organisation's zone is when it became evidence.
	RecordedAt     time.Time `json:"recorded_at"`
	IdempotencyKey string    `json:"idempotency_key"`
	// RequestHash is the Fingerprint of the request that made the record
	// (storage keeps it to tell a retry from another request under the key).
	RequestHash string `json:"-"`
}

// ObservationRequest is what an observer submits.
type ObservationRequest struct {
	IdempotencyKey   string
	Competency       string
	Variant          string
	ChecklistVersion int
	PerformedOn      curriculum.Date
	// SiteID defaults to the enrollment's site.
	SiteID   string
	Steps    []StepResult
	Comments string
	// Supersedes and CorrectionReason make the request a correction.
	Supersedes       string
	CorrectionReason string
}

// NewObservation validates an observation and returns the record to store
// (ID empty). history must hold the observations storage has for the record
// being corrected, when req is a correction: at least that record and every
// record that already supersedes it (storage: WHERE id = $1 OR supersedes =
// $1); otherwise it may be nil. Storage should also keep a unique index on
// supersedes, so two concurrent corrections of one record cannot both land.
//
// It returns nil and an *Error, checking in this order:
//   - ErrInvalidIdempotencyKey;
//   - ErrInvalidEnrollment or ErrEnrollmentInactive (on hold, withdrawn);
//   - ErrSelfObservation: the observer is the apprentice;
//   - ErrMissingField, ErrUnknownCompetency: the competency is not in the
//     enrollment's program version;
//   - ErrNothingToPerform: a knowledge-only competency has nothing to observe;
//   - ErrObserverNotAllowed: the competency's observer rule
//     (Competency.MayObserve) does not allow the observer;
//   - ErrInvalidVariant: the variant is missing, unknown, or given for a
//     competency without variants;
//   - ErrChecklistVersion: the form was scored against another checklist
//     version;
//   - ErrStepUnknown, ErrStepRepeated, ErrStepMissing: each step must be
//     answered exactly once;
//   - ErrMissingField, ErrFutureDate, ErrBeforeStart: the performance date
//     (today in the organisation's zone is the latest allowed);
//   - ErrInvalidText, ErrTextTooLong: comments (MaxCommentLen characters);
//   - for corrections: ErrReasonRequired, ErrSupersedeNotFound,
//     ErrSupersedeMismatch (another apprentice or competency),
//     ErrAlreadySuperseded.
func NewObservation(e *Enrollment, observer Actor, req ObservationRequest, history []Observation, now time.Time) (*Observation, error) {
	if err := ValidateIdempotencyKey(req.IdempotencyKey); err != nil {
		return nil, err
	}
	if err := e.ready(); err != nil {
		return nil, err
	}
	if observer.ID == "" {
		return nil, fail(ErrMissingField, "observer_id", "The observer is missing. Log in again and retry.")
	}
	if observer.ID == e.ApprenticeID {
		return nil, fail(ErrSelfObservation, "observer_id", "You cannot record an observation of yourself; ask an authorised preceptor to observe you.")
	}
	c, err := e.competency(req.Competency, "competency")
	if err != nil {
		return nil, err
	}
	if len(c.Performances) == 0 {
		return nil, fail(ErrNothingToPerform, "competency", "%s is assessed by knowledge test and sign-off; it has no observed performances to record.", c.Title)
	}
	if !c.MayObserve(observer.ID, observer.creds()...) {
		return nil, fail(ErrObserverNotAllowed, "observer_id", "%s can be observed by %s; your account does not qualify.",
			c.Title, describeAuthorization(c.ObservedBy))
	}
	if err := checkVariant(c, req.Variant, "variant"); err != nil {
		return nil, err
	}
	if req.ChecklistVersion != c.ChecklistVersion {
		return nil, fail(ErrChecklistVersion, "checklist_version",
			"The %s checklist for this apprentice is version %d, but the form was filled in against version %d. Reload the form and score it again.",
			c.Title, c.ChecklistVersion, req.ChecklistVersion)
	}
	steps, err := checkSteps(c, req.Steps)
	if err != nil {
		return nil, err
	}
	if err := checkDay(e, req.PerformedOn, now, "performed_on", "performance"); err != nil {
		return nil, err
	}
	if err := checkText(req.Comments, "comments", "comment", MaxCommentLen); err != nil {
		return nil, err
	}
	if err := checkSupersede(e, req, history); err != nil {
		return nil, err
	}
	site := req.SiteID
	if site == "" {
		site = e.SiteID
	}
	return &Observation{
		EnrollmentID:       e.ID,
		ApprenticeID:       e.ApprenticeID,
		Competency:         c.Code,
		Variant:            req.Variant,
		ChecklistVersion:   c.ChecklistVersion,
		PerformedOn:        req.PerformedOn,
		SiteID:             site,
		ObserverID:         observer.ID,
		ObserverName:       observer.Name,
		ObserverCredential: observer.Credential,
		Steps:              steps,
		Successful:         len(missedCritical(c, steps)) == 0,
		Comments:           req.Comments,
		Supersedes:         req.Supersedes,
		CorrectionReason:   req.CorrectionReason,
		RecordedAt:         utc(now),
		IdempotencyKey:     req.IdempotencyKey,
	}, nil
}

// checkSteps returns the answers in step order, requiring each step of the
// checklist to be answered exactly once.
func checkSteps(c *curriculum.Competency, in []StepResult) ([]StepResult, error) {
	n := len(c.Checklist)
	seen := make([]bool, n)
	out := make([]StepResult, n)
	for _, s := range in {
		if s.Index < 0 || s.Index >= n {
			return nil, fail(ErrStepUnknown, "steps", "The %s checklist has %d steps; there is no step %d. Reload the form.", c.Title, n, s.Index+1)
		}
		if seen[s.Index] {
			return nil, fail(ErrStepRepeated, "steps["+strconv.Itoa(s.Index)+"]", "Step %d was answered more than once; answer each step once.", s.Index+1)
		}
		seen[s.Index] = true
		out[s.Index] = s
	}
	var missing []string
	for i, ok := range seen {
		if !ok {
			missing = append(missing, strconv.Itoa(i+1))
		}
	}
	if len(missing) > 0 {
		what := "Step " + missing[0] + " of the " + c.Title + " checklist was"
		if len(missing) > 1 {
			what = "Steps " + strings.Join(missing, ", ") + " of the " + c.Title + " checklist were"
		}
		return nil, fail(ErrStepMissing, "steps", "%s not answered; mark every step met or not met.", what)
	}
	return out, nil
}

// missedCritical returns the indexes of critical steps not met.
func missedCritical(c *curriculum.Competency, steps []StepResult) []int {
	var out []int
	for _, s := range steps {
		if s.Index >= 0 && s.Index < len(c.Checklist) && c.Checklist[s.Index].Critical && !s.Met {
			out = append(out, s.Index)
		}
	}
	return out
}

// MissedCriticalSteps returns the indexes of the critical steps of c that
// the observation marks not met: the reasons an attempt was unsuccessful.
// c must be the competency the observation was recorded against.
func (o *Observation) MissedCriticalSteps(c *curriculum.Competency) []int {
	return missedCritical(c, o.Steps)
}

func checkSupersede(e *Enrollment, req ObservationRequest, history []Observation) error {
	if req.Supersedes == "" {
		if req.CorrectionReason != "" {
			return fail(ErrSupersedeNotFound, "supersedes", "A correction reason was given, but not the record it corrects. Choose the record, or remove the reason.")
		}
		return nil
	}
	if err := checkReason(req.CorrectionReason, "correction_reason", "correction"); err != nil {
		return err
	}
	i := slices.IndexFunc(history, func(o Observation) bool { return o.ID == req.Supersedes })
	if i < 0 {
		return fail(ErrSupersedeNotFound, "supersedes", "The observation to correct was not found. Reload the page and try again.")
	}
	old := &history[i]
	if old.ApprenticeID != e.ApprenticeID || old.Competency != req.Competency {
		return fail(ErrSupersedeMismatch, "supersedes",
			"A correction must be for the same apprentice and competency as the record it corrects. To record a different competency, add a new observation instead.")
	}
	for j := range history {
		if history[j].Supersedes == old.ID {
			return fail(ErrAlreadySuperseded, "supersedes",
				"The observation of %s was already corrected on %s. Correct the newer record instead.", old.PerformedOn, e.day(history[j].RecordedAt))
		}
	}
	return nil
}

// SupersededBy maps the ID of every superseded observation in obs to the ID
// of the observation that supersedes it, for showing both with a link.
func SupersededBy(obs []Observation) map[string]string {
	m := make(map[string]string)
	for i := range obs {
		if obs[i].Supersedes != "" {
			m[obs[i].Supersedes] = obs[i].ID
		}
	}
	return m
}

// describeAuthorization renders who may act: "an MD, DO, NP, PA, RN or
// LPN, or a named preceptor".
func describeAuthorization(a curriculum.Authorization) string {
	var parts []string
	for _, c := range a.Credentials {
		parts = append(parts, string(c))
	}
	var s string
	switch len(parts) {
	case 0:
	case 1:
		s = article(parts[0]) + parts[0]
	default:
		s = article(parts[0]) + strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
	}
	if len(a.Preceptors) > 0 {
		if s != "" {
			return s + ", or a named preceptor"
		}
		return "a named preceptor"
	}
	if s == "" {
		return "nobody"
	}
	return s
}

func article(word string) string {
	// Credentials are read letter by letter: "an MD", "an RN", "a PA".
	if word != "" && strings.ContainsRune("AEFHILMNORSX", rune(word[0])) {
		return "an "
	}
	return "a "
}
