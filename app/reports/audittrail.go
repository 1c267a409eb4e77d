package reports

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/curriculum"
)

// The audit trail as auditors read it: a page of entries with the actors'
// names, times in the organisation's zone and values indented, and the
// whole filtered trail as .xlsx or .csv.

// AuditEntry is an entry as the page shows it.
type AuditEntry struct {
	audit.Record
	ActorName string
	Time      string // in the organisation's zone
	// Sentence says what happened in words; Whose names whose record it
	// concerns (a person, a program version, a site), WhoseID the person.
	Sentence, Whose, WhoseID string
	// Fields are the values under labels, before and after.
	Fields []AuditField
}

// AuditTrail returns limit entries from offset that f selects, newest
// first, and how many it selects; names are read in a fixed number of
// queries whatever the page holds.
func (s *Service) AuditTrail(ctx context.Context, f audit.Filter, limit, offset int) ([]AuditEntry, int, error) {
	recs, total, err := s.auditCount.List(ctx, s.DB, f, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	w, err := s.words(ctx, recs)
	if err != nil {
		return nil, 0, err
	}
	rows := make([]AuditEntry, 0, len(recs))
	for _, r := range recs {
		e := AuditEntry{Record: r, ActorName: w.name(r.Actor), Fields: w.fields(&r, pageValueLimit),
			Time: r.At.In(w.loc).Format("2006-01-02 15:04:05 MST")}
		e.Sentence, e.Whose, e.WhoseID = w.describe(&r)
		rows = append(rows, e)
	}
	return rows, total, nil
}

// AuditActions lists the trail's actions, for the filter's suggestions.
var AuditActions = []string{
	"login.success", "login.failed", "logout", "export",
	"person.create", "person.update", "person.roles", "person.disable", "person.enable", "person.unlock", "person.password_change", "person.reset_start", "person.reset_complete",
	"login.code_failed", "session.end", "factor.enrol", "factor.approve", "factor.removal_start", "factor.remove", "factor.recovery_code_used",
	"site.create", "token.create", "token.revoke", "token.used", "calendar_token.create", "calendar_token.revoke",
	"program.create", "program.import", "program.draft_start", "program.draft_save", "program.publish", "program.discard",
	"enrollment.create", "enrollment.status_change", "enrollment.complete", "enrollment.move", "observation.create", "observation.correct", "observation.transcribe", "test.create",
	"signoff.create", "signoff.revoke", "signoff.transcribe_paper", "selflog.create", "selflog.verify", "selflog.reject", "hours.create", "hours.approve", "hours.reject",
	"credential.create", "credential.verify", "credential_file.create", "import.apply",
	"scim_token.create", "scim_token.revoke", "scim.user_link", "scim.user_delete", "scim_group.create", "scim_group.update", "scim_group.delete",
	"factor.recovery_codes_renew", "passkey.add", "passkey.remove", "person.hire_date", "wage.step_approve", "person.demographics", "person.demographics_view", "person.sync", "sso.link", "sso.unlink", "sso.settings",
	"webhook.create", "webhook.update", "webhook.rotate_secret", "webhook.delete", "webhook.resend",
	"evaluation.sign", "evaluation.acknowledge",
	"selflog.transcribe", "hours.transcribe", "test.transcribe", "signoff.revoke_paper", "transcription.scan_attach", "transcription.scan_download",
	"document.issue", "person.employee_id", "program.export",
}

// AuditEntityTypes lists the kinds of entity the trail names.
var AuditEntityTypes = []string{"person", "site", "token", "calendar_token", "program_version", "enrollment", "observation", "test",
	"signoff", "paper_sign_off", "selflog", "hours", "credential", "credential_file", "import", "report", "scim_token", "scim_group", "webhook", "sso", "evaluation", "document"}

// actorsWithoutAccounts names the actors that are not people.
func actorsWithoutAccounts() map[string]string {
	return map[string]string{audit.SystemActor: "System", audit.AnonymousActor: "Not logged in", audit.SCIMActor: "Identity provider (SCIM)"}
}

// pageValueLimit bounds a value shown on the page (a discarded program
// draft keeps its whole content); the exports have every value in full.
const pageValueLimit = 4000

// auditColumns are the export's columns, in order.
var auditColumns = []Column{{Title: "Seq", Width: 8}, {Title: "Time", Width: 22, Zoned: true}, {Title: "Entry", Width: 70}, {Title: "Whose record", Width: 24},
	{Title: "Actor", Width: 38}, {Title: "Actor name", Width: 24},
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

// auditRow is an entry as the exports write it: its sentence and whose
// record it concerns, then the raw fields.
type auditRow struct {
	*audit.Record
	ActorName, Sentence, Whose string
}

// eachAuditRow calls fn with every matching entry, newest first, reading
// names once per batch of entries.
func (s *Service) eachAuditRow(ctx context.Context, f audit.Filter, fn func(r auditRow) error) error {
	return audit.EachBatch(ctx, s.DB, f, func(batch []audit.Record) error {
		w, err := s.words(ctx, batch)
		if err != nil {
			return err
		}
		for i := range batch {
			r := auditRow{Record: &batch[i], ActorName: w.name(batch[i].Actor)}
			r.Sentence, r.Whose, _ = w.describe(&batch[i])
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
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
	err = s.eachAuditRow(ctx, f, func(r auditRow) error {
		return w.Add(int(r.Seq), r.At, r.Sentence, r.Whose, r.Actor, r.ActorName, r.Via, r.Action, r.EntityType, r.EntityID,
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
	w, err := csvWithHeader(out, auditColumns)
	if err != nil {
		return err
	}
	err = s.eachAuditRow(ctx, f, func(r auditRow) error {
		row := []string{strconv.FormatInt(r.Seq, 10), r.At.UTC().Format(time.RFC3339Nano), r.Sentence, r.Whose, r.Actor, r.ActorName, r.Via, r.Action,
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

// csvWithHeader starts a CSV on out with the columns' titles.
func csvWithHeader(out io.Writer, cols []Column) (*csv.Writer, error) {
	w := csv.NewWriter(out)
	head := make([]string, len(cols))
	for i, col := range cols {
		head[i] = col.Title
	}
	return w, w.Write(head)
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
