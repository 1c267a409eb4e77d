package assessments

import (
	"testing"
)

func TestParseHours(t *testing.T) {
	tests := []struct {
		in   string
		want Minutes
		ok   bool
	}{
		{"8", 480, true},
		{" 7.5 ", 450, true},
		{"7.25", 435, true},
		{"7.75", 465, true},
		{"7.50", 450, true},
		{"7.0", 420, true},
		{".25", 15, true},
		{"0.25", 15, true},
		{"24", 1440, true},
		{"24.00", 1440, true},
		{"7:45", 465, true},
		{"0:15", 15, true},
		{"24:00", 1440, true},
		{"", 0, false},
		{"0", 0, false},
		{"0:00", 0, false},
		{"24.25", 0, false},
		{"25", 0, false},
		{"7.1", 0, false},
		{"7.333", 0, false},
		{"7:10", 0, false},
		{"7:5", 0, false},
		{"7:60", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"1e1", 0, false},
		{"7,5", 0, false},
		{"7.", 0, false},
		{".", 0, false},
		{"1.2.3", 0, false},
		{"100", 0, false},
		{"٣", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseHours(tt.in)
		if tt.ok {
			if err != nil || got != tt.want {
				t.Errorf("ParseHours(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
			continue
		}
		wantErr(t, err, ErrInvalidHours)
	}
}

func TestMinutesString(t *testing.T) {
	for m, want := range map[Minutes]string{15: "0.25", 30: "0.5", 45: "0.75", 60: "1", 435: "7.25", 1440: "24", 0: "0", 120000: "2000"} {
		if got := m.String(); got != want {
			t.Errorf("Minutes(%d).String() = %q, want %q", m, got, want)
		}
		if m > 0 && m <= MaxMinutesPerDay {
			if back, err := ParseHours(m.String()); err != nil || back != m {
				t.Errorf("ParseHours(%q) = %d, %v", m.String(), back, err)
			}
		}
	}
}

// FuzzParseHours checks that any accepted text is a whole number of quarter
// hours within one day and round-trips through String.
func FuzzParseHours(f *testing.F) {
	for _, s := range []string{"8", "7.5", "7:45", ".25", "24:00", "7.333", "-1", "1e1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseHours(s)
		if err != nil {
			if ErrorCode(err) != ErrInvalidHours.Code {
				t.Fatalf("ParseHours(%q): error without code: %v", s, err)
			}
			return
		}
		if m <= 0 || m > MaxMinutesPerDay || m%QuarterHour != 0 {
			t.Fatalf("ParseHours(%q) = %d minutes", s, m)
		}
		if back, err := ParseHours(m.String()); err != nil || back != m {
			t.Fatalf("round trip of %q: %q → %d, %v", s, m.String(), back, err)
		}
	})
}

func TestNewHoursEntry(t *testing.T) {
	e := newEnv(t)
	today := d("2026-03-16")
	base := func() HoursRequest {
		return HoursRequest{IdempotencyKey: e.next("key"), Kind: OJL, Code: "PT-CARE", WorkedOn: today, Minutes: 8 * 60}
	}
	sameDay := []HoursEntry{
		{ApprenticeID: apprentice.ID, WorkedOn: today, Minutes: 10 * 60, Status: HoursApproved},
		{ApprenticeID: apprentice.ID, WorkedOn: today, Minutes: 4 * 60, Status: HoursPending},
		{ApprenticeID: apprentice.ID, WorkedOn: today, Minutes: 20 * 60, Status: HoursRejected},
		{ApprenticeID: apprentice.ID, WorkedOn: today.AddDays(-1), Minutes: 20 * 60, Status: HoursApproved},
	}
	tests := []struct {
		name    string
		who     Actor
		mod     func(*HoursRequest)
		sameDay []HoursEntry
		want    *Error
	}{
		{"valid OJL", apprentice, nil, nil, nil},
		{"valid RTI", apprentice, func(r *HoursRequest) { r.Kind, r.Code = RTI, "PHLEB" }, nil, nil},
		{"quarter hour", apprentice, func(r *HoursRequest) { r.Minutes = 15 }, nil, nil},
		{"full day", apprentice, func(r *HoursRequest) { r.Minutes = MaxMinutesPerDay }, nil, nil},
		{"someone else", nurse, nil, nil, ErrNotYourEnrollment},
		{"unknown work process", apprentice, func(r *HoursRequest) { r.Code = "PHLEB" }, nil, ErrUnknownHoursCode},
		{"unknown course", apprentice, func(r *HoursRequest) { r.Kind = RTI }, nil, ErrUnknownHoursCode},
		{"unknown kind", apprentice, func(r *HoursRequest) { r.Kind = "pto" }, nil, ErrUnknownHoursCode},
		{"zero", apprentice, func(r *HoursRequest) { r.Minutes = 0 }, nil, ErrInvalidHours},
		{"negative", apprentice, func(r *HoursRequest) { r.Minutes = -60 }, nil, ErrInvalidHours},
		{"over a day", apprentice, func(r *HoursRequest) { r.Minutes = MaxMinutesPerDay + 15 }, nil, ErrInvalidHours},
		{"not quarter", apprentice, func(r *HoursRequest) { r.Minutes = 50 }, nil, ErrInvalidHours},
		{"day fits with rejected ignored", apprentice, func(r *HoursRequest) { r.Minutes = 10 * 60 }, sameDay, nil},
		{"day over 24 hours", apprentice, func(r *HoursRequest) { r.Minutes = 10*60 + 15 }, sameDay, ErrInvalidHours},
		{"future", apprentice, func(r *HoursRequest) { r.WorkedOn = today.AddDays(1) }, nil, ErrFutureDate},
		{"before start", apprentice, func(r *HoursRequest) { r.WorkedOn = d("2026-01-01") }, nil, ErrBeforeStart},
		{"self supervisor", apprentice, func(r *HoursRequest) { r.SupervisorID = apprentice.ID }, nil, ErrSelfObservation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := base()
			if tt.mod != nil {
				tt.mod(&req)
			}
			h, err := NewHoursEntry(e.enr, tt.who, req, tt.sameDay, at(today))
			wantErr(t, err, tt.want)
			if err == nil && h.Status != HoursPending {
				t.Errorf("status %s", h.Status)
			}
		})
	}
}

func TestHoursReview(t *testing.T) {
	e := newEnv(t)
	day := d("2026-03-10")
	entry := func(supervisor string) *HoursEntry {
		h, err := NewHoursEntry(e.enr, apprentice, HoursRequest{
			IdempotencyKey: e.next("key"), Kind: OJL, Code: "VITAL-SIGNS", WorkedOn: day, Minutes: 480, SupervisorID: supervisor,
		}, nil, at(day))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	now := at(day.AddDays(1))
	tests := []struct {
		name       string
		supervisor string
		by         Actor
		reject     string
		want       *Error
		status     HoursStatus
	}{
		{"any preceptor approves unnamed hours", "", cma, "", nil, HoursApproved},
		{"director approves", "", director, "", nil, HoursApproved},
		{"apprentice cannot approve own", "", Actor{ID: apprentice.ID, Preceptor: true}, "", ErrNotApprover, HoursPending},
		{"HR cannot approve", "", Actor{ID: "hr-1"}, "", ErrNotApprover, HoursPending},
		{"other preceptor than named", nurse.ID, cma, "", ErrNotNamedSupervisor, HoursPending},
		{"named preceptor approves", nurse.ID, nurse, "", nil, HoursApproved},
		{"director overrides naming", nurse.ID, director, "", nil, HoursApproved},
		{"reject with reason", "", nurse, "Shift was 6 hours.", nil, HoursRejected},
		{"reject without reason", "", nurse, " ", ErrReasonRequired, HoursPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := entry(tt.supervisor)
			var err error
			if tt.reject != "" {
				err = h.Reject(e.enr, tt.by, tt.reject, now)
			} else {
				err = h.Approve(e.enr, tt.by, now)
			}
			wantErr(t, err, tt.want)
			if h.Status != tt.status {
				t.Fatalf("status = %s, want %s", h.Status, tt.status)
			}
			if h.Status != HoursPending {
				wantErr(t, h.Approve(e.enr, director, now), ErrAlreadyReviewed)
			}
		})
	}
}

func TestSummarizeHours(t *testing.T) {
	e := newEnv(t)
	p := e.pv.Program()
	h := func(kind HoursKind, code string, hours int, st HoursStatus) HoursEntry {
		return HoursEntry{ApprenticeID: apprentice.ID, Kind: kind, Code: code, Minutes: Minutes(hours) * 60, Status: st}
	}
	entries := []HoursEntry{
		h(OJL, "PT-CARE", 500, HoursApproved),
		h(OJL, "PT-CARE", 8, HoursPending),
		h(OJL, "PT-CARE", 100, HoursRejected),
		h(OJL, "FILING", 450, HoursApproved), // target 200, max 400: over max
		h(OJL, "RETIRED-WP", 40, HoursApproved),
		h(RTI, "MED-TERM", 36, HoursApproved),
		h(RTI, "ANAT-PHYS", 27, HoursApproved),
	}
	s := SummarizeHours(p, entries)
	find := func(lines []HoursTotal, code string) HoursTotal {
		for _, l := range lines {
			if l.Code == code {
				return l
			}
		}
		t.Fatalf("no line %s", code)
		return HoursTotal{}
	}
	care := find(s.WorkProcesses, "PT-CARE")
	if care.Approved != 500*60 || care.Pending != 8*60 || care.Target != 1000*60 || care.Percent != 50 || care.OverMax {
		t.Errorf("PT-CARE = %+v", care)
	}
	filing := find(s.WorkProcesses, "FILING")
	if filing.Percent != 100 || !filing.OverMax {
		t.Errorf("FILING = %+v", filing)
	}
	// OJL target is the sum of minimums: 50+250+250+1000+50+200+150+50 =
	// 2000 hours; counted is 500 + 200 (filing capped at its target).
	if s.OJL.Target != 2000*60 || s.OJL.Counted != 700*60 || s.OJL.Approved != 950*60 || s.OJL.Percent != 35 || s.OJL.Pending != 8*60 {
		t.Errorf("OJL = %+v", s.OJL)
	}
	// RTI: 288 hours in all; 36 + 27 = 63 → 21%.
	if s.RTI.Target != 288*60 || s.RTI.Counted != 63*60 || s.RTI.Percent != 21 {
		t.Errorf("RTI = %+v", s.RTI)
	}
	if anat := find(s.Courses, "ANAT-PHYS"); anat.Percent != 50 {
		t.Errorf("ANAT-PHYS = %+v", anat)
	}
}
