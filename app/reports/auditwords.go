package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/auditsubjects"
	"github.com/skillgate/skillgate/app/db"
)

// The audit trail in words: who did what to whose record, as a sentence
// ("Helen Ortiz verified Jordan Lee's BLS card AHA-2026-998877"), and each
// entry's values under labels a reader knows ("Person", not PersonID).
// Every name a page of entries needs is read in a fixed number of
// queries, whatever the page holds.

// AuditField is one labelled value of an entry, as it was before and
// after (either may be empty).
type AuditField struct {
	Label, Before, After string
}

// subjectRow is what one audited record says about whom it concerns.
type subjectRow struct {
	Type      string `bun:"t"`
	ID        string `bun:"id"`
	Subject   string `bun:"subject"`
	A         string `bun:"a"`
	B         string `bun:"b"`
	VersionID string `bun:"version_id"`
}

// subjectSources is, per entity type, the SELECT that gives an audited
// record's subject (the person it concerns) and two words describing it
// (A, B), with the program version whose competency names apply.
var subjectSources = map[string]string{
	"credential": `SELECT 'credential' AS t, c.id, c.person_id AS subject, c.type_code AS a, c.number AS b, '' AS version_id
		FROM credentials AS c WHERE c.id IN (?)`,
	"credential_file": `SELECT 'credential_file' AS t, f.id, COALESCE(c.person_id, '') AS subject, COALESCE(c.type_code, '') AS a, f.original_name AS b, '' AS version_id
		FROM credential_files AS f LEFT JOIN credentials AS c ON c.file_id = f.id WHERE f.id IN (?)`,
	"enrollment": `SELECT 'enrollment' AS t, x.id, x.apprentice_id AS subject, p.title AS a, CAST(v.number AS TEXT) AS b, x.version_id
		FROM enrollments AS x JOIN program_versions AS v ON v.id = x.version_id JOIN programs AS p ON p.id = v.program_id WHERE x.id IN (?)`,
	"observation": `SELECT 'observation' AS t, x.id, x.apprentice_id AS subject, x.competency AS a,
		CASE WHEN x.successful THEN 'successful' ELSE 'unsuccessful' END AS b, e.version_id
		FROM observations AS x JOIN enrollments AS e ON e.id = x.enrollment_id WHERE x.id IN (?)`,
	"evaluation": `SELECT 'evaluation' AS t, x.id, x.apprentice_id AS subject, CAST(x.seq AS TEXT) AS a, x.due_on AS b, x.version_id
		FROM evaluations AS x WHERE x.id IN (?)`,
	"signoff": `SELECT 'signoff' AS t, x.id, x.apprentice_id AS subject, x.competency AS a, x.kind AS b, e.version_id
		FROM sign_offs AS x JOIN enrollments AS e ON e.id = x.enrollment_id WHERE x.id IN (?)`,
	"paper_sign_off": `SELECT 'paper_sign_off' AS t, x.id, x.apprentice_id AS subject, x.competency AS a, x.kind AS b, e.version_id
		FROM paper_sign_offs AS x JOIN enrollments AS e ON e.id = x.enrollment_id WHERE x.id IN (?)`,
	"test": `SELECT 'test' AS t, x.id, x.apprentice_id AS subject, x.competency AS a, CAST(x.score AS TEXT) AS b, e.version_id
		FROM test_results AS x JOIN enrollments AS e ON e.id = x.enrollment_id WHERE x.id IN (?)`,
	"selflog": `SELECT 'selflog' AS t, x.id, x.apprentice_id AS subject, x.competency AS a, '' AS b, e.version_id
		FROM self_logs AS x JOIN enrollments AS e ON e.id = x.enrollment_id WHERE x.id IN (?)`,
	"hours": `SELECT 'hours' AS t, x.id, x.apprentice_id AS subject, x.code AS a, CAST(x.minutes AS TEXT) AS b, '' AS version_id
		FROM hours_entries AS x WHERE x.id IN (?)`,
	"document": `SELECT 'document' AS t, x.id, x.person_id AS subject, x.kind AS a, x.as_of AS b, '' AS version_id
		FROM issued_documents AS x WHERE x.id IN (?)`,
	"token": `SELECT 'token' AS t, x.id, x.user_id AS subject, x.name AS a, '' AS b, '' AS version_id FROM api_tokens AS x WHERE x.id IN (?)`,
	"calendar_token": `SELECT 'calendar_token' AS t, x.id, x.person_id AS subject, '' AS a, '' AS b, '' AS version_id
		FROM calendar_tokens AS x WHERE x.id IN (?)`,
	"program_version": `SELECT 'program_version' AS t, v.id, '' AS subject, p.title AS a, CAST(v.number AS TEXT) AS b, '' AS version_id
		FROM program_versions AS v JOIN programs AS p ON p.id = v.program_id WHERE v.id IN (?)`,
	"site": `SELECT 'site' AS t, x.id, '' AS subject, x.name AS a, '' AS b, '' AS version_id FROM sites AS x WHERE x.id IN (?)`,
}

