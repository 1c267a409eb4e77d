package programs

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
)

// Audit actions recorded by this package. Entries name the version
// ("program_version" and its id) and carry the program and number.
const (
	ActionProgramCreate = "program.create"
	ActionProgramImport = "program.import"
	ActionDraftStart    = "program.draft_start"
	ActionDraftSave     = "program.draft_save"
	ActionPublish       = "program.publish"
	ActionDiscard       = "program.discard"
	ActionExport        = "program.export"
)

// versionSummary is a stored version as the audit trail shows it: which
// program and version, and the SHA-256 of its content (which the version
// row keeps), not the content itself.
func versionSummary(v *StoredVersion) map[string]any {
	return map[string]any{"program_id": v.ProgramID, "code": v.Version.Program.Code, "title": v.Version.Program.Title,
		"number": v.Number, "status": v.Status, "content_sha256": v.ContentSHA256}
}

func (s *Store) record(ctx context.Context, tx bun.IDB, action string, v *VersionInfo, before, after any) error {
	if m, ok := after.(map[string]any); ok {
		m["program_id"], m["number"] = v.ProgramID, v.Number
	}
	if m, ok := before.(map[string]any); ok {
		m["program_id"], m["number"] = v.ProgramID, v.Number
	}
	return s.Audit.Append(ctx, tx, audit.Entry{Action: action, EntityType: "program_version", EntityID: v.ID, Before: before, After: after})
}
