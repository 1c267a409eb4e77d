package server

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/curriculum"

	"github.com/skillgate/skillgate/errkind"
)

// Editing a draft: one form per competency and per task. Each form posts
// the whole item; the draft's lock version stops two editors from silently
// overwriting each other.

// blankRows is how many empty rows a repeated section offers for additions.
const blankRows = 3

type competencyForm struct {
	Code, Title, Description, Domain string
	Steps                            []curriculum.ChecklistStep
	Performances                     []curriculum.PerformanceRequirement
	ObservedBy, SignedOffBy          []string
	Prerequisites                    []string
	PassMark                         string
	ReverifyKind                     string
	ReverifyMonths, DueWindow        string
	RecencyMonths                    string
	// FirstMonths is a first cycle as typed: "6, 12".
	FirstMonths string
	// Training hours: how many, from which RTI courses and work processes.
	TrainingHours            string
	TrainingRTI, TrainingWP  []string
	IndependentPrerequisites []string
	// PaperSignOffs is curriculum.PaperAllowed, or empty (e-signatures
	// only; "not_allowed" in a file reads the same).
	PaperSignOffs string
}

type competencyEditView struct {
	URL         string
	Lock        int
	Form        competencyForm
	Domains     []curriculum.Domain
	Credentials []curriculum.ProfessionalCredential
	Others      []*curriculum.Competency
	Kinds       []option
	Courses     []curriculum.RTICourse
	Processes   []curriculum.WorkProcess
}

type option struct{ Value, Label string }

var reverifyKinds = []option{
	{"", "None: once signed off, it stays signed off"},
	{string(curriculum.EveryMonths), "Every N months"},
	{string(curriculum.CLIA), "CLIA: 6 months after the initial sign-off, then every 12 months"},
	{string(curriculum.JointCommission), "Joint Commission: at least every 3 years"},
}

var domains = []curriculum.Domain{curriculum.Clinical, curriculum.Laboratory, curriculum.Administrative, curriculum.Safety}

// domainNames are the domains as the add-item form offers them.
var domainNames = func() []string {
	out := make([]string, len(domains))
	for i, d := range domains {
		out[i] = string(d)
	}
	return out
}()

