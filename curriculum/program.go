// Package curriculum describes what a Medical Assistant apprenticeship
// program requires (work processes, technical instruction, competencies,
// credentials and the tasks an MA may be cleared for) and decides, from a
// plain summary of a person's evidence, whether that person is cleared for
// each task on a given day.
//
// The package is pure: no HTTP, no SQL, no clock. Storage persists a Version
// as a JSON document; the assessments package records evidence and hands the
// clearance engine an Evidence summary, so curriculum never imports it.
package curriculum

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/skillgate/skillgate/errkind"
)

// ApprenticeshipType is how a registered apprenticeship measures progress
// (DOL Circular 2016-01).
type ApprenticeshipType string

// Apprenticeship types.
const (
	// TimeBased programs require a fixed number of OJL hours per work process.
	TimeBased ApprenticeshipType = "time-based"
	// CompetencyBased programs require demonstrated skills, not hours.
	CompetencyBased ApprenticeshipType = "competency-based"
	// Hybrid programs require an hour range per work process plus competencies.
	Hybrid ApprenticeshipType = "hybrid"
)

func (t ApprenticeshipType) valid() bool {
	return t == TimeBased || t == CompetencyBased || t == Hybrid
}

// Domain groups competencies and tasks: it is a competency's domain and a
// task's category.
type Domain string

// Domains.
const (
	Clinical       Domain = "clinical"
	Laboratory     Domain = "laboratory"
	Administrative Domain = "administrative"
	Safety         Domain = "safety"
)

func (d Domain) valid() bool {
	return d == Clinical || d == Laboratory || d == Administrative || d == Safety
}

// MinOJLHours is the least on-the-job learning an apprenticeable occupation
// requires (29 CFR 29.4).
const MinOJLHours = 2000

// Program is the content of one version of an apprenticeship program.
type Program struct {
	Code        string             `json:"code"`
	Title       string             `json:"title"`
	Description string             `json:"description,omitempty"`
	Type        ApprenticeshipType `json:"type"`
	// Occupation codes, for reports to the Registered Apprenticeship system.
	RapidsCode string `json:"rapids_code,omitempty"`
	ONetCode   string `json:"onet_code,omitempty"`

	WorkProcesses   []WorkProcess    `json:"work_processes"`
	RTICourses      []RTICourse      `json:"rti_courses"`
	CredentialTypes []CredentialType `json:"credential_types"`
	Competencies    []Competency     `json:"competencies"`
	Tasks           []Task           `json:"tasks"`
	// Evaluations is the periodic evaluation schedule and form (optional).
	Evaluations *EvaluationSchedule `json:"evaluations,omitempty"`
	Settings    Settings            `json:"settings,omitzero"`
	// WageSchedule is the progressive wage schedule (wages.go); optional.
	WageSchedule []WageStep `json:"wage_schedule,omitempty"`
}

