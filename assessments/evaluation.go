package assessments

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// Evaluation is a mentor's signed periodic evaluation of an apprentice's
// progress (the program's curriculum.EvaluationSchedule): number Seq of the
// enrollment's schedule, due DueOn, every item rated. It is never edited;
// the apprentice's acknowledgement is a separate record.
type Evaluation struct {
	ID           string             `json:"id"`
	EnrollmentID string             `json:"enrollment_id"`
	ApprenticeID string             `json:"apprentice_id"`
	VersionID    string             `json:"version_id"`
	Seq          int                `json:"seq"`
	DueOn        curriculum.Date    `json:"due_on"`
	Ratings      []EvaluationRating `json:"ratings"`
	Comments     string             `json:"comments"`
	// SignedOn is the organisation's day of Signature.SignedAt.
	SignedOn   curriculum.Date  `json:"signed_on"`
	Signature  EvaluationSig    `json:"signature"`
	AuthMethod string           `json:"auth_method"`
	Ack        *Acknowledgement `json:"acknowledgement,omitempty"`
}

// EvaluationRating is one item's rating, a value of the program's scale.
type EvaluationRating struct {
	Item  string `json:"item"`
	Value int    `json:"value"`
}

// EvaluationSig is an e-signature on an evaluation or its acknowledgement:
// who (id, printed name, credential), when (UTC to the microsecond, with
// the zone it is shown in), what it means, and the hash binding it to the
// record (EvaluationHash, AcknowledgementHash).
type EvaluationSig struct {
	SignerID    string                            `json:"signer_id"`
	PrintedName string                            `json:"printed_name"`
	Credential  curriculum.ProfessionalCredential `json:"credential,omitempty"`
	SignedAt    time.Time                         `json:"signed_at"`
	TimeZone    string                            `json:"time_zone"`
	Meaning     string                            `json:"meaning"`
	Hash        string                            `json:"hash"`
}

// Local returns SignedAt in the signature's zone.
func (s *EvaluationSig) Local() time.Time {
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return s.SignedAt.UTC()
	}
	return s.SignedAt.In(loc)
}

// Acknowledgement is the apprentice's signature that they have read an
// evaluation.
type Acknowledgement struct {
	ID           string          `json:"id"`
	EvaluationID string          `json:"evaluation_id"`
	SignedOn     curriculum.Date `json:"signed_on"`
	Signature    EvaluationSig   `json:"signature"`
	AuthMethod   string          `json:"auth_method"`
}

// EvaluationRequest is what the mentor submits.
type EvaluationRequest struct {
	Seq int
	// Ratings maps item codes to scale values (0: not rated).
	Ratings  map[string]int
	Comments string
	// ApprenticeName is the apprentice's printed name, for the meaning.
	ApprenticeName string
	AuthMethod     string
}

// EvaluationMeaning is the statement the mentor's signature makes.
func EvaluationMeaning(apprenticeName, program string, seq int, due curriculum.Date) string {
	return fmt.Sprintf("I attest that this is my evaluation of %s's progress in %s (evaluation %d, due %s)", apprenticeName, program, seq, due)
}

// AcknowledgementMeaning is the statement the apprentice's signature makes.
func AcknowledgementMeaning(seq int, mentor string) string {
	return fmt.Sprintf("I acknowledge that I have read evaluation %d of my progress by %s; acknowledging does not mean I agree with it", seq, mentor)
}

// NextEvaluation returns the number of the evaluation to complete next:
// one more than the evaluations done (they are completed in order).
func NextEvaluation(done []Evaluation) int {
	n := 0
	for _, ev := range done {
		n = max(n, ev.Seq)
	}
	return n + 1
}