func itoaOrBlank(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func competencyFormOf(c *curriculum.Competency) competencyForm {
	f := competencyForm{Code: c.Code, Title: c.Title, Description: c.Description, Domain: string(c.Domain),
		Steps: slices.Clone(c.Checklist), Performances: slices.Clone(c.Performances), Prerequisites: slices.Clone(c.Prerequisites),
		ReverifyKind: string(c.Reverification.Kind), ReverifyMonths: itoaOrBlank(c.Reverification.Months), DueWindow: itoaOrBlank(c.Reverification.DueWindowDays)}
	for _, cr := range c.ObservedBy.Credentials {
		f.ObservedBy = append(f.ObservedBy, string(cr))
	}
	for _, cr := range c.SignedOffBy.Credentials {
		f.SignedOffBy = append(f.SignedOffBy, string(cr))
	}
	if c.KnowledgeTest != nil {
		f.PassMark = strconv.Itoa(c.KnowledgeTest.PassMark)
	}
	if c.Recency != nil {
		f.RecencyMonths = strconv.Itoa(c.Recency.Months)
	}
	first := make([]string, len(c.Reverification.FirstMonths))
	for i, m := range c.Reverification.FirstMonths {
		first[i] = strconv.Itoa(m)
	}
	f.FirstMonths = strings.Join(first, ", ")
	if th := c.TrainingHours; th != nil {
		f.TrainingHours = itoaOrBlank(th.Hours)
		f.TrainingRTI, f.TrainingWP = slices.Clone(th.RTICourses), slices.Clone(th.WorkProcesses)
	}
	f.IndependentPrerequisites = slices.Clone(c.IndependentPrerequisites)
	if c.AllowsPaperSignOffs() {
		f.PaperSignOffs = curriculum.PaperAllowed
	}
	return f
}

// firstMonths reads a first cycle typed as "6, 12" (commas or spaces);
// false when a part is not a whole number.
func firstMonths(s string) ([]int, bool) {
	var out []int
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

// Has reports whether a list in the form holds v (for checkboxes).
func (f competencyForm) Has(list []string, v any) bool { return slices.Contains(list, fmt.Sprint(v)) }

// StepRows and PerfRows pad the repeated sections with blank rows.
func (f competencyForm) StepRows() []curriculum.ChecklistStep {
	return append(slices.Clone(f.Steps), make([]curriculum.ChecklistStep, blankRows)...)
}

// PerfRows pads the performance requirements with blank rows.
func (f competencyForm) PerfRows() []curriculum.PerformanceRequirement {
	return append(slices.Clone(f.Performances), make([]curriculum.PerformanceRequirement, blankRows)...)
}

func (s *Server) loadDraftItem(c *fiber.Ctx) (*programs.Program, *programs.StoredVersion, error) {
	p, v, err := s.loadVersion(c)
	if err != nil {
		return nil, nil, err
	}
	if v.Status != curriculum.Draft {
		return nil, nil, curriculum.ErrPublished
	}
	return p, v, nil
}

func (s *Server) editCompetencyPage(c *fiber.Ctx) error {
	p, v, err := s.loadDraftItem(c)
	if err != nil {
		return err
	}
	comp := v.Version.Program.Competency(c.Params("code"))
	if comp == nil {
		return errNotFound
	}
	return s.renderCompetencyEdit(c, fiber.StatusOK, p, v, competencyFormOf(comp), v.LockVersion, nil)
}

func (s *Server) renderCompetencyEdit(c *fiber.Ctx, status int, p *programs.Program, v *programs.StoredVersion, f competencyForm, lock int, problems []curriculum.Problem) error {
	errs := problemFields(problems)
	view := competencyEditView{URL: versionURL(p.ID, v.Number), Lock: lock, Form: f, Domains: domains,
		Credentials: curriculum.ProfessionalCredentials, Kinds: reverifyKinds,
		Courses: v.Version.Program.RTICourses, Processes: v.Version.Program.WorkProcesses}
	for i := range v.Version.Program.Competencies {
		if o := &v.Version.Program.Competencies[i]; o.Code != f.Code {
			view.Others = append(view.Others, o)
		}
	}
	return s.render(c, status, "competency_edit", Page{Title: "Edit " + f.Code, Nav: "programs", Errors: errs, Data: view})
}

// parseCompetencyForm reads the posted form; number fields that are not
// numbers become problems rather than silent zeros.
func parseCompetencyForm(c *fiber.Ctx, code string) (competencyForm, []curriculum.Problem) {
	args := c.Request().PostArgs()
	multi := func(k string) []string {
		var out []string
		for _, b := range args.PeekMulti(k) {
			out = append(out, string(b))
		}
		return out
	}
	var probs []curriculum.Problem
	f := competencyForm{Code: code, Title: strings.TrimSpace(c.FormValue("title")), Description: strings.TrimSpace(c.FormValue("description")),
		Domain: c.FormValue("domain"), ObservedBy: multi("observed_by"), SignedOffBy: multi("signed_off_by"),
		Prerequisites: multi("prerequisites"), PassMark: strings.TrimSpace(c.FormValue("pass_mark")), ReverifyKind: c.FormValue("reverify_kind"),
		ReverifyMonths: strings.TrimSpace(c.FormValue("reverify_months")), DueWindow: strings.TrimSpace(c.FormValue("due_window")),
		RecencyMonths: strings.TrimSpace(c.FormValue("recency_months")), FirstMonths: strings.TrimSpace(c.FormValue("first_months")),
		TrainingHours: strings.TrimSpace(c.FormValue("training_hours")), TrainingRTI: multi("training_rti"), TrainingWP: multi("training_wp"),
		IndependentPrerequisites: multi("independent_prerequisites"), PaperSignOffs: c.FormValue("paper_sign_offs")}
	texts, crit := multi("step_text"), multi("step_critical")
	for i, t := range texts {
		if t = strings.TrimSpace(t); t != "" {
			f.Steps = append(f.Steps, curriculum.ChecklistStep{Text: t, Critical: slices.Contains(crit, strconv.Itoa(i))})
		}
	}
	variants, titles, counts := multi("perf_variant"), multi("perf_title"), multi("perf_count")
	for i := range counts {
		cs := strings.TrimSpace(counts[i])
		vr, ti := strings.TrimSpace(at(variants, i)), strings.TrimSpace(at(titles, i))
		if cs == "" && vr == "" && ti == "" {
			continue
		}
		n, err := strconv.Atoi(cs)
		if err != nil || n < 1 {
			probs = append(probs, curriculum.Problem{Path: fmt.Sprintf("performances[%d].count", i), Message: "Give the number of successful performances required (a whole number, at least 1)."})
			continue
		}
		f.Performances = append(f.Performances, curriculum.PerformanceRequirement{Variant: strings.ToUpper(vr), Title: ti, Count: n})
	}
	for _, nf := range []struct{ name, val, msg string }{
		{"pass_mark", f.PassMark, "The pass mark is a whole percentage from 1 to 100, or blank for no test."},
		{"reverify_months", f.ReverifyMonths, "The re-verification interval is a whole number of months."},
		{"due_window", f.DueWindow, "The due window is a whole number of days."},
		{"recency_months", f.RecencyMonths, "The recency rule is a whole number of months, or blank for none."},
		{"training_hours", f.TrainingHours, "The training is a whole number of clock hours, or blank for none."},
	} {
		if nf.val != "" {
			if _, err := strconv.Atoi(nf.val); err != nil {
				probs = append(probs, curriculum.Problem{Path: nf.name, Message: nf.msg})
			}
		}
	}
	if _, ok := firstMonths(f.FirstMonths); !ok {
		probs = append(probs, curriculum.Problem{Path: "first_months", Message: "List the months after the initial sign-off as whole numbers separated by commas, for example 6, 12."})
	}
	if f.TrainingHours == "" && len(f.TrainingRTI)+len(f.TrainingWP) > 0 {
		probs = append(probs, curriculum.Problem{Path: "training_hours", Message: "Give the clock hours of training required from the courses and work processes you ticked."})
	}
	return f, probs
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// apply writes the form into the competency. Checklist changes bump the
// checklist version, so recorded performances say which list they used.
func (f competencyForm) apply(c *curriculum.Competency) {
	if !slices.Equal(c.Checklist, f.Steps) {
		c.ChecklistVersion++
	}
	c.Title, c.Description, c.Domain = f.Title, f.Description, curriculum.Domain(f.Domain)
	c.Checklist, c.Performances, c.Prerequisites = f.Steps, f.Performances, f.Prerequisites
	creds := func(in []string) []curriculum.ProfessionalCredential {
		out := make([]curriculum.ProfessionalCredential, 0, len(in))
		for _, s := range in {
			out = append(out, curriculum.ProfessionalCredential(s))
		}
		return out
	}
	c.ObservedBy.Credentials, c.SignedOffBy.Credentials = creds(f.ObservedBy), creds(f.SignedOffBy)
	c.KnowledgeTest = nil
	if f.PassMark != "" {
		c.KnowledgeTest = &curriculum.KnowledgeTest{PassMark: atoi(f.PassMark)}
	}
	c.Reverification = curriculum.Reverification{Kind: curriculum.ReverificationKind(f.ReverifyKind), DueWindowDays: atoi(f.DueWindow)}
	if c.Reverification.Kind == curriculum.EveryMonths {
		c.Reverification.Months = atoi(f.ReverifyMonths)
	}
	// Validation refuses a first cycle with another kind, naming the field.
	c.Reverification.FirstMonths, _ = firstMonths(f.FirstMonths)
	c.TrainingHours = nil
	if f.TrainingHours != "" {
		c.TrainingHours = &curriculum.TrainingHours{Hours: atoi(f.TrainingHours), RTICourses: f.TrainingRTI, WorkProcesses: f.TrainingWP}
	}
	c.IndependentPrerequisites = f.IndependentPrerequisites
	// A file's "not_allowed" stays as written when the choice is unchanged.
	if f.PaperSignOffs != "" || c.AllowsPaperSignOffs() {
		c.PaperSignOffs = f.PaperSignOffs
	}
	c.Recency = nil
	if f.RecencyMonths != "" {
		c.Recency = &curriculum.Recency{Months: atoi(f.RecencyMonths)}
	}
}

func (s *Server) saveCompetency(c *fiber.Ctx) error {
	p, v, lock, err := s.draftFromForm(c)
	if err != nil {
		return err
	}
	code := c.Params("code")
	if v.Version.Program.Competency(code) == nil {
		return errNotFound
	}
	f, probs := parseCompetencyForm(c, code)
	if len(probs) > 0 {
		return s.renderCompetencyEdit(c, statusFor(errkind.Malformed), p, v, f, lock, probs)
	}
	edited := v.Version.Clone()
	idx := slices.IndexFunc(v.Version.Program.Competencies, func(x curriculum.Competency) bool { return x.Code == code })
	if err := edited.Edit(func(prog *curriculum.Program) error {
		f.apply(prog.Competency(code))
		return problemsAt(prog.Validate(), fmt.Sprintf("program.competencies[%d]", idx))
	}); err != nil {
		var ve *curriculum.ValidationError
		if errors.As(err, &ve) {
			return s.renderCompetencyEdit(c, statusFor(errkind.Invalid), p, v, f, lock, ve.Problems)
		}
		return err
	}
	if _, err := s.programs.SaveDraft(c.UserContext(), v.ID, lock, edited); err != nil {
		if ke := formError(err); ke != nil {
			return s.renderCompetencyEdit(c, statusOf(err), p, v, f, lock, []curriculum.Problem{{Message: ke.Message}})
		}
		return err
	}
	return c.Redirect(versionURL(p.ID, v.Number)+"?msg=draft-saved#comp-"+code, fiber.StatusSeeOther)
}

type taskForm struct {
	Code, Title, Description, Category string
	Competencies                       []string
	Credentials                        []curriculum.CredentialRequirement
	Direct                             string
	// Supervision levels by count, as typed (blank: none).
	DirectAfter, IndirectAfter, IndependentAfter string
}

type taskEditView struct {
	URL          string
	Lock         int
	Form         taskForm
	Domains      []curriculum.Domain
	Competencies []curriculum.Competency
	CredTypes    []curriculum.CredentialType
	DirectRules  []option
}

// Has reports whether the form lists competency code.
func (f taskForm) Has(code string) bool { return slices.Contains(f.Competencies, code) }

// Cred returns the requirement for a credential type, if the task has one.
func (f taskForm) Cred(code string) *curriculum.CredentialRequirement {
	for i := range f.Credentials {
		if f.Credentials[i].Credential == code {
			return &f.Credentials[i]
		}
	}
	return nil
}

var directRules = []option{
	{string(curriculum.DirectWhenTrainingStarted), "Once training has started (a first observed performance)"},
	{string(curriculum.DirectAfterKnowledgeTest), "Once the knowledge test is passed"},
	{string(curriculum.DirectAfterPrerequisites), "Once credentials and prerequisites are in order"},
	{string(curriculum.DirectAfterPerformances), "After N successful observed performances (below)"},
	{string(curriculum.DirectNever), "Never: cleared to perform independently, or not at all"},
}

func (s *Server) editTaskPage(c *fiber.Ctx) error {
	p, v, err := s.loadDraftItem(c)
	if err != nil {
		return err
	}
	t := v.Version.Program.Task(c.Params("code"))
	if t == nil {
		return errNotFound
	}
	f := taskForm{Code: t.Code, Title: t.Title, Description: t.Description, Category: string(t.Category),
		Competencies: slices.Clone(t.Competencies), Credentials: slices.Clone(t.Credentials), Direct: string(t.DirectSupervision),
		DirectAfter: itoaOrBlank(t.DirectAfter), IndirectAfter: itoaOrBlank(t.IndirectAfter), IndependentAfter: itoaOrBlank(t.IndependentAfter)}
	if f.Direct == "" {
		f.Direct = string(curriculum.DirectWhenTrainingStarted)
	}
	return s.renderTaskEdit(c, fiber.StatusOK, p, v, f, v.LockVersion, nil)
}

func (s *Server) renderTaskEdit(c *fiber.Ctx, status int, p *programs.Program, v *programs.StoredVersion, f taskForm, lock int, problems []curriculum.Problem) error {
	errs := problemFields(problems)
	view := taskEditView{URL: versionURL(p.ID, v.Number), Lock: lock, Form: f, Domains: domains,
		Competencies: v.Version.Program.Competencies, CredTypes: v.Version.Program.CredentialTypes, DirectRules: directRules}
	return s.render(c, status, "task_edit", Page{Title: "Edit " + f.Code, Nav: "programs", Errors: errs, Data: view})
}

func (s *Server) saveTask(c *fiber.Ctx) error {
	p, v, lock, err := s.draftFromForm(c)
	if err != nil {
		return err
	}
	code := c.Params("code")
	if v.Version.Program.Task(code) == nil {
		return errNotFound
	}
	args := c.Request().PostArgs()
	f := taskForm{Code: code, Title: strings.TrimSpace(c.FormValue("title")), Description: strings.TrimSpace(c.FormValue("description")),
		Category: c.FormValue("category"), Direct: c.FormValue("direct"), DirectAfter: strings.TrimSpace(c.FormValue("direct_after")),
		IndirectAfter: strings.TrimSpace(c.FormValue("indirect_after")), IndependentAfter: strings.TrimSpace(c.FormValue("independent_after"))}
	for _, b := range args.PeekMulti("competencies") {
		f.Competencies = append(f.Competencies, string(b))
	}
	var probs []curriculum.Problem
	for _, ct := range v.Version.Program.CredentialTypes {
		var level curriculum.RequirementLevel
		if c.FormValue("level_"+ct.Code) == string(curriculum.IndependentOnly) {
			level = curriculum.IndependentOnly
		}
		switch c.FormValue("cred_" + ct.Code) {
		case "valid":
			f.Credentials = append(f.Credentials, curriculum.CredentialRequirement{Credential: ct.Code, Level: level})
		case "grace":
			days, err := strconv.Atoi(strings.TrimSpace(c.FormValue("grace_" + ct.Code)))
			if err != nil || days < 1 {
				probs = append(probs, curriculum.Problem{Path: "grace_" + ct.Code, Message: "Give the number of days after hire (a whole number, at least 1) for " + ct.Name + "."})
			}
			f.Credentials = append(f.Credentials, curriculum.CredentialRequirement{Credential: ct.Code, WithinDaysOfHire: days, Level: level})
		}
	}
	for _, nf := range []struct{ name, val string }{{"direct_after", f.DirectAfter}, {"indirect_after", f.IndirectAfter}, {"independent_after", f.IndependentAfter}} {
		if _, err := strconv.Atoi(nf.val); nf.val != "" && err != nil {
			probs = append(probs, curriculum.Problem{Path: nf.name, Message: "Give a whole number of successful observed performances, or leave it blank."})
		}
	}
	if len(probs) > 0 {
		return s.renderTaskEdit(c, statusFor(errkind.Malformed), p, v, f, lock, probs)
	}
	edited := v.Version.Clone()
	if err := edited.Edit(func(prog *curriculum.Program) error {
		t := prog.Task(code)
		t.Title, t.Description, t.Category = f.Title, f.Description, curriculum.Domain(f.Category)
		t.Competencies, t.Credentials, t.DirectSupervision = f.Competencies, f.Credentials, curriculum.DirectSupervisionRule(f.Direct)
		t.DirectAfter, t.IndirectAfter, t.IndependentAfter = atoi(f.DirectAfter), atoi(f.IndirectAfter), atoi(f.IndependentAfter)
		idx := slices.IndexFunc(prog.Tasks, func(x curriculum.Task) bool { return x.Code == code })
		return problemsAt(prog.Validate(), fmt.Sprintf("program.tasks[%d]", idx))
	}); err != nil {
		var ve *curriculum.ValidationError
		if errors.As(err, &ve) {
			return s.renderTaskEdit(c, statusFor(errkind.Invalid), p, v, f, lock, ve.Problems)
		}
		return err
	}
	if _, err := s.programs.SaveDraft(c.UserContext(), v.ID, lock, edited); err != nil {
		if ke := formError(err); ke != nil {
			return s.renderTaskEdit(c, statusOf(err), p, v, f, lock, []curriculum.Problem{{Message: ke.Message}})
		}
		return err
	}
	return c.Redirect(versionURL(p.ID, v.Number)+"?msg=draft-saved#task-"+code, fiber.StatusSeeOther)
}

// problemsAt keeps the validation problems of one item (by path prefix),
// so a draft can be saved item by item while other parts are unfinished;
// publishing checks everything.
func problemsAt(err error, prefix string) error {
	var ve *curriculum.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var mine []curriculum.Problem
	for _, p := range ve.Problems {
		if p.Path == prefix || strings.HasPrefix(p.Path, prefix+".") {
			mine = append(mine, p)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	return &curriculum.ValidationError{Problems: mine}
}

type newItemForm struct {
	Code   string `form:"code" label:"Code" validate:"required,notblank,max=64"`
	Title  string `form:"title" label:"Title" validate:"required,notblank,max=200"`
	Domain string `form:"domain" label:"Domain" validate:"required,oneof=clinical laboratory administrative safety"`
}

// addCompetency appends a new, empty competency to the draft and opens its
// form; the draft may be incomplete until it is published.
func (s *Server) addCompetency(c *fiber.Ctx) error {
	return s.addItem(c, "competencies", func(p *curriculum.Program, f newItemForm) error {
		if p.Competency(f.Code) != nil {
			return &curriculum.ValidationError{Problems: []curriculum.Problem{{Path: "code", Message: "A competency with code " + f.Code + " already exists."}}}
		}
		p.Competencies = append(p.Competencies, curriculum.Competency{Code: f.Code, Title: f.Title, Domain: curriculum.Domain(f.Domain),
			ChecklistVersion: 1, Performances: []curriculum.PerformanceRequirement{{Count: 1}},
			ObservedBy: curriculum.Authorization{Credentials: slices.Clone(curriculum.ProfessionalCredentials)},
			SignedOffBy: curriculum.Authorization{Credentials: []curriculum.ProfessionalCredential{curriculum.MD, curriculum.DO, curriculum.NP,
				curriculum.PA, curriculum.RN, curriculum.LPN}}})
		return problemsAt(p.Validate(), fmt.Sprintf("program.competencies[%d].code", len(p.Competencies)-1))
	})
}

// addTask appends a new task to the draft and opens its form.
func (s *Server) addTask(c *fiber.Ctx) error {
	return s.addItem(c, "tasks", func(p *curriculum.Program, f newItemForm) error {
		if p.Task(f.Code) != nil {
			return &curriculum.ValidationError{Problems: []curriculum.Problem{{Path: "code", Message: "A task with code " + f.Code + " already exists."}}}
		}
		p.Tasks = append(p.Tasks, curriculum.Task{Code: f.Code, Title: f.Title, Category: curriculum.Domain(f.Domain)})
		return problemsAt(p.Validate(), fmt.Sprintf("program.tasks[%d].code", len(p.Tasks)-1))
	})
}

func (s *Server) addItem(c *fiber.Ctx, kind string, add func(*curriculum.Program, newItemForm) error) error {
	p, v, lock, err := s.draftFromForm(c)
	if err != nil {
		return err
	}
	var f newItemForm
	if err := c.BodyParser(&f); err != nil {
		return errUnreadable
	}
	f.Code = strings.ToUpper(strings.TrimSpace(f.Code))
	f.Title = strings.TrimSpace(f.Title)
	if errs := check(&f); errs != nil {
		return badInput(errs)
	}
	edited := v.Version.Clone()
	if err := edited.Edit(func(prog *curriculum.Program) error { return add(prog, f) }); err != nil {
		var ve *curriculum.ValidationError
		if errors.As(err, &ve) {
			return breaksRule(problemFields(ve.Problems))
		}
		return err
	}
	if _, err := s.programs.SaveDraft(c.UserContext(), v.ID, lock, edited); err != nil {
		return err
	}
	return c.Redirect(versionURL(p.ID, v.Number)+"/"+kind+"/"+f.Code+"/edit", fiber.StatusSeeOther)
}

// removeCompetency deletes a competency from the draft, refusing while
// another competency or a task still needs it.
func (s *Server) removeCompetency(c *fiber.Ctx) error {
	code := c.Params("code")
	return s.removeItem(c, func(p *curriculum.Program) error {
		var probs []curriculum.Problem
		for _, o := range p.Competencies {
			if slices.Contains(o.Prerequisites, code) {
				probs = append(probs, curriculum.Problem{Path: "competencies", Message: o.Title + " (" + o.Code + ") lists " + code + " as a prerequisite; remove that first."})
			}
		}
		for _, t := range p.Tasks {
			if slices.Contains(t.Competencies, code) {
				probs = append(probs, curriculum.Problem{Path: "tasks", Message: "The task " + t.Title + " (" + t.Code + ") needs " + code + "; change the task first."})
			}
		}
		if len(probs) > 0 {
			return &curriculum.ValidationError{Problems: probs}
		}
		i := slices.IndexFunc(p.Competencies, func(x curriculum.Competency) bool { return x.Code == code })
		if i < 0 {
			return errNotFound
		}
		p.Competencies = slices.Delete(p.Competencies, i, i+1)
		return nil
	})
}

// removeTask deletes a task from the draft.
func (s *Server) removeTask(c *fiber.Ctx) error {
	code := c.Params("code")
	return s.removeItem(c, func(p *curriculum.Program) error {
		i := slices.IndexFunc(p.Tasks, func(x curriculum.Task) bool { return x.Code == code })
		if i < 0 {
			return errNotFound
		}
		p.Tasks = slices.Delete(p.Tasks, i, i+1)
		return nil
	})
}

func (s *Server) removeItem(c *fiber.Ctx, remove func(*curriculum.Program) error) error {
	p, v, lock, err := s.draftFromForm(c)
	if err != nil {
		return err
	}
	edited := v.Version.Clone()
	if err := edited.Edit(remove); err != nil {
		var ve *curriculum.ValidationError
		if errors.As(err, &ve) {
			return s.renderVersion(c, statusFor(errkind.Conflict), p, v, ve.Problems)
		}
		return err
	}
	if _, err := s.programs.SaveDraft(c.UserContext(), v.ID, lock, edited); err != nil {
		return err
	}
	return c.Redirect(versionURL(p.ID, v.Number)+"?msg=draft-saved", fiber.StatusSeeOther)
}

// problemFields turns a program's validation problems into messages by the
// editing forms' field names (the last part of each problem's path), so
// each shows next to its field; problems of no single field share the key
// "" (the form as a whole).
func problemFields(problems []curriculum.Problem) map[string]string {
	if len(problems) == 0 {
		return nil
	}
	out := map[string]string{}
	var rest []string
	for _, p := range problems {
		// The last two parts name the field where the last alone is
		// ambiguous ("recency.months" is not the re-verification's months).
		parts := strings.Split(p.Path, ".")
		for i, part := range parts {
			if j := strings.Index(part, "["); j >= 0 {
				parts[i] = part[:j]
			}
		}
		name := parts[len(parts)-1]
		field, ok := "", false
		if len(parts) > 1 {
			field, ok = problemField[parts[len(parts)-2]+"."+name]
		}
		if !ok {
			field, ok = problemField[name]
		}
		if !ok {
			field, ok = name, strings.HasPrefix(name, "grace_")
		}
		if !ok {
			rest = append(rest, p.Message)
			continue
		}
		if _, seen := out[field]; !seen {
			out[field] = p.Message
		}
	}
	if len(rest) > 0 {
		out[""] = strings.Join(rest, " ")
	}
	return out
}

// problemField maps the last part of a problem's path (or its last two,
// where the last alone is ambiguous) to the form field that sets it.
var problemField = map[string]string{
	"recency.months": "recency_months", "checklist.text": "step_text",
	"code": "code", "title": "title", "description": "description", "domain": "domain", "category": "category",
	"checklist": "step_text", "performances": "perf_count", "count": "perf_count", "pass_mark": "pass_mark",
	"knowledge_test": "pass_mark", "reverify_kind": "reverify_kind", "reverification": "reverify_kind", "months": "reverify_months",
	"reverify_months": "reverify_months", "due_window": "due_window", "due_window_days": "due_window",
	"recency": "recency_months", "observed_by": "observed_by", "signed_off_by": "signed_off_by",
	"prerequisites": "prerequisites", "competencies": "competencies", "direct_supervision": "direct",
	"first_months": "first_months", "training_hours": "training_hours", "hours": "training_hours", "rti_courses": "training_hours",
	"work_processes": "training_hours", "independent_prerequisites": "independent_prerequisites",
	"direct_after": "direct_after", "indirect_after": "indirect_after", "independent_after": "independent_after",
}
