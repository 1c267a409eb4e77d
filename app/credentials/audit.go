package credentials

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
)

// Audit actions recorded by this package. An import records one entry per
// person and credential it creates, then one "import.apply" with the file
// name and counts.
const (
	ActionAdd          = "credential.create"
	ActionVerify       = "credential.verify"
	ActionFileUpload   = "credential_file.create"
	ActionImportPerson = "person.create"
	ActionImportApply  = "import.apply"
)

func (s *Store) record(ctx context.Context, tx bun.IDB, action, entityType, id string, before, after any) error {
	return s.Audit.Append(ctx, tx, audit.Entry{Action: action, EntityType: entityType, EntityID: id, Before: before, After: after})
}