// CheckEvaluation validates a mentor's evaluation of the enrollment e,
// whose evaluations so far are done, and returns the signed record to
// store (ID empty). Errors (*Error): ErrEnrollmentInactive (not active,
// or moved on: the evaluations continue on the new enrollment) or
// ErrInvalidEnrollment (no schedule); ErrSelfSignOff (the apprentice);
// ErrSignerNotAuthorized (not a preceptor or director); ErrMissingField
// (printed name); ErrAlreadySignedOff (an evaluation already done);
// ErrFutureDate (a later one, or one not yet in its due window);
// ErrMissingField on "rating_CODE" (an item not rated on the scale) or
// "comments"; ErrInvalidText, ErrTextTooLong.
func CheckEvaluation(req EvaluationRequest, signer Actor, e *Enrollment, done []Evaluation, now time.Time) (*Evaluation, error) {
	if err := e.ready(); err != nil {
		return nil, err
	}
	sched := e.Version.Program().Evaluations
	if sched == nil {
		return nil, fail(ErrInvalidEnrollment, "", "This program has no evaluation schedule.")
	}
	if !e.MovedOn.IsZero() {
		return nil, fail(ErrEnrollmentInactive, "enrollment_id", "This enrollment was moved to a newer program version on %s; complete the evaluation on the new enrollment.", e.MovedOn)
	}
	if e.Status != EnrollmentActive {
		return nil, fail(ErrEnrollmentInactive, "enrollment_id", "This apprenticeship is %s, so no further evaluation is due.", lower(e.Status.Label()))
	}
	if signer.ID == e.ApprenticeID {
		return nil, fail(ErrSelfSignOff, "", "You cannot complete your own evaluation; your mentor completes it and you acknowledge it.")
	}
	if !signer.Preceptor && !signer.Director {
		return nil, fail(ErrSignerNotAuthorized, "", "Only a preceptor or program director can complete an evaluation.")
	}
	if strings.TrimSpace(signer.Name) == "" {
		return nil, fail(ErrMissingField, "printed_name", "Your printed name is missing from your account; ask an administrator to add it before signing.")
	}
	if err := checkText(signer.Name, "printed_name", "printed name", MaxNameLen); err != nil {
		return nil, err
	}
	next := NextEvaluation(done)
	today := e.day(now)
	due := nextDue(e, done)
	switch {
	case req.Seq < next:
		return nil, fail(ErrAlreadySignedOff, "", "Evaluation %d has already been completed.", req.Seq)
	case req.Seq > next:
		return nil, fail(ErrFutureDate, "", "Complete evaluation %d first; evaluations are completed in order.", next)
	case today.Before(due.AddDays(-sched.DueWindowDays)):
		return nil, fail(ErrFutureDate, "", "Evaluation %d is due %s; it can be completed from %s.", req.Seq, due, due.AddDays(-sched.DueWindowDays))
	}
	ev := &Evaluation{EnrollmentID: e.ID, ApprenticeID: e.ApprenticeID, VersionID: e.VersionID, Seq: req.Seq, DueOn: due,
		Comments: strings.TrimSpace(req.Comments), SignedOn: today, AuthMethod: req.AuthMethod}
	for _, it := range sched.Items {
		if sched.Level(req.Ratings[it.Code]) == nil {
			return nil, fail(ErrMissingField, "rating_"+it.Code, "Rate %q on the scale.", it.Text)
		}
		ev.Ratings = append(ev.Ratings, EvaluationRating{Item: it.Code, Value: req.Ratings[it.Code]})
	}
	if sched.CommentsRequired && ev.Comments == "" {
		return nil, fail(ErrMissingField, "comments", "Write your comments on the apprentice's progress.")
	}
	if err := checkText(ev.Comments, "comments", "comments", MaxCommentLen); err != nil {
		return nil, err
	}
	if err := checkText(req.ApprenticeName, "apprentice_name", "apprentice's name", MaxNameLen); err != nil {
		return nil, err
	}
	ev.Signature = EvaluationSig{SignerID: signer.ID, PrintedName: signer.Name, Credential: signer.Credential,
		SignedAt: now.UTC().Truncate(time.Microsecond), TimeZone: e.Version.Location().String(),
		Meaning: EvaluationMeaning(req.ApprenticeName, e.Version.Program().Title, req.Seq, due)}
	ev.Signature.Hash = EvaluationHash(ev)
	return ev, nil
}

// CheckAcknowledgement validates the apprentice's acknowledgement of ev
// and returns the signed record (ID empty). Errors: ErrNotYourEnrollment
// (anyone but the apprentice, the mentor included); ErrAlreadyReviewed.
func CheckAcknowledgement(ev *Evaluation, signer Actor, loc *time.Location, authMethod string, now time.Time) (*Acknowledgement, error) {
	if signer.ID != ev.ApprenticeID {
		return nil, fail(ErrNotYourEnrollment, "", "Only the apprentice evaluated can acknowledge this evaluation.")
	}
	if ev.Ack != nil {
		return nil, fail(ErrAlreadyReviewed, "", "You have already acknowledged evaluation %d.", ev.Seq)
	}
	if err := checkText(signer.Name, "printed_name", "printed name", MaxNameLen); err != nil {
		return nil, err
	}
	a := &Acknowledgement{EvaluationID: ev.ID, SignedOn: curriculum.DateOf(now, loc), AuthMethod: authMethod,
		Signature: EvaluationSig{SignerID: signer.ID, PrintedName: signer.Name, SignedAt: now.UTC().Truncate(time.Microsecond),
			TimeZone: loc.String(), Meaning: AcknowledgementMeaning(ev.Seq, ev.Signature.PrintedName)}}
	a.Signature.Hash = AcknowledgementHash(a, ev.Signature.Hash)
	return a, nil
}

// EvaluationFormat and AcknowledgementFormat name the canonical forms the
// hashes are taken over (the length-prefixed lines of CanonicalSignature).
const (
	EvaluationFormat      = "skillgate-evaluation/1"
	AcknowledgementFormat = "skillgate-evaluation-ack/1"
)

type canon []byte

func (b *canon) field(name, value string) {
	*b = append(*b, name...)
	*b = append(*b, '=')
	*b = strconv.AppendInt(*b, int64(len(value)), 10)
	*b = append(*b, ':')
	*b = append(*b, value...)
	*b = append(*b, '\n')
}

func (b *canon) sig(s *EvaluationSig) {
	b.field("signer_id", s.SignerID)
	b.field("printed_name", s.PrintedName)
	b.field("credential", string(s.Credential))
	b.field("signed_at", s.SignedAt.UTC().Truncate(time.Microsecond).Format(signatureTimeLayout))
	b.field("time_zone", s.TimeZone)
	b.field("meaning", s.Meaning)
}

