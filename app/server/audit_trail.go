package server

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/curriculum"
)

// The audit trail is organisation-wide: HR auditors and administrators see
// all of it (an auditor must be able to follow a change across sites), and
// nobody else sees any of it.

const auditPerPage = 50

// auditFilters is the filter form as typed, with its problems.
type auditFilters struct {
	Actor, Action, EntityType, EntityID, From, To string
	Errors                                        map[string]string
}

func (f auditFilters) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"actor": f.Actor, "action": f.Action, "entity_type": f.EntityType, "entity_id": f.EntityID, "from": f.From, "to": f.To} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// auditFilter reads the filter form. An actor may be given by id, by
// email, or as "system" or "anonymous"; dates are calendar days in the
// organisation's zone, both included.
func (s *Server) auditFilter(c *fiber.Ctx) (audit.Filter, auditFilters) {
	v := auditFilters{Actor: strings.TrimSpace(c.Query("actor")), Action: strings.TrimSpace(c.Query("action")),
		EntityType: strings.TrimSpace(c.Query("entity_type")), EntityID: strings.TrimSpace(c.Query("entity_id")),
		From: strings.TrimSpace(c.Query("from")), To: strings.TrimSpace(c.Query("to")), Errors: map[string]string{}}
	f := audit.Filter{Actor: v.Actor, Action: v.Action, EntityType: v.EntityType, EntityID: v.EntityID}
	if strings.Contains(v.Actor, "@") {
		p, err := s.accounts.ByEmail(c.UserContext(), v.Actor)
		if err != nil {
			v.Errors["actor"] = "No account has this email; give an email, a person id, system or anonymous."
		} else {
			f.Actor = p.ID
		}
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
	return f, v
}

// auditRow is an entry as the page shows it.
type auditRow struct {
	audit.Record
	ActorName     string
	Time          string
	Before, After string // indented JSON
}

type auditPage struct {
	Filters             auditFilters
	Rows                []auditRow
	First, Last, Total  int
	Pager               pager
	XLSX, CSV           string
	Actions, EntityList []string
}

// auditActions lists actions for the filter's suggestions.
var auditActions = []string{
	"login.success", "login.failed", "logout", "export",
	"person.create", "person.disable", "person.enable", "person.unlock", "person.password_change", "person.reset_start", "person.reset_complete",
	"site.create", "token.create", "token.revoke", "token.used", "calendar_token.create", "calendar_token.revoke",
	"program.create", "program.import", "program.draft_start", "program.draft_save", "program.publish", "program.discard",
	"enrollment.create", "enrollment.status_change", "enrollment.move", "observation.create", "observation.correct", "test.create",
	"signoff.create", "signoff.revoke", "selflog.create", "selflog.verify", "selflog.reject", "hours.create", "hours.approve", "hours.reject",
	"credential.create", "credential.verify", "credential_file.create", "import.apply",
}

var auditEntityTypes = []string{"person", "site", "token", "calendar_token", "program_version", "enrollment", "observation", "test",
	"signoff", "selflog", "hours", "credential", "credential_file", "import", "report"}

func (s *Server) auditPage(c *fiber.Ctx) error {
	f, v := s.auditFilter(c)
	data := auditPage{Filters: v, Actions: auditActions, EntityList: auditEntityTypes}
	if len(v.Errors) > 0 {
		return s.render(c, fiber.StatusBadRequest, "audit", Page{Title: "Audit trail", Nav: "audit", Errors: v.Errors, Data: data})
	}
	page := pageParam(c)
	recs, total, err := audit.List(c.UserContext(), s.db, f, auditPerPage, (page-1)*auditPerPage)
	if err != nil {
		return err
	}
	names, err := s.actorNames(c, recs)
	if err != nil {
		return err
	}
	loc := s.cfg.Location()
	for _, r := range recs {
		data.Rows = append(data.Rows, auditRow{Record: r, ActorName: names[r.Actor], Before: indentJSON(r.Before), After: indentJSON(r.After),
			Time: r.At.In(loc).Format("2006-01-02 15:04:05 MST")})
	}
	data.Total = total
	if len(recs) > 0 {
		data.First, data.Last = (page-1)*auditPerPage+1, (page-1)*auditPerPage+len(recs)
	}
	q := v.query()
	data.Pager = newPager("/audit", q, page, total, auditPerPage)
	q.Del("page")
	data.XLSX, data.CSV = "/audit.xlsx?"+q.Encode(), "/audit.csv?"+q.Encode()
	return s.render(c, fiber.StatusOK, "audit", Page{Title: "Audit trail", Nav: "audit", Data: data})
}

// actorNames maps the person ids among the entries' actors to names.
func (s *Server) actorNames(c *fiber.Ctx, recs []audit.Record) (map[string]string, error) {
	var ids []string
	seen := map[string]bool{}
	for _, r := range recs {
		if !seen[r.Actor] {
			seen[r.Actor] = true
			ids = append(ids, r.Actor)
		}
	}
	out := map[string]string{audit.SystemActor: "System", anonymousActor: "Not logged in"}
	if len(ids) == 0 {
		return out, nil
	}
	people, _, err := s.accounts.List(c.UserContext(), accounts.ListFilter{IDs: ids, Limit: 500})
	if err != nil {
		return nil, err
	}
	for _, p := range people {
		out[p.ID] = p.Name
	}
	return out, nil
}

// pageValueLimit bounds a value shown on the page (a discarded program
// draft keeps its whole content); the exports have every value in full.
const pageValueLimit = 4000

func indentJSON(s string) string {
	if s == "" {
		return ""
	}
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(s), "", "  "); err == nil {
		s = b.String()
	}
	if r := []rune(s); len(r) > pageValueLimit {
		s = string(r[:pageValueLimit]) + "\n… (cut here; the .xlsx and .csv downloads hold the full value)"
	}
	return s
}

