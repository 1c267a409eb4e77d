package reports

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// A CSV cell a spreadsheet would run as a formula stays text; others are
// untouched.
func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{
		`=HYPERLINK("http://x")`: `'=HYPERLINK("http://x")`, "+1": "'+1", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)",
		"\t=1": "'\t=1", "\r=1": "'\r=1", "Ann": "Ann", "2026-11-23T10:00:00Z": "2026-11-23T10:00:00Z", "": "", "a=b": "a=b",
	} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// A value longer than a cell is cut with a note saying so and still fits;
// a value on the page is cut at pageValueLimit characters.
func TestAuditValuesAreCutVisibly(t *testing.T) {
	long := strings.Repeat("é", MaxCellText)
	got := clipCell(long)
	if n := utf8.RuneCountInString(got); n > MaxCellText || !strings.HasSuffix(got, "the full value is in Skillgate]") {
		t.Fatalf("clipped to %d characters, ending %q", n, got[len(got)-40:])
	}
	if short := strings.Repeat("x", 100); clipCell(short) != short {
		t.Fatal("a short value was changed")
	}
	got = cut(strings.Repeat("y", 2*pageValueLimit), pageValueLimit)
	if !strings.HasSuffix(got, "the .xlsx and .csv downloads hold the full value)") || utf8.RuneCountInString(got) > pageValueLimit+100 {
		t.Fatalf("a long value on the page is %d characters", utf8.RuneCountInString(got))
	}
}

// Field names read as words: no PersonID or FileID on the page.
func TestHumanizeFieldNames(t *testing.T) {
	for in, want := range map[string]string{
		"PersonID": "Person", "person_id": "Person", "FileID": "Evidence file", "ValidThroughMonth": "Valid through the end of the month",
		"verified_by": "Verified by", "site_ids": "Sites", "checklist_version": "Checklist version", "IssuedOn": "Issued on",
		"RecordedAt": "Recorded at", "observer_ids": "Observers", "login.failed": "Login failed", "ID": "Record",
	} {
		if got := humanize(in); got != want {
			t.Errorf("humanize(%q) = %q, want %q", in, got, want)
		}
	}
}

// The example reads as written, and an apprentice's own hours
// say "their", not their name twice.
func TestAuditSentences(t *testing.T) {
	w := &auditWords{names: map[string]string{"p-helen": "Helen Ortiz", "p-jordan": "Jordan Lee"}, comps: map[string]string{}, loc: time.UTC,
		subjects: map[string]subjectRow{
			"credential\x00c-1": {Type: "credential", ID: "c-1", Subject: "p-jordan", A: "BLS", B: "AHA-2026-998877"},
			"hours\x00h-1":      {Type: "hours", ID: "h-1", Subject: "p-jordan", A: "PT-CARE", B: "450"},
		}}
	for _, c := range []struct {
		rec         audit.Record
		want, whose string
	}{
		{audit.Record{Actor: "p-helen", Action: "credential.verify", EntityType: "credential", EntityID: "c-1"}, "Helen Ortiz verified Jordan Lee's BLS card AHA-2026-998877", "Jordan Lee"},
		{audit.Record{Actor: "p-jordan", Action: "hours.create", EntityType: "hours", EntityID: "h-1"}, "Jordan Lee logged 7.5 hours of PT-CARE", "Jordan Lee"},
		{audit.Record{Actor: "p-helen", Action: "hours.approve", EntityType: "hours", EntityID: "h-1"}, "Helen Ortiz approved Jordan Lee's 7.5 hours of PT-CARE", "Jordan Lee"},
		{audit.Record{Actor: "p-jordan", Action: "login.success", EntityType: "person", EntityID: "p-jordan"}, "Jordan Lee logged in", "Jordan Lee"},
		{audit.Record{Actor: "p-helen", Action: "person.roles", EntityType: "person", EntityID: "p-jordan"}, "Helen Ortiz set Jordan Lee's roles and sites", "Jordan Lee"},
	} {
		got, whose, _ := w.describe(&c.rec)
		if got != c.want || whose != c.whose {
			t.Errorf("%s: %q (whose %q), want %q (whose %q)", c.rec.Action, got, whose, c.want, c.whose)
		}
	}
	// Values under labels, ids of people as names, no internal names.
	r := audit.Record{After: `{"PersonID":"p-jordan","FileID":"","VerifiedBy":"p-helen","ValidThroughMonth":true}`}
	var labels []string
	for _, f := range w.fields(&r, 0) {
		labels = append(labels, f.Label+"="+f.After)
	}
	if got := strings.Join(labels, "; "); got != "Person=Jordan Lee; Valid through the end of the month=yes; Verified by=Helen Ortiz" {
		t.Errorf("fields: %s", got)
	}
}

