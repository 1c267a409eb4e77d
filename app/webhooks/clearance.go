package webhooks

import (
	"context"
	"slices"

	"github.com/uptrace/bun"
)

// Levels returns people's clearance levels today, read through idb (so,
// inside a transaction, with its uncommitted writes), one ClearanceData
// per task of the program in force with After, LapsesOn and Reasons
// filled in; a person with no enrollment in force is absent. app/wiring
// sets it from the clearance service (which the writers cannot import).
type Levels func(ctx context.Context, idb bun.IDB, personIDs []string) (map[string][]ClearanceData, error)

// NotEnrolled is the reason given when a write leaves a person with no
// enrollment in force (a withdrawal): every task is then not_cleared.
var NotEnrolled = ClearanceReason{Code: "not_enrolled", Message: "No enrollment is in force, so no task can be cleared."}

// Changing runs write, a change in idb's transaction, and emits in the
// same transaction clearance.changed for every task of personIDs whose
// level it changes: the levels are read before and after write, through
// the transaction, so the event exists exactly when the change commits.
// Every writer whose change may move a level (evidence, reviews,
// credentials, hire dates, enrollment status, moves) goes through it.
// Without Levels, or when no endpoint subscribes, it only runs write.
//
// write gets a context that marks the change as watched: a Changing inside
// it (a store's write that the caller's larger change includes) only runs
// its write, so each level change is emitted once, by the outermost call,
// whose personIDs must then include the inner ones'.
func (o *Outbox) Changing(ctx context.Context, idb bun.IDB, personIDs []string, write func(ctx context.Context) error) error {
	if o == nil || o.Levels == nil || len(personIDs) == 0 || ctx.Value(watchedKey{}) != nil {
		return write(ctx)
	}
	if want, err := o.Wants(ctx, idb, ClearanceChanged); err != nil || !want {
		if err != nil {
			return err
		}
		return write(ctx)
	}
	before, err := o.Levels(ctx, idb, personIDs)
	if err != nil {
		return err
	}
	if err := write(context.WithValue(ctx, watchedKey{}, true)); err != nil {
		return err
	}
	after, err := o.Levels(ctx, idb, personIDs)
	if err != nil {
		return err
	}
	var events []Event
	for _, p := range slices.Compact(slices.Sorted(slices.Values(personIDs))) {
		for _, d := range levelChanges(before[p], after[p]) {
			events = append(events, Event{Type: ClearanceChanged, SiteIDs: []string{d.SiteID}, Data: d})
		}
	}
	return o.Emit(ctx, idb, events...)
}

type watchedKey struct{}

// levelChanges returns the tasks whose level differs between before and
// after (a task absent from one side is not_cleared there), each with the
// data of after.
func levelChanges(before, after []ClearanceData) []ClearanceData {
	const none = "not_cleared"
	var out []ClearanceData
	for _, a := range after {
		was := none
		if i := slices.IndexFunc(before, func(b ClearanceData) bool { return b.Task == a.Task }); i >= 0 {
			was = before[i].After
		}
		if was != a.After {
			a.Before = was
			out = append(out, a)
		}
	}
	for _, b := range before {
		if b.After == none || slices.ContainsFunc(after, func(a ClearanceData) bool { return a.Task == b.Task }) {
			continue
		}
		b.Before, b.After, b.LapsesOn, b.Reasons = b.After, none, "", []ClearanceReason{NotEnrolled}
		out = append(out, b)
	}
	return out
}