// auditColumns are the export's columns, in order.
var auditColumns = []reports.Column{{Title: "Seq", Width: 8}, {Title: "Time (UTC)", Width: 22}, {Title: "Actor", Width: 38}, {Title: "Actor name", Width: 24},
	{Title: "Via", Width: 46}, {Title: "Action", Width: 24}, {Title: "Entity type", Width: 16}, {Title: "Entity id", Width: 38},
	{Title: "Before", Width: 60}, {Title: "After", Width: 60}, {Title: "IP", Width: 16}, {Title: "Request id", Width: 18}, {Title: "Hash", Width: 66}}

// clipCell keeps a value within a spreadsheet cell, saying so when cut:
// the full value stays in Skillgate (a discarded program draft, say).
func clipCell(s string) string {
	const room = reports.MaxCellText - 100
	if len([]rune(s)) <= room {
		return s
	}
	return string([]rune(s)[:room]) + " … [cut: longer than a spreadsheet cell; the full value is in Skillgate]"
}

// auditExport writes the filtered trail, newest first, as .xlsx or .csv
// to a temporary file and sends it; the export is audited before it goes.
func (s *Server) auditExport(format string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		f, v := s.auditFilter(c)
		if len(v.Errors) > 0 {
			var msgs []string
			for _, k := range []string{"actor", "from", "to"} {
				if m := v.Errors[k]; m != "" {
					msgs = append(msgs, m)
				}
			}
			return apiError(fiber.StatusBadRequest, "This export cannot be made: "+strings.Join(msgs, " "))
		}
		params := map[string]any{"format": format}
		for k, x := range f.Params() {
			params[k] = x
		}
		if err := s.recordExport(c, "audit_trail", "", params); err != nil {
			return err
		}
		write, contentType := s.writeAuditCSV, "text/csv; charset=utf-8"
		if format == "xlsx" {
			write, contentType = s.writeAuditXLSX, xlsxContentType
		}
		name := "audit-trail-" + curriculum.DateOf(s.now(), s.cfg.Location()).String() + "." + format
		if err := sendTempFile(c, "skillgate-audit-*."+format, contentType, name,
			func(w io.Writer) error { return write(c, f, w) }, nil); err != nil {
			return fmt.Errorf("audit export: %w", err)
		}
		return nil
	}
}

// eachAuditRow calls fn with every matching entry's cells, newest first.
func (s *Server) eachAuditRow(c *fiber.Ctx, f audit.Filter, fn func(r *audit.Record, name string) error) error {
	names := map[string]string{audit.SystemActor: "System", anonymousActor: "Not logged in"}
	return audit.Each(c.UserContext(), s.db, f, func(r *audit.Record) error {
		name, ok := names[r.Actor]
		if !ok {
			if p, err := s.accounts.ByID(c.UserContext(), r.Actor); err == nil {
				name = p.Name
			}
			names[r.Actor] = name
		}
		return fn(r, name)
	})
}

func (s *Server) writeAuditXLSX(c *fiber.Ctx, f audit.Filter, out io.Writer) error {
	w, err := reports.New("Audit trail", auditColumns)
	if err != nil {
		return err
	}
	defer w.Close()
	err = s.eachAuditRow(c, f, func(r *audit.Record, name string) error {
		return w.Add(int(r.Seq), r.At.UTC().Format("2006-01-02 15:04:05.000000Z"), r.Actor, name, r.Via, r.Action, r.EntityType, r.EntityID,
			clipCell(r.Before), clipCell(r.After), r.IP, r.RequestID, r.Hash)
	})
	if err != nil {
		return err
	}
	u := currentUser(c)
	var filters []string
	for k, v := range f.Params() {
		filters = append(filters, k+": "+v)
	}
	if len(filters) == 0 {
		filters = []string{"none: every entry"}
	}
	return w.Finish(out, reports.About{Report: "Audit trail (newest first); check it with skillgate audit verify", Filters: filters,
		AsOf: curriculum.DateOf(s.now(), s.cfg.Location()), GeneratedAt: s.now(), GeneratedBy: u.Name + " <" + u.Email + ">"})
}

func (s *Server) writeAuditCSV(c *fiber.Ctx, f audit.Filter, out io.Writer) error {
	w := csv.NewWriter(out)
	head := make([]string, len(auditColumns))
	for i, col := range auditColumns {
		head[i] = col.Title
	}
	if err := w.Write(head); err != nil {
		return err
	}
	err := s.eachAuditRow(c, f, func(r *audit.Record, name string) error {
		row := []string{strconv.FormatInt(r.Seq, 10), r.At.UTC().Format(time.RFC3339Nano), r.Actor, name, r.Via, r.Action,
			r.EntityType, r.EntityID, r.Before, r.After, r.IP, r.RequestID, r.Hash}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		return w.Write(row)
	})
	if err != nil {
		return err
	}
	w.Flush()
	return w.Error()
}

// csvSafe defuses formula injection: a spreadsheet opening the CSV would
// run a cell that starts with = + - @ (or a tab or carriage return before
// one), so such a cell gets a leading apostrophe and stays text. Numbers
// and times written by Skillgate never start with these.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