func sum(b canon) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// EvaluationHash is the lowercase hex SHA-256 of the evaluation's
// canonical form: the format line, then enrollment_id, apprentice_id,
// version_id, seq, due_on, signed_on, ratings ("CODE=V" in the form's
// order, joined by ","), comments and the signature's fields (as in
// CanonicalSignature), each as name=LEN:VALUE lines.
func EvaluationHash(ev *Evaluation) string {
	b := canon(EvaluationFormat + "\n")
	b.field("enrollment_id", ev.EnrollmentID)
	b.field("apprentice_id", ev.ApprenticeID)
	b.field("version_id", ev.VersionID)
	b.field("seq", strconv.Itoa(ev.Seq))
	b.field("due_on", ev.DueOn.String())
	b.field("signed_on", ev.SignedOn.String())
	r := make([]string, len(ev.Ratings))
	for i, x := range ev.Ratings {
		r[i] = x.Item + "=" + strconv.Itoa(x.Value)
	}
	b.field("ratings", strings.Join(r, ","))
	b.field("comments", ev.Comments)
	b.sig(&ev.Signature)
	return sum(b)
}

// AcknowledgementHash is the SHA-256 of the acknowledgement's canonical
// form, which includes the evaluation's hash, so it cannot be moved onto
// another evaluation.
func AcknowledgementHash(a *Acknowledgement, evaluationHash string) string {
	b := canon(AcknowledgementFormat + "\n")
	b.field("evaluation_hash", evaluationHash)
	b.field("signed_on", a.SignedOn.String())
	b.sig(&a.Signature)
	return sum(b)
}

// EvaluationStatus is where a scheduled evaluation stands on a day.
type EvaluationStatus string

// Evaluation statuses.
const (
	EvaluationUpcoming    EvaluationStatus = "upcoming"                 // before its due window
	EvaluationDueSoon     EvaluationStatus = "due_soon"                 // in the window before the due date
	EvaluationDue         EvaluationStatus = "due"                      // due today
	EvaluationOverdue     EvaluationStatus = "overdue"                  // past its due date, not completed by the mentor
	EvaluationAwaitingAck EvaluationStatus = "awaiting_acknowledgement" // signed by the mentor, not yet by the apprentice
	EvaluationCompleted   EvaluationStatus = "completed"                // signed by both
)

// Label is the status in words.
func (s EvaluationStatus) Label() string {
	return map[EvaluationStatus]string{EvaluationUpcoming: "Upcoming", EvaluationDueSoon: "Due soon", EvaluationDue: "Due today",
		EvaluationOverdue: "Overdue", EvaluationAwaitingAck: "Awaiting acknowledgement", EvaluationCompleted: "Completed"}[s]
}

// EvaluationState is one of an enrollment's evaluations on a day: a done
// one (Evaluation set) or the next one scheduled.
type EvaluationState struct {
	Seq        int
	DueOn      curriculum.Date
	Status     EvaluationStatus
	Evaluation *Evaluation
}

// nextDue is the due date of the evaluation after those done.
func nextDue(e *Enrollment, done []Evaluation) curriculum.Date {
	var last curriculum.Date
	for _, ev := range done {
		if ev.DueOn.After(last) {
			last = ev.DueOn
		}
	}
	return e.Version.Program().Evaluations.DueAfter(e.ApprenticeshipStart(), e.WageStepsOn, last)
}

// EvaluationsOf lists the enrollment's evaluations on today: those done,
// in order, then (while the enrollment is active and, by today, was not
// moved on to a newer version, where they continue) the next one
// scheduled: an apprenticeship on hold, cancelled or completed has none
// due. done are the apprenticeship's: after a move they include
// those signed on the enrollments it was moved from, whose numbers the
// next one follows. Nil when the program has no schedule.
func EvaluationsOf(e *Enrollment, done []Evaluation, today curriculum.Date) []EvaluationState {
	if e == nil || e.Version == nil || e.Version.Program().Evaluations == nil {
		return nil
	}
	sched := e.Version.Program().Evaluations
	var out []EvaluationState
	for i := range done {
		st := EvaluationState{Seq: done[i].Seq, DueOn: done[i].DueOn, Status: EvaluationCompleted, Evaluation: &done[i]}
		if done[i].Ack == nil {
			st.Status = EvaluationAwaitingAck
		}
		out = append(out, st)
	}
	if e.Status != EnrollmentActive || !e.MovedOn.IsZero() && !today.Before(e.MovedOn) {
		return out
	}
	next := NextEvaluation(done)
	st := EvaluationState{Seq: next, DueOn: nextDue(e, done)}
	switch {
	case today.After(st.DueOn):
		st.Status = EvaluationOverdue
	case today.Equal(st.DueOn):
		st.Status = EvaluationDue
	case !today.Before(st.DueOn.AddDays(-sched.DueWindowDays)):
		st.Status = EvaluationDueSoon
	default:
		st.Status = EvaluationUpcoming
	}
	return append(out, st)
}
