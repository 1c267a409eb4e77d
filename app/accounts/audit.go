package accounts

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
)

// Audit actions recorded by this package, as they appear in the trail.
const (
	ActionPersonCreate   = "person.create"
	ActionPersonDisable  = "person.disable"
	ActionPersonEnable   = "person.enable"
	ActionPersonUnlock   = "person.unlock"
	ActionPersonUpdate   = "person.update"
	ActionPersonRoles    = "person.roles"
	ActionEmployeeID     = "person.employee_id"
	ActionPasswordChange = "person.password_change"
	ActionResetStart     = "person.reset_start"
	ActionResetComplete  = "person.reset_complete"
	ActionSiteCreate     = "site.create"
	ActionLogin          = "login.success"
	ActionLoginFailed    = "login.failed"
	ActionLogout         = "logout"
	ActionSessionEnd     = "session.end"
	ActionTokenCreate    = "token.create"
	ActionTokenRevoke    = "token.revoke"
	ActionTokenUsed      = "token.used"
)

// personView is a person as the audit trail shows them: never a password
// or its hash.
type personView struct {
	Email              string   `json:"email"`
	Name               string   `json:"name"`
	EmployeeID         string   `json:"employee_id,omitempty"`
	HireDate           string   `json:"hire_date,omitempty"`
	Credential         string   `json:"credential"`
	Roles              []Role   `json:"roles"`
	SiteIDs            []string `json:"site_ids"`
	MustChangePassword bool     `json:"must_change_password,omitempty"`
	PasswordSet        bool     `json:"password_set"`
	Provisioned        bool     `json:"provisioned,omitempty"`
}

func (s *Store) record(ctx context.Context, tx bun.IDB, action, entityType, id string, before, after any) error {
	return s.Audit.Append(ctx, tx, audit.Entry{Action: action, EntityType: entityType, EntityID: id, Before: before, After: after})
}
