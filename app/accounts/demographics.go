package accounts

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// Demographic fields of an apprentice, as the sponsor records them for the
// Registered Apprenticeship system (RAPIDS): optional, voluntarily given,
// entered and read only by HR and administrators (the server decides who
// may call these methods). Reading them through ViewDemographics and
// changing them are audited; the audit entries name the fields, never
// their values. docs/rapids.md maps each field to RAPIDS.

// Audit actions of demographic fields.
const (
	ActionDemographics     = "person.demographics"
	ActionDemographicsView = "person.demographics_view"
)

// Choice is one answer a demographic field offers: the code stored and
// the words shown (and exported).
type Choice struct{ Code, Label string }

// declined is the answer of someone who chose not to say.
var declined = Choice{"declined", "Chose not to say"}

// The answers each demographic field offers, in the order forms show them
// (the categories RAPIDS and the EEO self-identification forms use).
var (
	Genders     = []Choice{{"female", "Female"}, {"male", "Male"}, {"another", "Another gender"}, declined}
	Ethnicities = []Choice{{"hispanic", "Hispanic or Latino"}, {"not_hispanic", "Not Hispanic or Latino"}, declined}
	// Races may be several at once (but not with declined).
	Races = []Choice{{"american_indian", "American Indian or Alaska Native"}, {"asian", "Asian"}, {"black", "Black or African American"},
		{"pacific_islander", "Native Hawaiian or Other Pacific Islander"}, {"white", "White"}, declined}
	VeteranStatuses = []Choice{{"not_veteran", "Not a veteran"}, {"veteran", "Veteran"}, {"transitioning", "Transitioning service member"}, declined}
	Disabilities    = []Choice{{"no", "No disability"}, {"yes", "Has a disability"}, declined}
	EducationLevels = []Choice{{"below_high_school", "Less than high school"}, {"high_school", "High school diploma"},
		{"ged", "GED or equivalent"}, {"some_college", "Some college, no degree"}, {"vocational", "Post-secondary vocational certificate"},
		{"associate", "Associate degree"}, {"bachelor", "Bachelor's degree"}, {"graduate", "Master's degree or higher"}, declined}
	EmploymentStatuses = []Choice{{"new_hire", "New hire"}, {"incumbent", "Existing employee (incumbent worker)"}}
)

// Label is the words for code among choices ("" for "", the code itself
// if unknown).
func Label(choices []Choice, code string) string {
	for _, c := range choices {
		if c.Code == code {
			return c.Label
		}
	}
	return code
}

// Demographics are one person's demographic fields; "" is not recorded.
type Demographics struct {
	bun.BaseModel `bun:"table:person_demographics"`
	PersonID      string `bun:"user_id,pk"`
	DateOfBirth   string `bun:"date_of_birth"` // YYYY-MM-DD
	Gender        string `bun:"gender"`
	Ethnicity     string `bun:"ethnicity"`
	// Race is a comma-separated list of Races codes (RaceCodes splits it).
	Race             string    `bun:"race"`
	VeteranStatus    string    `bun:"veteran_status"`
	Disability       string    `bun:"disability"`
	EducationLevel   string    `bun:"education_level"`
	EmploymentStatus string    `bun:"employment_status"`
	UpdatedBy        string    `bun:"updated_by"`
	UpdatedAt        time.Time `bun:"updated_at"`
}

// RaceCodes returns the race codes recorded.
func (d Demographics) RaceCodes() []string {
	if d.Race == "" {
		return nil
	}
	return strings.Split(d.Race, ",")
}

// RaceLabel is the races recorded in words, joined by "; ".
func (d Demographics) RaceLabel() string {
	var out []string
	for _, c := range d.RaceCodes() {
		out = append(out, Label(Races, c))
	}
	return strings.Join(out, "; ")
}

// Recorded says whether any field is recorded.
func (d Demographics) Recorded() bool { return len(d.values()) > 0 }