// peopleMatching is the SQL for the ids of the people a typed text names:
// their id, their email, or part of their name (any case).
const peopleMatching = `SELECT id FROM users WHERE id = ? OR LOWER(email) = ? OR LOWER(name) LIKE ? ESCAPE '\'`

func peopleArgs(text string) []any {
	t := strings.ToLower(strings.TrimSpace(text))
	return []any{strings.TrimSpace(text), t, "%" + escapeLike(t) + "%"}
}

// namedPeopleLimit is how many people a typed text may name for their ids
// to be written into the trail's statement; more, and the statement finds
// them itself (the same people, as a subquery).
var namedPeopleLimit = 2000

// peopleNamed returns SQL standing for the ids of the people text names,
// for "IN (…)", with its arguments. It reads them first, once (an index
// serves it on PostgreSQL: migration 0032), so that the trail's statements
// join the records of those people by their ids instead of searching the
// people again in every kind of record (eleven times per statement, and
// the page and its count are two).
func (s *Service) peopleNamed(ctx context.Context, text string) (string, []any, error) {
	var ids []string
	if err := s.DB.NewRaw(peopleMatching+" LIMIT ?", append(peopleArgs(text), namedPeopleLimit+1)...).Scan(ctx, &ids); err != nil {
		return "", nil, fmt.Errorf("audit trail: people named %q: %w", text, db.Translate(err))
	}
	if len(ids) > namedPeopleLimit {
		return peopleMatching, peopleArgs(text), nil
	}
	return "?", []any{db.IDs(ids)}, nil
}

// AuditActor narrows the trail to the entries made by the people text
// names (an id, an email, part of a name), or by "system" or "anonymous".
func (s *Service) AuditActor(ctx context.Context, text string) (audit.Condition, error) {
	people, args, err := s.peopleNamed(ctx, text)
	if err != nil {
		return audit.Condition{}, err
	}
	return audit.Condition{Param: "who", Value: strings.TrimSpace(text), SQL: "(actor = ? OR actor IN (" + people + "))",
		Args: append([]any{strings.TrimSpace(text)}, args...)}, nil
}

// AuditSubject narrows the trail to the entries about the people text
// names (an id, an email, part of a name): their account, and every
// record of theirs (credentials, enrollments, evidence, tokens), from the
// trail filed by person (app/auditsubjects).
func (s *Service) AuditSubject(ctx context.Context, text string) (audit.Condition, error) {
	people, args, err := s.peopleNamed(ctx, text)
	if err != nil {
		return audit.Condition{}, err
	}
	cond, condArgs := auditsubjects.Condition(people, args)
	return audit.Condition{Param: "whose", Value: strings.TrimSpace(text), SQL: cond, Args: condArgs}, nil
}

