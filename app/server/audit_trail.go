package server

import (
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/curriculum"

	"github.com/skillgate/skillgate/errkind"
)

// The audit trail is organisation-wide: HR auditors and administrators see
// all of it (an auditor must be able to follow a change across sites), and
// nobody else sees any of it.

const auditPerPage = 50

// auditFilters is the filter form as typed, with its problems.
type auditFilters struct {
	Actor, Whose, Action, EntityType, EntityID, From, To string
	Errors                                               map[string]string
}

func (f auditFilters) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"actor": f.Actor, "whose": f.Whose, "action": f.Action, "entity_type": f.EntityType, "entity_id": f.EntityID, "from": f.From, "to": f.To} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// auditFilter reads the filter form. Who did it and whose record it
// concerns may each be given by part of a name, an email or a person id
// (who also as "system" or "anonymous"); dates are calendar days in the
// organisation's zone, both included.
func (s *Server) auditFilter(c *fiber.Ctx) (audit.Filter, auditFilters, error) {
	v := auditFilters{Actor: strings.TrimSpace(c.Query("actor")), Whose: strings.TrimSpace(c.Query("whose")), Action: strings.TrimSpace(c.Query("action")),
		EntityType: strings.TrimSpace(c.Query("entity_type")), EntityID: strings.TrimSpace(c.Query("entity_id")),
		From: strings.TrimSpace(c.Query("from")), To: strings.TrimSpace(c.Query("to")), Errors: map[string]string{}}
	f := audit.Filter{Action: v.Action, EntityType: v.EntityType, EntityID: v.EntityID}
	switch {
	case v.Actor == "":
	case v.Actor == audit.SystemActor || v.Actor == audit.AnonymousActor || v.Actor == audit.Unattributed:
		f.Actor = v.Actor
	case strings.Contains(v.Actor, "@"):
		p, err := s.accounts.ByEmail(c.UserContext(), v.Actor)
		if err != nil {
			v.Errors["actor"] = "No account has this email; give a name, an email, system or anonymous."
		} else {
			f.Actor = p.ID
		}
	default:
		cond, err := s.reports.AuditActor(c.UserContext(), v.Actor)
		if err != nil {
			return f, v, err
		}
		f.Conditions = append(f.Conditions, cond)
	}
	if v.Whose != "" {
		cond, err := s.reports.AuditSubject(c.UserContext(), v.Whose)
		if err != nil {
			return f, v, err
		}
		f.Conditions = append(f.Conditions, cond)
	}
	loc := s.cfg.Location()
	var from, to curriculum.Date
	if v.From != "" {
		d, err := curriculum.ParseDate(v.From)
		if err != nil {
			v.Errors["from"] = "Give the first day as YYYY-MM-DD."
		} else {
			from, f.From = d, d.Time(loc)
		}
	}
	if v.To != "" {
		d, err := curriculum.ParseDate(v.To)
		if err != nil {
			v.Errors["to"] = "Give the last day as YYYY-MM-DD."
		} else {
			to, f.Until = d, d.AddDays(1).Time(loc)
		}
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		v.Errors["to"] = "The last day is before the first day."
	}
	return f, v, nil
}

type auditPage struct {
	Filters             auditFilters
	Rows                []reports.AuditEntry
	First, Last, Total  int
	Pager               pager
	XLSX, CSV           string
	Actions, EntityList []string
}

func (s *Server) auditPage(c *fiber.Ctx) error {
	f, v, err := s.auditFilter(c)
	if err != nil {
		return err
	}
	data := auditPage{Filters: v, Actions: reports.AuditActions, EntityList: reports.AuditEntityTypes}
	if len(v.Errors) > 0 {
		return s.render(c, statusFor(errkind.Malformed), "audit", Page{Title: "Audit trail", Nav: "audit", Errors: v.Errors, Data: data})
	}
	page := pageParam(c)
	rows, total, err := s.reports.AuditTrail(c.UserContext(), f, auditPerPage, (page-1)*auditPerPage)
	if err != nil {
		return err
	}
	data.Rows, data.Total = rows, total
	if len(rows) > 0 {
		data.First, data.Last = (page-1)*auditPerPage+1, (page-1)*auditPerPage+len(rows)
	}
	q := v.query()
	data.Pager = newPager("/audit", q, page, total, auditPerPage)
	q.Del("page")
	data.XLSX, data.CSV = "/audit.xlsx?"+q.Encode(), "/audit.csv?"+q.Encode()
	return s.render(c, fiber.StatusOK, "audit", Page{Title: "Audit trail", Nav: "audit", Data: data})
}

// auditExport writes the filtered trail, newest first, as .xlsx or .csv
// to a temporary file and sends it; the export is audited before it goes.
func (s *Server) auditExport(format string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		f, v, err := s.auditFilter(c)
		if err != nil {
			return err
		}
		if len(v.Errors) > 0 {
			var msgs []string
			for _, k := range []string{"actor", "from", "to"} {
				if m := v.Errors[k]; m != "" {
					msgs = append(msgs, m)
				}
			}
			return errkind.New(errkind.Malformed, "This export cannot be made: "+strings.Join(msgs, " "))
		}
		params := map[string]any{"format": format}
		for k, x := range f.Params() {
			params[k] = x
		}
		if err := s.recordExport(c, "audit_trail", "", params); err != nil {
			return err
		}
		ctx, u := c.UserContext(), currentUser(c)
		write, contentType := func(w io.Writer) error { return s.reports.WriteAuditCSV(ctx, f, w) }, "text/csv; charset=utf-8"
		if format == "xlsx" {
			write, contentType = func(w io.Writer) error { return s.reports.WriteAuditXLSX(ctx, f, nameAndEmail(u), w) }, xlsxContentType
		}
		name := "audit-trail-" + curriculum.DateOf(s.now(), s.cfg.Location()).String() + "." + format
		if err := sendTempFile(c, "skillgate-audit-*."+format, contentType, name, write, nil); err != nil {
			return fmt.Errorf("audit export: %w", err)
		}
		return nil
	}
}
