package assessments

import (
	"strconv"
	"strings"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// Minutes is an amount of logged time. Hours are logged in quarter hours,
// so a valid entry is a multiple of 15 minutes; counting in whole minutes
// keeps totals exact (no floating-point drift over thousands of entries).
type Minutes int

// Hour and entry limits.
const (
	MinutesPerHour    Minutes = 60
	QuarterHour       Minutes = 15
	MaxMinutesPerDay  Minutes = 24 * MinutesPerHour
	maxHoursTextBytes         = 32
)

// Hours returns m in hours (7.25 for 435 minutes).
func (m Minutes) Hours() float64 { return float64(m) / float64(MinutesPerHour) }

// String formats m in decimal hours without trailing zeros: "7.25", "8",
// "0.5". ParseHours reads it back.
func (m Minutes) String() string {
	neg := m < 0
	if neg {
		m = -m
	}
	s := strconv.Itoa(int(m / MinutesPerHour))
	if rem := int(m % MinutesPerHour); rem != 0 {
		// Hundredths of an hour are exact for quarter hours; other minute
		// counts (only possible in totals built by hand) round down.
		frac := strconv.Itoa(100 + rem*100/60)[1:]
		s += "." + strings.TrimRight(frac, "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ParseHours reads hours as a person types them: decimal hours ("7.5",
// "7.25", "8", ".75") or hours and minutes ("7:45"), with surrounding blanks
// ignored. The amount must be a whole number of quarter hours, more than 0
// and at most 24. It returns the minutes, or an *Error with code
// ErrInvalidHours whose message says what to type instead.
func ParseHours(s string) (Minutes, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fail(ErrInvalidHours, "hours", "Enter the hours worked, for example 7.5 or 7:30.")
	}
	if len(s) > maxHoursTextBytes {
		return 0, fail(ErrInvalidHours, "hours", "Enter the hours as a number from 0.25 to 24, for example 7.5 or 7:30.")
	}
	var m Minutes
	if h, mm, ok := strings.Cut(s, ":"); ok {
		hours, ok1 := smallNumber(h, 2)
		mins, ok2 := smallNumber(mm, 2)
		if !ok1 || !ok2 || len(mm) != 2 || mins >= 60 {
			return 0, fail(ErrInvalidHours, "hours", "Write hours and minutes as H:MM, for example 7:45.")
		}
		m = Minutes(hours)*MinutesPerHour + Minutes(mins)
	} else {
		ip, fp, hasDot := strings.Cut(s, ".")
		if ip == "" && (!hasDot || fp == "") {
			return 0, fail(ErrInvalidHours, "hours", "Enter the hours as a number, for example 7.5.")
		}
		hours, ok1 := 0, true
		if ip != "" {
			hours, ok1 = smallNumber(ip, 2)
		}
		frac, ok2 := 0, true
		if hasDot {
			frac, ok2 = smallNumber(fp, 4)
		}
		if !ok1 || !ok2 || (hasDot && fp == "") {
			return 0, fail(ErrInvalidHours, "hours", "Enter the hours as a number with a decimal point, for example 7.5 or 7.25.")
		}
		// frac/10^len(fp) hours is a whole number of minutes only if
		// frac*60 divides evenly.
		scale := 1
		for range len(fp) {
			scale *= 10
		}
		if frac*60%scale != 0 {
			return 0, fail(ErrInvalidHours, "hours", "Log time in quarter hours: .25, .5 or .75, for example 7.25.")
		}
		m = Minutes(hours)*MinutesPerHour + Minutes(frac*60/scale)
	}
	if m%QuarterHour != 0 {
		return 0, fail(ErrInvalidHours, "hours", "Log time in quarter hours (15, 30 or 45 minutes), for example 7.25 or 7:15.")
	}
	if err := checkMinutes(m); err != nil {
		return 0, err
	}
	return m, nil
}

// smallNumber parses 1 to max ASCII digits.
func smallNumber(s string, max int) (int, bool) {
	if len(s) == 0 || len(s) > max {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func checkMinutes(m Minutes) error {
	switch {
	case m <= 0:
		return fail(ErrInvalidHours, "hours", "Hours must be more than 0.")
	case m > MaxMinutesPerDay:
		return fail(ErrInvalidHours, "hours", "One entry can hold at most 24 hours, one day's worth; %s hours is more.", m)
	case m%QuarterHour != 0:
		return fail(ErrInvalidHours, "hours", "Log time in quarter hours (15, 30 or 45 minutes).")
	}
	return nil
}

// HoursKind says what an hours entry counts toward. It is the
// curriculum's, since approved hours are evidence for training-hour rules.
type HoursKind = curriculum.HoursKind

// Hours kinds.
const (
	// OJL: on-the-job learning, by work process.
	OJL = curriculum.OJLHours
	// RTI: related technical instruction, by course.
	RTI = curriculum.RTIHours
)

// HoursStatus is where an hours entry stands. Pending changes once, to
// approved or rejected; only approved hours count.
type HoursStatus string

// Hours statuses.
const (
	HoursPending  HoursStatus = "pending"
	HoursApproved HoursStatus = "approved"
	HoursRejected HoursStatus = "rejected"
)

// HoursEntry is time an apprentice logs against a work process (OJL) or an
// RTI course on one day. It counts once a preceptor or program director
// approves it; when the apprentice names a supervising preceptor, only that
// preceptor (or a director, who signs the sponsor's records) may review it.
type HoursEntry struct {
	ID           string `json:"id"`
	EnrollmentID string `json:"enrollment_id"`
	ApprenticeID string `json:"apprentice_id"`

	Kind HoursKind `json:"kind"`
	// Code is a work-process code for OJL and an RTI course code for RTI.
	Code     string          `json:"code"`
	WorkedOn curriculum.Date `json:"worked_on"`
	Minutes  Minutes         `json:"minutes"`
	// SupervisorID optionally names the preceptor who supervised the work.
	SupervisorID string    `json:"supervisor_id"`
	Note         string    `json:"note"`
	LoggedAt     time.Time `json:"logged_at"`

	Status          HoursStatus `json:"status"`
	ReviewedBy      string      `json:"reviewed_by"`
	ReviewerName    string      `json:"reviewer_name"`
	ReviewedAt      time.Time   `json:"reviewed_at"`
	RejectionReason string      `json:"rejection_reason"`

	// TranscribedBy, when set, marks an entry transcribed from paper
	// (NewTranscribedHours): the director or HR person who typed it in;
	// ReviewerName is then who attested it on paper, and SourceNote where
	// the paper is.
	TranscribedBy string `json:"transcribed_by,omitempty"`
	SourceNote    string `json:"source_note,omitempty"`

	IdempotencyKey string `json:"idempotency_key"`
	// RequestHash is the Fingerprint of the request that made the record
	// (storage keeps it to tell a retry from another request under the key).
	RequestHash string `json:"-"`
}

// HoursRequest is an hours entry as the apprentice submits it; the HTTP
// layer turns the typed text into Minutes with ParseHours.
type HoursRequest struct {
	IdempotencyKey string
	Kind           HoursKind
	Code           string
	WorkedOn       curriculum.Date
	Minutes        Minutes
	SupervisorID   string
	Note           string
}

// NewHoursEntry validates an hours entry and returns the pending record to
// store (ID empty). sameDay holds the apprentice's other entries for the
// same day (any kind; rejected ones are ignored), so that one day never adds
// up to more than 24 hours across entries; it may be nil.
//
// It returns nil and an *Error: ErrInvalidIdempotencyKey;
// ErrInvalidEnrollment or ErrEnrollmentInactive; ErrNotYourEnrollment;
// ErrUnknownHoursCode (kind or code not in the version); ErrInvalidHours
// (not a positive number of quarter hours, more than 24 in the entry, or
// more than 24 on the day); ErrMissingField, ErrFutureDate or
// ErrBeforeStart for the date; ErrSelfObservation (naming oneself as
// supervisor); ErrInvalidText or ErrTextTooLong for the note.
func NewHoursEntry(e *Enrollment, apprentice Actor, req HoursRequest, sameDay []HoursEntry, now time.Time) (*HoursEntry, error) {
	if err := ValidateIdempotencyKey(req.IdempotencyKey); err != nil {
		return nil, err
	}
	if err := e.ready(); err != nil {
		return nil, err
	}
	if apprentice.ID != e.ApprenticeID {
		return nil, fail(ErrNotYourEnrollment, "enrollment_id", "You can only log hours for your own enrollment.")
	}
	if err := checkHoursCode(e.Version.Program(), req.Kind, req.Code); err != nil {
		return nil, err
	}
	if err := checkMinutes(req.Minutes); err != nil {
		return nil, err
	}
	if err := checkDay(e, req.WorkedOn, now, "worked_on", "work"); err != nil {
		return nil, err
	}
	day := req.Minutes
	for i := range sameDay {
		o := &sameDay[i]
		if o.ApprenticeID == e.ApprenticeID && o.WorkedOn == req.WorkedOn && o.Status != HoursRejected {
			day += o.Minutes
		}
	}
	if day > MaxMinutesPerDay {
		return nil, fail(ErrInvalidHours, "hours",
			"%s already has %s hours logged; adding %s would make more than 24 hours in one day. Check for an entry logged twice.",
			req.WorkedOn, day-req.Minutes, req.Minutes)
	}
	if req.SupervisorID == e.ApprenticeID {
		return nil, fail(ErrSelfObservation, "supervisor_id", "Name the preceptor who supervised you, not yourself.")
	}
	if err := checkText(req.Note, "note", "note", MaxCommentLen); err != nil {
		return nil, err
	}
	return &HoursEntry{
		EnrollmentID:   e.ID,
		ApprenticeID:   e.ApprenticeID,
		Kind:           req.Kind,
		Code:           req.Code,
		WorkedOn:       req.WorkedOn,
		Minutes:        req.Minutes,
		SupervisorID:   req.SupervisorID,
		Note:           req.Note,
		LoggedAt:       utc(now),
		Status:         HoursPending,
		IdempotencyKey: req.IdempotencyKey,
	}, nil
}

// Approve approves a pending entry of enrollment e (loaded with its
// version: its zone dates the messages). On error h is unchanged. It returns
// ErrNotApprover (the apprentice themselves, or neither preceptor nor
// director), ErrNotNamedSupervisor (a preceptor other than the one named)
// or ErrAlreadyReviewed.
func (h *HoursEntry) Approve(e *Enrollment, by Actor, now time.Time) error {
	if err := h.reviewable(e, by); err != nil {
		return err
	}
	h.Status = HoursApproved
	h.ReviewedBy, h.ReviewerName, h.ReviewedAt = by.ID, by.Name, utc(now)
	return nil
}

// Reject rejects a pending entry with a reason the apprentice will see. On
// error h is unchanged. It returns the errors of Approve, and
// ErrReasonRequired, ErrInvalidText or ErrTextTooLong.
func (h *HoursEntry) Reject(e *Enrollment, by Actor, reason string, now time.Time) error {
	if err := h.reviewable(e, by); err != nil {
		return err
	}
	if err := checkReason(reason, "reason", "rejection"); err != nil {
		return err
	}
	h.Status = HoursRejected
	h.RejectionReason = reason
	h.ReviewedBy, h.ReviewerName, h.ReviewedAt = by.ID, by.Name, utc(now)
	return nil
}

func (h *HoursEntry) reviewable(e *Enrollment, by Actor) error {
	switch {
	case by.ID == "" || by.ID == h.ApprenticeID:
		return fail(ErrNotApprover, "", "You cannot approve your own hours; a preceptor or program director reviews them.")
	case by.Director:
	case !by.Preceptor:
		return fail(ErrNotApprover, "", "Only a preceptor or program director can review hours.")
	case h.SupervisorID != "" && by.ID != h.SupervisorID:
		return fail(ErrNotNamedSupervisor, "", "These hours name another preceptor as supervisor; only they or a program director can review them.")
	}
	if h.Status != HoursPending {
		return fail(ErrAlreadyReviewed, "", "These hours were already %s on %s.", h.Status, e.day(h.ReviewedAt))
	}
	return nil
}

// checkHoursCode requires a kind and a work process (OJL) or course (RTI)
// of the program.
func checkHoursCode(p *curriculum.Program, kind HoursKind, code string) error {
	switch kind {
	case OJL:
		if findWorkProcess(p, code) == nil {
			return fail(ErrUnknownHoursCode, "code", "Choose one of the program's work processes; %q is not one.", code)
		}
	case RTI:
		if findCourse(p, code) == nil {
			return fail(ErrUnknownHoursCode, "code", "Choose one of the program's RTI courses; %q is not one.", code)
		}
	default:
		return fail(ErrUnknownHoursCode, "kind", "Choose whether these are on-the-job (OJL) or classroom (RTI) hours.")
	}
	return nil
}

func findWorkProcess(p *curriculum.Program, code string) *curriculum.WorkProcess {
	for i := range p.WorkProcesses {
		if p.WorkProcesses[i].Code == code {
			return &p.WorkProcesses[i]
		}
	}
	return nil
}

func findCourse(p *curriculum.Program, code string) *curriculum.RTICourse {
	for i := range p.RTICourses {
		if p.RTICourses[i].Code == code {
			return &p.RTICourses[i]
		}
	}
	return nil
}

// HoursTotal is the logged time of one work process or RTI course.
type HoursTotal struct {
	Kind  HoursKind `json:"kind"`
	Code  string    `json:"code"`
	Title string    `json:"title"`
	// Approved counts; Pending is awaiting review and does not count yet.
	Approved Minutes `json:"approved"`
	Pending  Minutes `json:"pending"`
	// Target is what completes the line: the work process's minimum hours
	// (time-based programs have minimum = maximum) or the course's hours.
	// Max is the work process's maximum (zero: none). Zero Target means the
	// line has no hour requirement (competency-based work processes).
	Target Minutes `json:"target"`
	Max    Minutes `json:"max"`
	// Percent is approved hours against the target, 0–100, rounded down;
	// hours beyond the target do not raise it above 100.
	Percent int `json:"percent"`
	// OverMax: more approved hours than the work process's maximum; the
	// excess does not count toward the schedule.
	OverMax bool `json:"over_max"`
}

// HoursSummary totals an enrollment's hours against the version's targets.
type HoursSummary struct {
	WorkProcesses []HoursTotal `json:"work_processes"`
	Courses       []HoursTotal `json:"courses"`
	// OJL and RTI totals: Approved is everything approved on known codes;
	// Counted is what counts toward Target (each line capped at its own
	// target, so 300 extra hours of filing do not make up for missing
	// patient care); Percent = Counted / Target, rounded down.
	OJL HoursTally `json:"ojl"`
	RTI HoursTally `json:"rti"`
}

// HoursTally is a total of one kind of hours.
type HoursTally struct {
	Approved Minutes `json:"approved"`
	Pending  Minutes `json:"pending"`
	Counted  Minutes `json:"counted"`
	Target   Minutes `json:"target"`
	Percent  int     `json:"percent"`
}

// SummarizeHours totals entries per work process and RTI course of p, in
// program order. Rejected entries and entries whose code is not in p (say,
// from another program version) are left out.
func SummarizeHours(p *curriculum.Program, entries []HoursEntry) HoursSummary {
	var s HoursSummary
	for _, wp := range p.WorkProcesses {
		s.WorkProcesses = append(s.WorkProcesses, HoursTotal{
			Kind: OJL, Code: wp.Code, Title: wp.Title,
			Target: Minutes(wp.MinHours) * MinutesPerHour, Max: Minutes(wp.MaxHours) * MinutesPerHour,
		})
	}
	for _, c := range p.RTICourses {
		s.Courses = append(s.Courses, HoursTotal{Kind: RTI, Code: c.Code, Title: c.Title, Target: Minutes(c.Hours) * MinutesPerHour})
	}
	find := func(lines []HoursTotal, code string) *HoursTotal {
		for i := range lines {
			if lines[i].Code == code {
				return &lines[i]
			}
		}
		return nil
	}
	for i := range entries {
		en := &entries[i]
		var t *HoursTotal
		switch en.Kind {
		case OJL:
			t = find(s.WorkProcesses, en.Code)
		case RTI:
			t = find(s.Courses, en.Code)
		}
		if t == nil {
			continue
		}
		switch en.Status {
		case HoursApproved:
			t.Approved += en.Minutes
		case HoursPending:
			t.Pending += en.Minutes
		}
	}
	tally := func(lines []HoursTotal) HoursTally {
		var y HoursTally
		for i := range lines {
			t := &lines[i]
			t.OverMax = t.Max > 0 && t.Approved > t.Max
			counted := min(t.Approved, t.Target)
			t.Percent = percent(counted, t.Target)
			y.Approved += t.Approved
			y.Pending += t.Pending
			y.Counted += counted
			y.Target += t.Target
		}
		y.Percent = percent(y.Counted, y.Target)
		return y
	}
	s.OJL = tally(s.WorkProcesses)
	s.RTI = tally(s.Courses)
	return s
}

func percent[T ~int](part, whole T) int {
	if whole <= 0 {
		return 0
	}
	return int(int64(part) * 100 / int64(whole))
}