// auditWords holds what a batch of entries needs to be told in words.
type auditWords struct {
	subjects map[string]subjectRow // by type + "\x00" + id
	names    map[string]string     // people and sites by id
	comps    map[string]string     // competency names by version id + "\x00" + code
	loc      *time.Location
}

func (w *auditWords) subject(r *audit.Record) subjectRow {
	if r.EntityType == "person" {
		return subjectRow{Type: "person", ID: r.EntityID, Subject: r.EntityID}
	}
	return w.subjects[r.EntityType+"\x00"+r.EntityID]
}

// words reads, in a fixed number of queries, the subjects, the people's
// and sites' names and the competency names that recs mention.
func (s *Service) words(ctx context.Context, recs []audit.Record) (*auditWords, error) {
	w := &auditWords{subjects: map[string]subjectRow{}, names: actorsWithoutAccounts(), comps: map[string]string{}, loc: s.location()}
	byType := map[string][]string{}
	ids := map[string]bool{}
	for i := range recs {
		r := &recs[i]
		if _, ok := subjectSources[r.EntityType]; ok && r.EntityID != "" {
			byType[r.EntityType] = append(byType[r.EntityType], r.EntityID)
		}
		ids[r.Actor] = true
		if r.EntityType == "person" {
			ids[r.EntityID] = true
		}
		for _, v := range []string{r.Before, r.After} {
			collectIDs(v, ids)
		}
	}
	if len(byType) > 0 {
		types := make([]string, 0, len(byType))
		for t := range byType {
			types = append(types, t)
		}
		sort.Strings(types)
		var parts []string
		var args []any
		for _, t := range types {
			parts = append(parts, subjectSources[t])
			args = append(args, db.IDs(byType[t]))
		}
		var rows []subjectRow
		if err := s.DB.NewRaw(strings.Join(parts, " UNION ALL "), args...).Scan(ctx, &rows); err != nil {
			return nil, fmt.Errorf("audit trail subjects: %w", db.Translate(err))
		}
		versions := map[string]bool{}
		for _, r := range rows {
			key := r.Type + "\x00" + r.ID
			if old, ok := w.subjects[key]; ok && old.Subject != "" {
				continue // a file attached to two credentials: the first says whose
			}
			w.subjects[key] = r
			if r.Subject != "" {
				ids[r.Subject] = true
			}
			if r.VersionID != "" {
				versions[r.VersionID] = true
			}
		}
		// Published versions are compiled once per process: this reads
		// each version at most once, whatever the page holds.
		for vid := range versions {
			pv, err := s.Evidence.Version(ctx, vid)
			if err != nil {
				continue // the code stands in for the name
			}
			for _, c := range pv.Rules.Version().Program.Competencies {
				w.comps[vid+"\x00"+c.Code] = c.Title
			}
		}
	}
	delete(ids, "")
	list := make([]string, 0, len(ids))
	for id := range ids {
		if _, known := w.names[id]; !known {
			list = append(list, id)
		}
	}
	if len(list) > 0 {
		var rows []struct {
			ID   string `bun:"id"`
			Name string `bun:"name"`
		}
		err := s.DB.NewRaw("SELECT id, name FROM users WHERE id IN (?) UNION ALL SELECT id, name FROM sites WHERE id IN (?)", db.IDs(list), db.IDs(list)).Scan(ctx, &rows)
		if err != nil {
			return nil, fmt.Errorf("audit trail names: %w", db.Translate(err))
		}
		for _, r := range rows {
			w.names[r.ID] = r.Name
		}
	}
	return w, nil
}

// collectIDs adds to ids the values of v's fields that hold ids of people
// or sites (keys ending in id, ids or _by), at any depth.
func collectIDs(v string, ids map[string]bool) {
	if v == "" {
		return
	}
	var doc any
	if json.Unmarshal([]byte(v), &doc) != nil {
		return
	}
	var walk func(key string, x any)
	walk = func(key string, x any) {
		switch t := x.(type) {
		case map[string]any:
			for k, y := range t {
				walk(k, y)
			}
		case []any:
			for _, y := range t {
				walk(key, y)
			}
		case string:
			if idKey(key) && t != "" {
				ids[t] = true
			}
		}
	}
	walk("", doc)
}

