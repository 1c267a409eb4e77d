// Package auditsubjects files the audit trail by person: whose record each
// chained entry is about (tables audit_subjects and audit_subjects_filed,
// written only here), so that the trail's "whose record" (app/reports)
// reads an index instead of joining every kind of record to the whole
// trail.
package auditsubjects

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/skillgate/skillgate/app/db"
)

// The audit trail's "whose record": the entries about a person's account
// and every record of theirs. Joining each kind of record to the whole
// trail read every entry of that kind (a real trail has one for every
// observation: 50,000 entries read to find 2,000 of the Garcias'), so
// entries are filed by person once chained (table audit_subjects, written
// only here) and "whose" reads that index; the entries not filed yet (the
// chain's newest, and those waiting for the sealer) are still joined,
// which reads only them. audit_subjects_filed says how far along the chain
// the index goes, and is written in the same transaction as the rows, so
// a reader's one statement sees the two agree.

// subjectKind is a kind of record that belongs to a person: how an entry
// about one (entity_type Type, entity_id the record's id, the entry's
// alias a) finds its person.
type subjectKind struct {
	Type string
	// Join joins the record to the entry ("" for a person's own account).
	Join string
	// Person is the column naming the person.
	Person string
	// Live kinds are never filed: their record may be tied to its person
	// after the entry is written (an evidence file is uploaded before the
	// credential it proves is saved), so their entries are always joined.
	Live bool
}

var subjectKinds = []subjectKind{
	{Type: "person", Person: "a.entity_id"},
	{Type: "credential", Join: "credentials AS x ON x.id = a.entity_id", Person: "x.person_id"},
	{Type: "credential_file", Join: "credentials AS x ON x.file_id = a.entity_id", Person: "x.person_id", Live: true},
	{Type: "enrollment", Join: "enrollments AS x ON x.id = a.entity_id", Person: "x.apprentice_id"},
	{Type: "observation", Join: "observations AS x ON x.id = a.entity_id", Person: "x.apprentice_id"},
	{Type: "signoff", Join: "sign_offs AS x ON x.id = a.entity_id", Person: "x.apprentice_id"},
	{Type: "test", Join: "test_results AS x ON x.id = a.entity_id", Person: "x.apprentice_id"},
	{Type: "selflog", Join: "self_logs AS x ON x.id = a.entity_id", Person: "x.apprentice_id"},
	{Type: "hours", Join: "hours_entries AS x ON x.id = a.entity_id", Person: "x.apprentice_id"},
	{Type: "token", Join: "api_tokens AS x ON x.id = a.entity_id", Person: "x.user_id"},
	{Type: "calendar_token", Join: "calendar_tokens AS x ON x.id = a.entity_id", Person: "x.person_id"},
}

// selectFrom is the SELECT of columns over the entries of this kind in
// from (a table or CTE of entries, aliased a) that meet cond, whose person
// is among people when people is not "".
func (k subjectKind) selectFrom(columns, from, cond, people string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "SELECT %s FROM %s AS a", strings.ReplaceAll(columns, "$person", k.Person), from)
	if k.Join != "" {
		b.WriteString(" JOIN " + k.Join)
	}
	fmt.Fprintf(&b, " WHERE a.entity_type = '%s'", k.Type)
	if cond != "" {
		b.WriteString(" AND " + cond)
	}
	if people != "" {
		fmt.Fprintf(&b, " AND %s IN (%s)", k.Person, people)
	}
	return b.String()
}

// unfiled is the CTE of the entries the index does not hold yet: those
// waiting for the sealer and those chained after the index's mark (two
// index ranges of audit_log).
const unfiled = `unfiled AS MATERIALIZED (SELECT seq, entity_type, entity_id FROM audit_log WHERE chain_seq IS NULL
	UNION ALL SELECT seq, entity_type, entity_id FROM audit_log WHERE chain_seq > (SELECT filed_to FROM audit_subjects_filed))`

