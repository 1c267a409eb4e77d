package curriculum

// Task is something an MA may be cleared to do: draw blood, give
// immunisations, pend refills, schedule patients.
type Task struct {
	Code        string `json:"code"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Category    Domain `json:"category"`
	// Competencies must all be signed off and current (with their
	// prerequisites) for independent clearance.
	Competencies []string `json:"competencies"`
	// Credentials must be valid, or missing within their grace period.
	Credentials []CredentialRequirement `json:"credentials"`
	// DirectSupervision says when the person may do the task under direct
	// supervision before being cleared to do it alone.
	DirectSupervision DirectSupervisionRule `json:"direct_supervision,omitempty"`
	// DirectAfter, with DirectSupervision "performances", is how many
	// successful observed performances of each task competency not yet
	// current allow direct supervision.
	DirectAfter int `json:"direct_after,omitempty"`
	// IndirectAfter, when positive, gives the task an indirect-supervision
	// level: the person may work with a qualified person available rather
	// than watching once they qualify for direct supervision and have this
	// many successful observed performances of each task competency.
	IndirectAfter int `json:"indirect_after,omitempty"`
	// IndependentAfter, when positive, is how many successful observed
	// performances of each task competency independent clearance needs,
	// besides everything else (sign-off, credentials, prerequisites).
	IndependentAfter int `json:"independent_after,omitempty"`
}

// DirectSupervisionRule is when a task may be done under direct supervision
// (a qualified person present and watching) before independent clearance.
//
// Every rule except DirectNever also requires what no supervision can make
// up for: each required credential valid or missing within its grace
// period, and every prerequisite of the task's competencies (transitively)
// signed off and current. The rules differ in how far training on the
// task's own, not yet current competencies must have got.
type DirectSupervisionRule string

// Direct-supervision rules.
const (
	// DirectWhenTrainingStarted (the default, also spelled "") allows
	// direct supervision once training has started on every task
	// competency that is not yet current: at least one observed performance
	// is on record (successful or not) or, for a competency without
	// required performances, a knowledge test was taken. This mirrors
	// residency logging: the first observed attempt already happens under
	// direct supervision, so further supervised practice is safe; a lapsed
	// competency (overdue, out of recency, revoked) falls back to this level
	// instead of to nothing.
	DirectWhenTrainingStarted DirectSupervisionRule = "training-started"
	// DirectAfterKnowledgeTest requires, instead of a first performance,
	// the knowledge test of each such competency to be passed (competencies
	// without a test need nothing more): theory before patients.
	DirectAfterKnowledgeTest DirectSupervisionRule = "knowledge-test"
	// DirectAfterPrerequisites requires only credentials and prerequisites.
	DirectAfterPrerequisites DirectSupervisionRule = "prerequisites"
	// DirectAfterPerformances requires Task.DirectAfter successful observed
	// performances of each such competency.
	DirectAfterPerformances DirectSupervisionRule = "performances"
	// DirectNever: the task has no supervised level; a person is either
	// cleared or not (for example pending refills, which a provider
	// approves anyway, or administrative work).
	DirectNever DirectSupervisionRule = "never"
)

func (r DirectSupervisionRule) valid() bool {
	switch r {
	case "", DirectWhenTrainingStarted, DirectAfterKnowledgeTest, DirectAfterPrerequisites, DirectAfterPerformances, DirectNever:
		return true
	}
	return false
}