// idKey reports whether a field named key holds an id of a person or a
// site (PersonID, person_id, site_ids, verified_by, VerifiedBy).
func idKey(key string) bool {
	k := strings.ToLower(key)
	return k == "id" || strings.HasSuffix(k, "_id") || strings.HasSuffix(k, "_ids") || strings.HasSuffix(k, "_by") ||
		strings.HasSuffix(key, "ID") || strings.HasSuffix(key, "IDs") || strings.HasSuffix(key, "By")
}

func (w *auditWords) name(id string) string {
	if n, ok := w.names[id]; ok && n != "" {
		return n
	}
	if id == audit.Unattributed {
		return "Unattributed"
	}
	return id
}

func (w *auditWords) competency(versionID, code string) string {
	if n := w.comps[versionID+"\x00"+code]; n != "" {
		return n
	}
	return code
}

// cardTypes are the credential types printed as wallet cards (the AHA's
// and Red Cross's life-support courses); others are certificates or
// licences, called credentials.
var cardTypes = map[string]bool{"BLS": true, "ACLS": true, "PALS": true, "CPR": true, "NRP": true}

func credentialWords(typeCode, number string) string {
	kind := "credential"
	if cardTypes[typeCode] {
		kind = "card"
	}
	out := strings.TrimSpace(typeCode + " " + kind)
	if number != "" {
		out += " " + number
	}
	return out
}

// afterField returns a top-level string or number of the entry's after
// value ("" when absent).
func afterField(r *audit.Record, key string) string { return field(r.After, key) }

// beforeField is afterField for the value before the change.
func beforeField(r *audit.Record, key string) string { return field(r.Before, key) }

