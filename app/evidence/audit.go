package evidence

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/assessments"
)

// Audit actions recorded by this package. Corrections of observations are
// "observation.correct" (a new record that supersedes another).
const (
	ActionEnroll        = "enrollment.create"
	ActionStatusChange  = "enrollment.status_change"
	ActionMove          = "enrollment.move"
	ActionObserve       = "observation.create"
	ActionCorrect       = "observation.correct"
	ActionTranscribe    = "observation.transcribe"
	ActionPaperSignOff  = "signoff.transcribe_paper"
	ActionTest          = "test.create"
	ActionSignOff       = "signoff.create"
	ActionRevoke        = "signoff.revoke"
	ActionSelfLog       = "selflog.create"
	ActionSelfLogVerify = "selflog.verify"
	ActionSelfLogReject = "selflog.reject"
	ActionHours         = "hours.create"
	ActionHoursApprove  = "hours.approve"
	ActionHoursReject   = "hours.reject"
	// Records transcribed from paper, and the revocation of a paper
	// sign-off (filed under the paper sign-off).
	ActionSelfLogTranscribe = "selflog.transcribe"
	ActionHoursTranscribe   = "hours.transcribe"
	ActionTestTranscribe    = "test.transcribe"
	ActionRevokePaper       = "signoff.revoke_paper"
)

// enrollmentView is an enrollment as the audit trail shows it (without the
// compiled program attached to it).
func enrollmentView(e assessments.Enrollment) map[string]any {
	return map[string]any{"apprentice_id": e.ApprenticeID, "version_id": e.VersionID, "site_id": e.SiteID,
		"hire_date": e.HireDate, "start_date": e.StartDate, "preceptor_ids": e.PreceptorIDs, "status": e.Status}
}

func (s *Store) record(ctx context.Context, tx bun.IDB, action, entityType, id string, before, after any) error {
	return s.Audit.Append(ctx, tx, audit.Entry{Action: action, EntityType: entityType, EntityID: id, Before: before, After: after})
}
