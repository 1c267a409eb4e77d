package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/audit"
)

// ActionExport is the audit action of every download of records (report
// workbooks, program files, the audit trail itself); the entry names what
// was exported and with which filters.
const ActionExport = "export"

// recordExport writes the audit entry for an export, in a transaction of
// its own (an export changes nothing else).
func (s *Server) recordExport(c *fiber.Ctx, entityType, entityID string, params map[string]any) error {
	params["path"] = c.Path()
	return s.audit.Append(c.UserContext(), s.db, audit.Entry{Action: ActionExport, EntityType: entityType, EntityID: entityID, After: params})
}