// Condition is the SQL condition, over audit_log's columns, for the
// entries about the people that people stands for (SQL for "IN (…)",
// with its arguments peopleArgs): their account, and every record of
// theirs (credentials, enrollments, evidence, tokens).
func Condition(people string, peopleArgs []any) (string, []any) {
	var b strings.Builder
	var args []any
	b.WriteString("seq IN (WITH " + unfiled + " SELECT f.seq FROM audit_subjects AS f WHERE f.person_id IN (" + people + ")")
	args = append(args, peopleArgs...)
	for _, k := range subjectKinds {
		from := "unfiled"
		if k.Live {
			from = "audit_log"
		}
		b.WriteString(" UNION ALL " + k.selectFrom("a.seq", from, "", people))
		args = append(args, peopleArgs...)
	}
	b.WriteString(")")
	return b.String(), args
}

// batchSize is how many places of the chain one filing transaction
// covers.
const batchSize = 20000

// File files the chained entries not filed yet under the
// people their records belong to, a batch per transaction, until it has
// caught up with the chain; it returns how many entries it looked at.
// Instances take turns on the mark's row; entries are filed in chain order
// because an entry is chained only after every entry before it has
// committed (the chain's lock is held to commit), so everything up to the
// chain's newest place is there to read.
func File(ctx context.Context, d *db.DB) (int, error) {
	total := 0
	for {
		n, err := fileBatch(ctx, d)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

func fileBatch(ctx context.Context, d *db.DB) (int, error) {
	// Cheap when nothing is new (two index reads, no transaction): the
	// sealer runs this every 100 ms, and on SQLite a transaction takes the
	// one write lock.
	var state struct {
		Filed int64 `bun:"filed"`
		Head  int64 `bun:"head"`
	}
	if err := d.NewRaw("SELECT (SELECT filed_to FROM audit_subjects_filed WHERE id = 1) AS filed, (SELECT COALESCE(MAX(chain_seq), 0) FROM audit_log) AS head").Scan(ctx, &state); err != nil {
		return 0, fmt.Errorf("read how far the audit trail is filed: %w", db.Translate(err))
	}
	if state.Head <= state.Filed {
		return 0, nil
	}
	var n int
	err := d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		mark := "SELECT filed_to FROM audit_subjects_filed WHERE id = 1"
		if tx.Dialect().Name() == dialect.PG {
			mark += " FOR UPDATE" // another instance's filer waits here, then reads its new mark
		}
		var from int64
		if err := tx.NewRaw(mark).Scan(ctx, &from); err != nil {
			return fmt.Errorf("read how far the audit trail is filed: %w", err)
		}
		// Every entry up to the head read above is committed (an entry is
		// chained only after those before it commit), so it is safe to file
		// up to it; anything chained since waits for the next batch.
		to := min(state.Head, from+batchSize)
		if to <= from {
			return nil
		}
		// The batch is read once, through the chain's index: left to
		// itself, the planner may read each kind's entries through the
		// entity index instead and filter them by place (every observation
		// entry ever written, for a batch of one).
		var parts []string
		for _, k := range subjectKinds {
			if !k.Live {
				parts = append(parts, k.selectFrom("$person, a.seq", "batch", "", ""))
			}
		}
		// The primary key refuses an entry filed twice; the mark's row lock
		// means it never is.
		q := "INSERT INTO audit_subjects (person_id, seq) WITH batch AS MATERIALIZED (SELECT seq, entity_type, entity_id FROM audit_log WHERE chain_seq > ? AND chain_seq <= ?) " +
			strings.Join(parts, " UNION ALL ")
		if _, err := tx.NewRaw(q, from, to).Exec(ctx); err != nil {
			return fmt.Errorf("file audit entries %d to %d: %w", from+1, to, err)
		}
		if _, err := tx.NewRaw("UPDATE audit_subjects_filed SET filed_to = ? WHERE id = 1", to).Exec(ctx); err != nil {
			return fmt.Errorf("mark audit entries filed to %d: %w", to, err)
		}
		n = int(to - from)
		return nil
	})
	return n, db.Translate(err)
}