func field(raw, key string) string {
	var m map[string]any
	if json.Unmarshal([]byte(raw), &m) != nil {
		return ""
	}
	switch v := m[key].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// listField is a list of field names in the entry's After, in words
// ("date of birth, race").
func listField(r *audit.Record, key string) string {
	var m map[string]json.RawMessage
	var list []string
	if json.Unmarshal([]byte(r.After), &m) != nil || json.Unmarshal(m[key], &list) != nil {
		return ""
	}
	for i, f := range list {
		list[i] = strings.ToLower(humanize(f))
	}
	return strings.Join(list, ", ")
}

// Describe returns the entry as a sentence and whose record it concerns
// (a person's name, a program or a site; empty when nobody's).
func (w *auditWords) describe(r *audit.Record) (sentence, whose, whoseID string) {
	actor := w.name(r.Actor)
	sub := w.subject(r)
	if sub.Subject != "" {
		whoseID = sub.Subject
		whose = w.name(sub.Subject)
	}
	// poss is the subject's possessive; "their" when the actor acts on
	// their own record.
	poss := whose + "'s"
	if whoseID != "" && whoseID == r.Actor {
		poss = "their"
	}
	if whose == "" {
		poss = "a"
	}
	comp := w.competency(sub.VersionID, sub.A)
	if comp == "" {
		comp = "a competency"
	}
	program := func() string {
		if sub.A == "" {
			return "program version " + r.EntityID
		}
		return sub.A + " version " + sub.B
	}
	hours := func() string {
		m, _ := strconv.Atoi(sub.B)
		h := strconv.FormatFloat(float64(m)/60, 'f', -1, 64)
		unit := " hours"
		if m == 60 {
			unit = " hour"
		}
		if sub.A == "" {
			return h + unit
		}
		return h + unit + " of " + sub.A
	}
	cred := credentialWords(sub.A, sub.B)
	if sub.ID == "" && r.EntityType == "credential" {
		cred = "credential " + r.EntityID
	}
	var s string
	switch r.Action {
	case "login.success":
		s = actor + " logged in"
	case "login.failed":
		if r.Actor == whoseID {
			s = actor + " gave a wrong password"
		} else if whose != "" {
			s = "A login as " + whose + " failed"
		} else {
			s = "A login failed"
		}
	case "logout":
		s = actor + " logged out"
	case "export":
		s = actor + " downloaded " + exportWords(r)
	case "person.create":
		s = actor + " created " + poss + " account"
	case "person.disable":
		s = actor + " disabled " + poss + " account"
	case "person.enable":
		s = actor + " enabled " + poss + " account again"
	case "person.unlock":
		s = actor + " unlocked " + poss + " account"
	case "person.update":
		s = actor + " changed " + poss + " name or email"
	case "person.roles":
		s = actor + " set " + poss + " roles and sites"
	case "scim.user_link":
		s = actor + " linked " + poss + " account to the identity provider"
	case "scim.user_delete":
		s = actor + " deleted " + whose + " from provisioning, which disabled the account"
	case "scim_token.create":
		s = actor + " created the SCIM token “" + afterField(r, "name") + "”"
	case "scim_token.revoke":
		s = actor + " revoked the SCIM token “" + afterField(r, "name") + "”"
	case "scim_group.create":
		s = actor + " created the group “" + afterField(r, "display_name") + "”"
	case "scim_group.update":
		s = actor + " changed the group “" + afterField(r, "display_name") + "”"
	case "scim_group.delete":
		s = actor + " deleted the group “" + beforeField(r, "display_name") + "”"
	case "person.password_change":
		s = actor + " changed " + poss + " password"
	case "person.reset_start":
		s = actor + " started a password reset for " + whose
	case "person.reset_complete":
		// Whoever held the link set it: the person, or whoever else read
		// the link (issue 20). The sentence says whose link it was.
		if by := afterField(r, "issued_by"); by != "" {
			s = "A new password for " + whose + " was set through the reset link " + w.name(by) + " issued"
		} else {
			s = whose + " set a new password from a reset link"
		}
	case "session.end":
		s = actor + " ended one of " + poss + " sessions"
	case "login.code_failed":
		s = "A code for " + poss + " second factor was refused"
	case "factor.enrol":
		s = actor + " set up " + poss + " authenticator app"
		if afterField(r, "waits_for_second_person") == "true" {
			s += " (waiting for a second person)"
		}
	case "factor.approve":
		if by := afterField(r, "approved_by"); by != "" {
			s = w.name(by) + " confirmed " + poss + " authenticator app"
		} else {
			s = whose + " confirmed their authenticator app with a code sent to their email"
		}
	case "factor.removal_start":
		s = actor + " started removing " + poss + " authenticator app (a second person must confirm)"
	case "factor.remove":
		s = w.name(afterField(r, "confirmed_by")) + " removed " + poss + " authenticator app, which " + w.name(afterField(r, "started_by")) + " started"
	case "factor.recovery_code_used":
		s = actor + " used one of " + poss + " recovery codes"
	case "factor.recovery_codes_renew":
		s = actor + " made new recovery codes for " + poss + " second factor (the old ones no longer work)"
	case "passkey.add":
		s = actor + " added the passkey “" + afterField(r, "name") + "” to " + poss + " account"
	case "passkey.remove":
		s = actor + " removed the passkey “" + afterField(r, "name") + "” from " + poss + " account"
	case "person.hire_date":
		s = actor + " set " + poss + " hire date to " + afterField(r, "hire_date")
		if why := afterField(r, "reason"); why != "" {
			s += " (“" + why + "”)"
		}
	case "person.demographics":
		s = actor + " changed " + poss + " demographic fields for RAPIDS (" + listField(r, "fields") + ")"
	case "person.demographics_view":
		s = actor + " viewed " + poss + " demographic fields for RAPIDS"
	case "wage.step_approve":
		s = actor + " approved " + poss + " wage step " + afterField(r, "title") + " (" + afterField(r, "wage") + "), effective " + afterField(r, "effective_on")
	case "person.sync":
		s = "The identity provider updated " + poss + " name, roles or sites at sign-in"
	case "sso.link":
		s = actor + " linked " + poss + " account to " + afterField(r, "issuer") + " (sign-in as " + afterField(r, "email") + ")"
	case "sso.unlink":
		s = actor + " unlinked " + poss + " account from " + beforeField(r, "issuer")
	case "sso.settings":
		s = actor + " changed the single sign-on settings (group mapping, source of truth)"
	case "webhook.create":
		s = actor + " registered the webhook endpoint " + afterField(r, "url")
	case "webhook.update":
		s = actor + " changed the webhook endpoint " + afterField(r, "url")
	case "webhook.rotate_secret":
		s = actor + " made a new signing secret for a webhook endpoint (the old one works for 24 hours)"
	case "webhook.delete":
		s = actor + " deleted the webhook endpoint " + beforeField(r, "url")
	case "webhook.resend":
		s = actor + " sent a webhook delivery again"
	case "person.employee_id":
		s = actor + " set " + poss + " employee id to " + afterField(r, "employee_id")
	case "site.create":
		s = actor + " created the site " + sub.A
	case "token.create":
		s = actor + " created " + poss + " API token “" + sub.A + "”"
	case "token.revoke":
		s = actor + " revoked " + poss + " API token “" + sub.A + "”"
	case "token.used":
		s = actor + " used " + poss + " API token “" + sub.A + "”"
	case "calendar_token.create":
		s = actor + " created " + poss + " calendar link"
	case "calendar_token.revoke":
		s = actor + " revoked " + poss + " calendar link"
	case "program.create":
		s = actor + " created " + program()
	case "program.import":
		s = actor + " imported " + program() + " as a draft"
	case "program.draft_start":
		s = actor + " started the draft " + program()
	case "program.draft_save":
		s = actor + " saved the draft " + program()
	case "program.publish":
		s = actor + " published " + program()
	case "program.discard":
		s = actor + " discarded the draft " + program()
	case "program.export":
		s = actor + " downloaded " + program()
	case "enrollment.create":
		s = actor + " enrolled " + whose + " in " + program()
	case "enrollment.status_change":
		s = actor + " changed " + poss + " enrollment to " + strings.ReplaceAll(afterField(r, "status"), "_", " ")
	case "enrollment.complete":
		s = actor + " signed the completion of " + poss + " apprenticeship in " + program()
		if on := afterField(r, "completed_on"); on != "" {
			s += ", completed on " + on
		}
	case "enrollment.move":
		s = actor + " moved " + whose + " from " + program() + " to version " + afterField(r, "number")
	case "observation.create":
		s = actor + " observed " + whose + " performing " + comp + " (" + sub.B + ")"
	case "observation.correct":
		s = actor + " corrected an observation of " + whose + " performing " + comp
	case "observation.transcribe":
		s = actor + " transcribed from paper an observation of " + whose + " performing " + comp
	case "signoff.transcribe_paper":
		s = actor + " transcribed from paper a sign-off of " + whose + " in " + comp + " (a paper signature, not an electronic one)"
	case "signoff.revoke_paper":
		s = actor + " revoked " + poss + " paper sign-off for " + comp
	case "selflog.transcribe":
		s = actor + " transcribed from paper a countersigned self-log of " + whose + " performing " + comp
	case "test.transcribe":
		s = actor + " transcribed from paper " + poss + " " + comp + " test score " + trimScore(sub.B)
	case "hours.transcribe":
		s = actor + " transcribed from paper " + poss + " " + hours()
	case "transcription.scan_attach":
		s = actor + " attached the scanned paper page " + afterField(r, "name") + " to a record of " + whose
	case "transcription.scan_download":
		s = actor + " downloaded the scanned paper page of a record of " + whose
	case "test.create":
		s = actor + " recorded " + poss + " " + comp + " test score " + trimScore(sub.B)
	case "signoff.create":
		s = actor + " signed off " + whose + " as competent in " + comp
	case "evaluation.sign":
		s = actor + " signed " + poss + " evaluation " + sub.A + " (due " + sub.B + ")"
	case "evaluation.acknowledge":
		s = actor + " acknowledged " + poss + " evaluation " + sub.A
	case "signoff.revoke":
		s = actor + " revoked " + poss + " sign-off for " + comp
	case "selflog.create":
		s = actor + " logged " + poss + " own performance of " + comp
		if r.Actor == whoseID {
			s = actor + " logged a performance of " + comp
		}
	case "selflog.verify":
		s = actor + " confirmed " + poss + " self-logged " + comp
	case "selflog.reject":
		s = actor + " rejected " + poss + " self-logged " + comp
	case "hours.create":
		s = actor + " logged " + hours()
		if r.Actor != whoseID && whose != "" {
			s += " for " + whose
		}
	case "hours.approve":
		s = actor + " approved " + poss + " " + hours()
	case "hours.reject":
		s = actor + " rejected " + poss + " " + hours()
	case "credential.create":
		s = actor + " added " + poss + " " + cred
	case "credential.verify":
		s = actor + " verified " + poss + " " + cred
	case "credential_file.create":
		s = actor + " uploaded the file " + sub.B
		if whose != "" {
			s += " for " + poss + " " + credentialWords(sub.A, "")
		}
	case "document.issue":
		switch sub.A {
		case "certificate":
			s = actor + " printed a sign-off certificate of " + whose
		case "completion":
			s = actor + " printed the completion certificate of " + whose
		default:
			s = actor + " printed " + poss + " competency record as of " + sub.B
		}
	case "import.apply":
		s = actor + " applied the import " + r.EntityID
	default:
		s = actor + " " + humanize(r.Action) + " " + humanize(r.EntityType) + " " + r.EntityID
	}
	if sub.ID == "" && whose == "" && r.EntityType == "program_version" {
		return strings.TrimSpace(s), "", ""
	}
	switch r.EntityType {
	case "program_version":
		whose = program()
	case "site":
		whose = sub.A
	}
	return strings.TrimSpace(s), whose, whoseID
}

func trimScore(s string) string {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return s
}

// exportWords names what an export entry exported.
func exportWords(r *audit.Record) string {
	what := humanize(r.EntityType)
	switch r.EntityType {
	case "audit_trail":
		what = "the audit trail"
	case "report":
		what = "the " + strings.ReplaceAll(r.EntityID, "_", " ") + " report"
	}
	if f := afterField(r, "format"); f != "" {
		what += " (." + f + ")"
	}
	return what
}

// auditLabels are the labels of fields whose humanized names would still
// read as code.
var auditLabels = map[string]string{
	"id": "Record", "fileid": "Evidence file", "typecode": "Credential type", "issuingbody": "Issued by",
	"validthroughmonth": "Valid through the end of the month", "siteids": "Sites", "preceptorids": "Preceptors",
	"versionid": "Program version", "enrollmentid": "Enrollment", "newenrollmentid": "New enrollment",
	"idempotencykey": "Idempotency key", "sha256": "SHA-256", "ip": "IP address",
}

// humanize turns a field or action name into words: "ValidThroughMonth",
// "valid_through_month" and "valid-through.month" read "Valid through
// month"; a trailing "id" is dropped ("PersonID" reads "Person").
func humanize(key string) string {
	if l, ok := auditLabels[strings.ToLower(strings.NewReplacer("_", "", "-", "", ".", "").Replace(key))]; ok {
		return l
	}
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(key)
	for i, c := range rs {
		switch {
		case c == '_' || c == '-' || c == '.' || c == ' ':
			flush()
		case unicode.IsUpper(c) && len(cur) > 0 && (unicode.IsLower(cur[len(cur)-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1])):
			flush()
			cur = append(cur, c)
		default:
			cur = append(cur, c)
		}
	}
	flush()
	if n := len(words); n > 1 && (words[n-1] == "id" || words[n-1] == "ids") {
		plural := words[n-1] == "ids"
		words = words[:n-1]
		if plural {
			words[n-2] += "s"
		}
	}
	if len(words) == 0 {
		return key
	}
	out := strings.Join(words, " ")
	return strings.ToUpper(out[:1]) + out[1:]
}

// fields returns the entry's values under labels, before and after side
// by side, ids of people and sites replaced by their names and times read
// in the organisation's zone; each value is cut at limit characters
// (0: whole).
func (w *auditWords) fields(r *audit.Record, limit int) []AuditField {
	before, after := w.flatten(r.Before), w.flatten(r.After)
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	order := make([]string, 0, len(keys))
	for k := range keys {
		order = append(order, k)
	}
	sort.Strings(order)
	out := make([]AuditField, 0, len(order))
	for _, k := range order {
		b, a := before[k], after[k]
		if b == "" && a == "" || k == "Record" && a == r.EntityID && b == "" {
			continue // nothing to read, or the record the entry names already
		}
		out = append(out, AuditField{Label: k, Before: cut(b, limit), After: cut(a, limit)})
	}
	return out
}

func cut(s string, limit int) string {
	if limit <= 0 {
		return s
	}
	if r := []rune(s); len(r) > limit {
		return string(r[:limit]) + " … (cut here; the .xlsx and .csv downloads hold the full value)"
	}
	return s
}

// flatten reads a JSON value as labelled text values: nested objects'
// labels joined with ": " ("Signature: meaning").
func (w *auditWords) flatten(v string) map[string]string {
	out := map[string]string{}
	if v == "" {
		return out
	}
	var doc any
	if err := json.Unmarshal([]byte(v), &doc); err != nil {
		out["Value"] = v
		return out
	}
	var walk func(label, key string, x any)
	walk = func(label, key string, x any) {
		if m, ok := x.(map[string]any); ok {
			for k, y := range m {
				l := humanize(k)
				if label != "" {
					l = label + ": " + strings.ToLower(l[:1]) + l[1:]
				}
				walk(l, k, y)
			}
			return
		}
		if label == "" {
			label = "Value"
		}
		out[label] = w.value(key, x)
	}
	walk("", "", doc)
	return out
}

// value writes one JSON value as text.
func (w *auditWords) value(key string, x any) string {
	switch t := x.(type) {
	case nil:
		return "—"
	case bool:
		if t {
			return "yes"
		}
		return "no"
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case string:
		if idKey(key) {
			return w.name(t)
		}
		if ts, err := time.Parse(time.RFC3339Nano, t); err == nil && len(t) > 10 {
			if ts.IsZero() {
				return "—"
			}
			return ts.In(w.loc).Format("2006-01-02 15:04 MST")
		}
		return t
	case []any:
		if strings.EqualFold(key, "steps") {
			return stepsWords(t)
		}
		parts := make([]string, 0, len(t))
		for _, y := range t {
			if _, isObj := y.(map[string]any); isObj {
				b, _ := json.Marshal(y)
				parts = append(parts, string(b))
				continue
			}
			parts = append(parts, w.value(key, y))
		}
		if len(parts) == 0 {
			return "none"
		}
		return strings.Join(parts, ", ")
	}
	b, _ := json.Marshal(x)
	return string(b)
}

// stepsWords reads an observation's scored checklist ([{"index":0,
// "met":true}, …]) as "16 of 17 met; not met: step 4".
func stepsWords(steps []any) string {
	met := 0
	var missed []string
	for _, x := range steps {
		m, _ := x.(map[string]any)
		if ok, _ := m["met"].(bool); ok {
			met++
			continue
		}
		if i, ok := m["index"].(float64); ok {
			missed = append(missed, strconv.Itoa(int(i)+1))
		}
	}
	out := fmt.Sprintf("%d of %d met", met, len(steps))
	if len(missed) > 0 {
		out += "; not met: step " + strings.Join(missed, ", ")
	}
	return out
}
