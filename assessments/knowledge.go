package assessments

import (
	"math"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// TestResult is one attempt at a competency's knowledge test.
type TestResult struct {
	ID           string `json:"id"`
	EnrollmentID string `json:"enrollment_id"`
	ApprenticeID string `json:"apprentice_id"`
	Competency   string `json:"competency"`
	// Score is in percent, 0–100.
	Score float64 `json:"score"`
	// PassMark is the competency's pass mark when the result was recorded,
	// kept so the result reads the same if a later version changes it.
	PassMark   int             `json:"pass_mark"`
	TakenOn    curriculum.Date `json:"taken_on"`
	RecordedBy string          `json:"recorded_by"`
	RecordedAt time.Time       `json:"recorded_at"`

	// TranscribedBy, when set, marks a result transcribed from paper
	// (NewTranscribedTest): the director or HR person who typed it in (also
	// RecordedBy); AttestedBy is who graded it on paper, SourceNote where
	// the paper is.
	TranscribedBy string `json:"transcribed_by,omitempty"`
	AttestedBy    string `json:"attested_by,omitempty"`
	SourceNote    string `json:"source_note,omitempty"`

	IdempotencyKey string `json:"idempotency_key"`
	// RequestHash is the Fingerprint of the request that made the record
	// (storage keeps it to tell a retry from another request under the key).
	RequestHash string `json:"-"`
}

// Passed reports whether the score reaches the pass mark (a score equal to
// the pass mark passes). It is computed, never stored as typed.
func (t *TestResult) Passed() bool { return t.Score >= float64(t.PassMark) }

// TestResultRequest is a knowledge test result as entered.
type TestResultRequest struct {
	IdempotencyKey string
	Competency     string
	Score          float64
	TakenOn        curriculum.Date
}

// NewTestResult validates a knowledge test result and returns the record to
// store (ID empty). It returns nil and an *Error: ErrInvalidIdempotencyKey;
// ErrInvalidEnrollment or ErrEnrollmentInactive; ErrSelfObservation (an
// apprentice cannot enter their own score) or ErrNotRecorder (only a
// preceptor or director records scores); ErrMissingField or
// ErrUnknownCompetency; ErrNoKnowledgeTest (the competency has none);
// ErrInvalidScore (not 0–100); ErrMissingField, ErrFutureDate or
// ErrBeforeStart for the date.
func NewTestResult(e *Enrollment, recorder Actor, req TestResultRequest, now time.Time) (*TestResult, error) {
	if err := ValidateIdempotencyKey(req.IdempotencyKey); err != nil {
		return nil, err
	}
	if err := e.ready(); err != nil {
		return nil, err
	}
	if recorder.ID == e.ApprenticeID {
		return nil, fail(ErrSelfObservation, "", "You cannot enter your own test score; ask your preceptor or program director.")
	}
	if recorder.ID == "" || !(recorder.Preceptor || recorder.Director) {
		return nil, fail(ErrNotRecorder, "", "Only a preceptor or program director can record test results.")
	}
	c, err := e.competency(req.Competency, "competency")
	if err != nil {
		return nil, err
	}
	if err := checkScore(c, req.Score); err != nil {
		return nil, err
	}
	if err := checkDay(e, req.TakenOn, now, "taken_on", "test"); err != nil {
		return nil, err
	}
	return &TestResult{
		EnrollmentID:   e.ID,
		ApprenticeID:   e.ApprenticeID,
		Competency:     c.Code,
		Score:          req.Score,
		PassMark:       c.KnowledgeTest.PassMark,
		TakenOn:        req.TakenOn,
		RecordedBy:     recorder.ID,
		RecordedAt:     utc(now),
		IdempotencyKey: req.IdempotencyKey,
	}, nil
}

// checkScore requires a competency with a knowledge test and a score from
// 0 to 100.
func checkScore(c *curriculum.Competency, score float64) error {
	if c.KnowledgeTest == nil {
		return fail(ErrNoKnowledgeTest, "competency", "%s has no knowledge test in this program version.", c.Title)
	}
	if math.IsNaN(score) || score < 0 || score > 100 {
		return fail(ErrInvalidScore, "score", "Enter the score as a percentage from 0 to 100.")
	}
	return nil
}
