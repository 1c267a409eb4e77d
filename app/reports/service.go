// Package reports is what HR and auditors read: the reports (each one's
// page rows and its Excel workbook from one definition), the HR
// certifications dashboard with its cache, the directors' cohort matrix,
// the people directory, and the audit trail as pages and exports show
// it. It reads through the stores that own the data and writes nothing
// but workbooks and CSV; the HTTP layer parses filters, decides what the
// reader may see and renders.
package reports

import (
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/evaluations"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/wages"
)

// Service builds what HR and auditors read from the stores that own the
// data. It decides nothing about who asks: callers pass in, as plain
// values, what the reader may see.
type Service struct {
	DB        *db.DB
	Accounts  *accounts.Store
	Evidence  *evidence.Service
	Clearance *clearance.Service
	// Evaluations are the apprentices' periodic evaluations (nil: none).
	Evaluations *evaluations.Store
	// Wages reads wage steps (the wage history report).
	Wages *wages.Service
	// Now is the clock (UTC) workbooks are stamped with; nil means
	// time.Now.
	Now func() time.Time
	// Location is the organisation's zone: audit trail times and the day
	// an export is named for are read in it.
	Location *time.Location
	// Batch, when set, is how many people every export reads at a time
	// (tests lower it to cross batch boundaries with few people).
	Batch int

	hr          hrCache       // the HR dashboard, computed for the whole organisation
	closestKept closestCache  // "closest to clearance" rankings
	dirCounts   dirCounts     // how many people directory filters match
	auditCount  audit.Counter // how many entries the whole audit trail holds
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now()
}

func (s *Service) location() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}