// values are the recorded fields by form name.
func (d Demographics) values() map[string]string {
	out := map[string]string{}
	for k, v := range map[string]string{"date_of_birth": d.DateOfBirth, "gender": d.Gender, "ethnicity": d.Ethnicity, "race": d.Race,
		"veteran_status": d.VeteranStatus, "disability": d.Disability, "education_level": d.EducationLevel, "employment_status": d.EmploymentStatus} {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// DemographicsInput is what a form or the API sends: every field, "" (or
// no race) for not recorded.
type DemographicsInput struct {
	DateOfBirth, Gender, Ethnicity                              string
	Races                                                       []string
	VeteranStatus, Disability, EducationLevel, EmploymentStatus string
}

// check validates in against today (the organisation's day) and returns
// the row it records, or an errkind.BadFields error naming each field
// that is wrong.
func (in DemographicsInput) check(today curriculum.Date) (Demographics, error) {
	d := Demographics{DateOfBirth: strings.TrimSpace(in.DateOfBirth)}
	fields := map[string]string{}
	if d.DateOfBirth != "" {
		dob, err := curriculum.ParseDate(d.DateOfBirth)
		switch {
		case err != nil:
			fields["date_of_birth"] = "Give the date of birth as YYYY-MM-DD, or leave it empty."
		case dob.After(today):
			fields["date_of_birth"] = "The date of birth cannot be in the future."
		case dob.Year() < 1900:
			fields["date_of_birth"] = "Check the year of birth: it is before 1900."
		default:
			d.DateOfBirth = dob.String()
		}
	}
	one := func(name, value string, choices []Choice, what string) string {
		value = strings.TrimSpace(value)
		if value != "" && !slices.ContainsFunc(choices, func(c Choice) bool { return c.Code == value }) {
			fields[name] = "Choose " + what + " from the list, or leave it unrecorded."
		}
		return value
	}
	d.Gender = one("gender", in.Gender, Genders, "a gender")
	d.Ethnicity = one("ethnicity", in.Ethnicity, Ethnicities, "an ethnicity")
	d.VeteranStatus = one("veteran_status", in.VeteranStatus, VeteranStatuses, "a veteran status")
	d.Disability = one("disability", in.Disability, Disabilities, "a disability status")
	d.EducationLevel = one("education_level", in.EducationLevel, EducationLevels, "an education level")
	d.EmploymentStatus = one("employment_status", in.EmploymentStatus, EmploymentStatuses, "an employment status")
	var races []string
	for _, r := range Races { // in the list's order, each once
		for _, got := range in.Races {
			if strings.TrimSpace(got) == r.Code && !slices.Contains(races, r.Code) {
				races = append(races, r.Code)
			}
		}
	}
	for _, got := range in.Races {
		if g := strings.TrimSpace(got); g != "" && !slices.Contains(races, g) {
			fields["race"] = "Choose races from the list, or none to leave it unrecorded."
		}
	}
	if len(races) > 1 && slices.Contains(races, declined.Code) {
		fields["race"] = "Choose one or more races, or that the apprentice chose not to say, not both."
	}
	d.Race = strings.Join(races, ",")
	if len(fields) > 0 {
		return d, errkind.BadFields(fields)
	}
	return d, nil
}

// ErrNothingToChange: the demographic fields sent are those recorded.
var ErrNothingToChange = errkind.New(errkind.Invalid, "Nothing to change: these are the values already recorded.")

// SetDemographics records a person's demographic fields (all of them:
// a field sent empty is no longer recorded), in one transaction with its
// audit entry, which names the fields that changed and not their values.
// today is the organisation's day (a date of birth may not be after it).
// Mistakes are an errkind.BadFields error naming each field; the values
// already recorded are ErrNothingToChange. The actor of ctx is who
// changed them.
func (s *Store) SetDemographics(ctx context.Context, personID string, in DemographicsInput, today curriculum.Date) error {
	d, err := in.check(today)
	if err != nil {
		return err
	}
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var n int
		if err := tx.NewSelect().Model((*userRow)(nil)).ColumnExpr("COUNT(*)").Where("id = ?", personID).Scan(ctx, &n); err != nil {
			return db.Translate(err)
		}
		if n == 0 {
			return db.ErrNotFound
		}
		was, err := demographicsOf(ctx, tx, personID)
		if err != nil {
			return err
		}
		before, after := was.values(), d.values()
		var changed []string
		for _, k := range []string{"date_of_birth", "gender", "ethnicity", "race", "veteran_status", "disability", "education_level", "employment_status"} {
			if before[k] != after[k] {
				changed = append(changed, k)
			}
		}
		if len(changed) == 0 {
			return ErrNothingToChange
		}
		d.PersonID, d.UpdatedAt, d.UpdatedBy = personID, s.now(), audit.Unattributed
		if a, ok := audit.ActorFrom(ctx); ok {
			d.UpdatedBy = a.ID
		}
		if _, err := tx.NewInsert().Model(&d).On("CONFLICT (user_id) DO UPDATE").
			Set("date_of_birth = EXCLUDED.date_of_birth, gender = EXCLUDED.gender, ethnicity = EXCLUDED.ethnicity, race = EXCLUDED.race").
			Set("veteran_status = EXCLUDED.veteran_status, disability = EXCLUDED.disability, education_level = EXCLUDED.education_level").
			Set("employment_status = EXCLUDED.employment_status, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at").
			Exec(ctx); err != nil {
			return db.Translate(err)
		}
		return s.record(ctx, tx, ActionDemographics, "person", personID, nil, map[string]any{"fields": changed})
	})
}

// ViewDemographics returns a person's demographic fields (a zero value
// but for PersonID when none are recorded) and records in the audit trail
// that the actor of ctx viewed them, in one transaction.
func (s *Store) ViewDemographics(ctx context.Context, personID string) (Demographics, error) {
	var d Demographics
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if d, err = demographicsOf(ctx, tx, personID); err != nil {
			return err
		}
		return s.record(ctx, tx, ActionDemographicsView, "person", personID, nil, map[string]any{"recorded": d.Recorded()})
	})
	return d, err
}

func demographicsOf(ctx context.Context, tx bun.IDB, personID string) (Demographics, error) {
	var rows []Demographics
	if err := tx.NewSelect().Model(&rows).Where("user_id = ?", personID).Scan(ctx); err != nil {
		return Demographics{}, fmt.Errorf("demographics of %s: %w", personID, db.Translate(err))
	}
	if len(rows) == 0 {
		return Demographics{PersonID: personID}, nil
	}
	return rows[0], nil
}

// DemographicsOf returns, by person id, the demographic fields recorded
// for people (absent: none), in one query, without an audit entry: for
// an export that records its own (the RAPIDS report).
func DemographicsOf(ctx context.Context, d bun.IDB, people []string) (map[string]Demographics, error) {
	out := map[string]Demographics{}
	if len(people) == 0 {
		return out, nil
	}
	var rows []Demographics
	if err := d.NewSelect().Model(&rows).Where("user_id IN (?)", db.IDs(people)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("demographics: %w", db.Translate(err))
	}
	for _, r := range rows {
		out[r.PersonID] = r
	}
	return out, nil
}
