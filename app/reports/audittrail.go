package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/curriculum"
)

// The audit trail as auditors read it: a page of entries with the actors'
// names, times in the organisation's zone and values indented, and the
// whole filtered trail as .xlsx or .csv.

// AuditEntry is an entry as the page shows it.
type AuditEntry struct {
	audit.Record
	ActorName     string
	Time          string // in the organisation's zone
	Before, After string // indented JSON
}

// AuditTrail returns limit entries from offset that f selects, newest
// first, and how many it selects.
func (s *Service) AuditTrail(ctx context.Context, f audit.Filter, limit, offset int) ([]AuditEntry, int, error) {
	recs, total, err := audit.List(ctx, s.DB, f, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	names, err := s.actorNames(ctx, recs)
	if err != nil {
		return nil, 0, err
	}
	loc := s.location()
	var rows []AuditEntry
	for _, r := range recs {
		rows = append(rows, AuditEntry{Record: r, ActorName: names[r.Actor], Before: indentJSON(r.Before), After: indentJSON(r.After),
			Time: r.At.In(loc).Format("2006-01-02 15:04:05 MST")})
	}
	return rows, total, nil
}

// AuditActions lists the trail's actions, for the filter's suggestions.
var AuditActions = []string{
	"login.success", "login.failed", "logout", "export",
	"person.create", "person.disable", "person.enable", "person.unlock", "person.password_change", "person.reset_start", "person.reset_complete",
	"site.create", "token.create", "token.revoke", "token.used", "calendar_token.create", "calendar_token.revoke",
	"program.create", "program.import", "program.draft_start", "program.draft_save", "program.publish", "program.discard",
	"enrollment.create", "enrollment.status_change", "enrollment.move", "observation.create", "observation.correct", "test.create",
	"signoff.create", "signoff.revoke", "selflog.create", "selflog.verify", "selflog.reject", "hours.create", "hours.approve", "hours.reject",
	"credential.create", "credential.verify", "credential_file.create", "import.apply",
}

// AuditEntityTypes lists the kinds of entity the trail names.
var AuditEntityTypes = []string{"person", "site", "token", "calendar_token", "program_version", "enrollment", "observation", "test",
	"signoff", "selflog", "hours", "credential", "credential_file", "import", "report"}

// actorsWithoutAccounts names the actors that are not people.
func actorsWithoutAccounts() map[string]string {
	return map[string]string{audit.SystemActor: "System", audit.AnonymousActor: "Not logged in"}
}

// actorNames maps the person ids among the entries' actors to names.
func (s *Service) actorNames(ctx context.Context, recs []audit.Record) (map[string]string, error) {
	var ids []string
	seen := map[string]bool{}
	for _, r := range recs {
		if !seen[r.Actor] {
			seen[r.Actor] = true
			ids = append(ids, r.Actor)
		}
	}
	out := actorsWithoutAccounts()
	if len(ids) == 0 {
		return out, nil
	}
	people, _, err := s.Accounts.List(ctx, accounts.ListFilter{IDs: ids, Limit: 500})
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
var auditColumns = []Column{{Title: "Seq", Width: 8}, {Title: "Time", Width: 22, Zoned: true}, {Title: "Actor", Width: 38}, {Title: "Actor name", Width: 24},
	{Title: "Via", Width: 46}, {Title: "Action", Width: 24}, {Title: "Entity type", Width: 16}, {Title: "Entity id", Width: 38},
	{Title: "Before", Width: 60}, {Title: "After", Width: 60}, {Title: "IP", Width: 16}, {Title: "Request id", Width: 18}, {Title: "Hash", Width: 66}}

// clipCell keeps a value within a spreadsheet cell, saying so when cut:
// the full value stays in Skillgate (a discarded program draft, say).
func clipCell(s string) string {
	const room = MaxCellText - 100
	if len([]rune(s)) <= room {
		return s
	}
	return string([]rune(s)[:room]) + " … [cut: longer than a spreadsheet cell; the full value is in Skillgate]"
}

// eachAuditRow calls fn with every matching entry's cells, newest first.
func (s *Service) eachAuditRow(ctx context.Context, f audit.Filter, fn func(r *audit.Record, name string) error) error {
	names := actorsWithoutAccounts()
	return audit.Each(ctx, s.DB, f, func(r *audit.Record) error {
		name, ok := names[r.Actor]
		if !ok {
			if p, err := s.Accounts.ByID(ctx, r.Actor); err == nil {
				name = p.Name
			}
			names[r.Actor] = name
		}
		return fn(r, name)
	})
}

// WriteAuditXLSX writes the trail f selects, newest first, as a workbook
// with every value in full (up to what a cell holds); generatedBy names
// who asked, on the About sheet.
func (s *Service) WriteAuditXLSX(ctx context.Context, f audit.Filter, generatedBy string, out io.Writer) error {
	w, err := NewIn("Audit trail", auditColumns, s.location())
	if err != nil {
		return err
	}
	defer w.Close()
	err = s.eachAuditRow(ctx, f, func(r *audit.Record, name string) error {
		return w.Add(int(r.Seq), r.At, r.Actor, name, r.Via, r.Action, r.EntityType, r.EntityID,
			clipCell(r.Before), clipCell(r.After), r.IP, r.RequestID, r.Hash)
	})
	if err != nil {
		return err
	}
	var filters []string
	for k, v := range f.Params() {
		filters = append(filters, k+": "+v)
	}
	if len(filters) == 0 {
		filters = []string{"none: every entry"}
	}
	return w.Finish(out, About{Report: "Audit trail (newest first); check it with skillgate audit verify", Filters: filters,
		AsOf: curriculum.DateOf(s.now(), s.location()), GeneratedAt: s.now(), GeneratedBy: generatedBy})
}

// WriteAuditCSV writes the trail f selects, newest first, as CSV with
// every value in full.
func (s *Service) WriteAuditCSV(ctx context.Context, f audit.Filter, out io.Writer) error {
	w := csv.NewWriter(out)
	head := make([]string, len(auditColumns))
	for i, col := range auditColumns {
		head[i] = col.Title
	}
	if err := w.Write(head); err != nil {
		return err
	}
	err := s.eachAuditRow(ctx, f, func(r *audit.Record, name string) error {
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