// WorkProcess is one line of the OJL work-process schedule. Time-based
// programs set MinHours = MaxHours; hybrid programs give a range;
// competency-based programs may leave both zero.
type WorkProcess struct {
	Code        string `json:"code"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	MinHours    int    `json:"min_hours,omitempty"`
	MaxHours    int    `json:"max_hours,omitempty"`
}

// RTICourse is a block of related technical instruction.
type RTICourse struct {
	Code  string `json:"code"`
	Title string `json:"title"`
	Hours int    `json:"hours"`
	// Year of the apprenticeship in which the course is taken (1 = first).
	Year int `json:"year,omitempty"`
}

// Settings are program-wide policy switches.
type Settings struct {
	// CountUnverifiedCredentials lets credential records that HR has not yet
	// verified count for clearance. Off by default: an unverified card is a
	// claim, not evidence.
	CountUnverifiedCredentials bool `json:"count_unverified_credentials,omitempty"`
	// SignersMustHold lists credential type codes (e.g. BLS) that a
	// preceptor must hold, valid on the signing day, to sign off, in
	// addition to their own professional licence.
	SignersMustHold []string `json:"signers_must_hold,omitempty"`
	// TimeZone is the IANA zone in which the organisation's calendar days
	// are counted; empty means America/New_York.
	TimeZone string `json:"time_zone,omitempty"`
	// JourneyworkerRate is the journeyworker's hourly wage in dollars, the
	// base of wage steps given as a percentage.
	JourneyworkerRate float64 `json:"journeyworker_rate,omitempty"`
}

// VersionStatus says whether a version can still be edited.
type VersionStatus string

// Version statuses.
const (
	Draft     VersionStatus = "draft"
	Published VersionStatus = "published"
)

// ErrPublished is returned when editing a published version: people were
// cleared against it, so it must never change. Make a new draft instead.
var ErrPublished = errkind.New(errkind.Conflict, "This program version is published and cannot be changed; create a new draft version.")

// Version is one numbered version of a program. Storage persists it as a
// JSON document, and it round-trips through encoding/json exactly.
//
// A published version is immutable: Edit and Publish refuse to change it.
// Its fields are exported for encoding; code outside this package must treat
// a published version as read-only and derive changes with NewDraft.
type Version struct {
	Number      int           `json:"number"`
	Status      VersionStatus `json:"status"`
	PublishedAt time.Time     `json:"published_at,omitzero"`
	Program     Program       `json:"program"`
}

// IsPublished reports whether v is published (and therefore immutable).
func (v *Version) IsPublished() bool { return v.Status == Published }

// Edit applies fn to a copy of the program and keeps the result only if fn
// returns nil. It returns ErrPublished for a published version, so edits
// cannot slip into content people were already cleared against.
func (v *Version) Edit(fn func(p *Program) error) error {
	if v.IsPublished() {
		return ErrPublished
	}
	p := v.Program.Clone()
	if err := fn(&p); err != nil {
		return err
	}
	v.Program = p
	return nil
}

// Publish validates the draft and marks it published at the given instant
// (stored in UTC). Validation problems are returned as a *ValidationError and
// leave the version a draft.
func (v *Version) Publish(at time.Time) error {
	if v.IsPublished() {
		return ErrPublished
	}
	if at.IsZero() {
		return errors.New("publish: the publication time is missing")
	}
	if err := v.Validate(); err != nil {
		return fmt.Errorf("publish version %d: %w", v.Number, err)
	}
	v.Status = Published
	// UTC without the monotonic reading, so the JSON round trip is exact.
	v.PublishedAt = at.UTC().Round(0)
	return nil
}

// NewDraft returns an editable copy of v numbered v.Number+1.
func (v *Version) NewDraft() *Version {
	return &Version{Number: v.Number + 1, Status: Draft, Program: v.Program.Clone()}
}

// Clone returns a deep copy of v.
func (v *Version) Clone() *Version {
	c := *v
	c.Program = v.Program.Clone()
	return &c
}

// Clone returns a deep copy of p, sharing no slices with it.
func (p Program) Clone() Program {
	// A JSON round trip is exact for these types (tested) and keeps Clone
	// correct as fields are added; editing is rare, so its cost is fine.
	b, err := json.Marshal(p)
	if err != nil {
		panic(fmt.Sprintf("curriculum: cannot clone program: %v", err))
	}
	var c Program
	if err := json.Unmarshal(b, &c); err != nil {
		panic(fmt.Sprintf("curriculum: cannot clone program: %v", err))
	}
	return c
}

// Competency returns the competency with the given code, or nil.
func (p *Program) Competency(code string) *Competency {
	for i := range p.Competencies {
		if p.Competencies[i].Code == code {
			return &p.Competencies[i]
		}
	}
	return nil
}

// Task returns the task with the given code, or nil.
func (p *Program) Task(code string) *Task {
	for i := range p.Tasks {
		if p.Tasks[i].Code == code {
			return &p.Tasks[i]
		}
	}
	return nil
}

// CredentialType returns the credential type with the given code, or nil.
func (p *Program) CredentialType(code string) *CredentialType {
	for i := range p.CredentialTypes {
		if p.CredentialTypes[i].Code == code {
			return &p.CredentialTypes[i]
		}
	}
	return nil
}

// Location returns the organisation's time zone for turning instants into
// calendar days.
func (s Settings) Location() (*time.Location, error) {
	if s.TimeZone == "" {
		return DefaultLocation(), nil
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", s.TimeZone, err)
	}
	return loc, nil
}