// Every action the trail's filter lists reads as a sentence of its own,
// not as the fallback made of the action's and entity's raw names.
func TestEveryListedActionHasASentence(t *testing.T) {
	w := &auditWords{names: map[string]string{"p-helen": "Helen Ortiz", "p-jordan": "Jordan Lee"}, comps: map[string]string{}, loc: time.UTC,
		subjects: map[string]subjectRow{}}
	for _, action := range AuditActions {
		r := audit.Record{Actor: "p-helen", Action: action, EntityType: "person", EntityID: "p-jordan",
			Before: `{"issuer":"https://idp.example","url":"https://hr.example/hook"}`,
			After:  `{"issuer":"https://idp.example","email":"jordan@demo.test","name":"Work phone","hire_date":"2026-03-02","reason":"typo on the offer letter","url":"https://hr.example/hook"}`}
		got, _, _ := w.describe(&r)
		fallback := "Helen Ortiz " + humanize(action) + " " + humanize(r.EntityType) + " " + r.EntityID
		if strings.TrimSpace(got) == strings.TrimSpace(fallback) || got == "" {
			t.Errorf("%s has no sentence of its own: %q", action, got)
		}
	}
	for action, want := range map[string]string{
		"sso.link":            "Helen Ortiz linked Jordan Lee's account to https://idp.example (sign-in as jordan@demo.test)",
		"person.hire_date":    "Helen Ortiz set Jordan Lee's hire date to 2026-03-02 (“typo on the offer letter”)",
		"passkey.add":         "Helen Ortiz added the passkey “Work phone” to Jordan Lee's account",
		"wage.step_approve":   "Helen Ortiz approved Jordan Lee's wage step Step 2 ($15.95 an hour), effective 2026-07-15",
		"person.demographics": "Helen Ortiz changed Jordan Lee's demographic fields for RAPIDS (date of birth, race)",
	} {
		r := audit.Record{Actor: "p-helen", Action: action, EntityType: "person", EntityID: "p-jordan",
			After: `{"issuer":"https://idp.example","email":"jordan@demo.test","name":"Work phone","hire_date":"2026-03-02","reason":"typo on the offer letter","fields":["date_of_birth","race"],
				"title":"Step 2","wage":"$15.95 an hour","effective_on":"2026-07-15"}`}
		if got, _, _ := w.describe(&r); got != want {
			t.Errorf("%s: %q, want %q", action, got, want)
		}
	}
}

// Every action any package writes is in the trail's list (so the filter
// suggests it and TestEveryListedActionHasASentence gives it a sentence):
// the actions are read from the source, where each writer names its own.
func TestEveryWrittenActionIsListed(t *testing.T) {
	named := regexp.MustCompile(`(?:Action\w*\s*=|Action:)\s*"([a-z_]+\.[a-z_]+)"`)
	listed := map[string]bool{}
	for _, a := range AuditActions {
		listed[a] = true
	}
	seen := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range named.FindAllStringSubmatch(string(src), -1) {
			seen++
			if !listed[m[1]] {
				t.Errorf("%s writes the audit action %q, which AuditActions does not list", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 50 {
		t.Fatalf("found only %d actions in the source; the pattern no longer matches how actions are named", seen)
	}
}

// "Who" and "whose record" find the same entries whether the people a
// text names are read first (up to namedPeopleLimit of them) or, when
// there are more, found by the statement itself.
func TestAuditPeopleFiltersWithManyNamed(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		store := accounts.NewStore(d)
		s := &Service{DB: d, Accounts: store}
		log := audit.New()
		var ids []string
		for i, name := range []string{"Ana Garcia", "Luis García Garcia", "Marta Garcian", "Jo Smith"} {
			p, err := store.Create(ctx, accounts.NewPerson{Email: fmt.Sprintf("p%d@many.test", i), Name: name, Roles: []accounts.Role{accounts.RoleHR}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, p.ID)
		}
		for i, id := range ids {
			// Each person acts on the next one's account.
			actx := audit.WithActor(ctx, audit.Actor{ID: id, Via: "test"})
			if err := log.Append(actx, d, audit.Entry{Action: "person.update", EntityType: "person", EntityID: ids[(i+1)%len(ids)]}); err != nil {
				t.Fatal(err)
			}
		}
		seqs := func(cond audit.Condition) []int64 {
			t.Helper()
			rows, n, err := audit.List(ctx, d, audit.Filter{Conditions: []audit.Condition{cond}}, 100, 0)
			if err != nil || n != len(rows) {
				t.Fatalf("%s=%s: %d rows, total %d, %v", cond.Param, cond.Value, len(rows), n, err)
			}
			out := make([]int64, len(rows))
			for i, r := range rows {
				out[i] = r.Seq
			}
			return out
		}
		both := func(text string) {
			t.Helper()
			subject, err := s.AuditSubject(ctx, text)
			if err != nil {
				t.Fatal(err)
			}
			actor, err := s.AuditActor(ctx, text)
			if err != nil {
				t.Fatal(err)
			}
			few, byActor := seqs(subject), seqs(actor)
			saved := namedPeopleLimit
			namedPeopleLimit = 1 // "garcia" names three: the statement finds them
			defer func() { namedPeopleLimit = saved }()
			if subject, err = s.AuditSubject(ctx, text); err != nil {
				t.Fatal(err)
			}
			if actor, err = s.AuditActor(ctx, text); err != nil {
				t.Fatal(err)
			}
			if many := seqs(subject); !slices.Equal(few, many) {
				t.Errorf("whose %q: %v with the ids read first, %v found by the statement", text, few, many)
			}
			if many := seqs(actor); !slices.Equal(byActor, many) {
				t.Errorf("who %q: %v with the ids read first, %v found by the statement", text, byActor, many)
			}
		}
		both("garcia")
		both("GARCIA")
		both("p3@many.test")
		both(ids[0])
		both("nobody at all")
		// The Garcias are the first three: the entries about their accounts.
		var want []int64
		for _, id := range ids[:3] {
			rows, _, err := audit.List(ctx, d, audit.Filter{EntityType: "person", EntityID: id}, 100, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				want = append(want, r.Seq)
			}
		}
		slices.Sort(want)
		slices.Reverse(want)
		if got, _ := s.AuditSubject(ctx, "garcia"); !slices.Equal(seqs(got), want) {
			t.Errorf("whose garcia: %v, want the entries about the three Garcias %v", seqs(got), want)
		}
	})
}
