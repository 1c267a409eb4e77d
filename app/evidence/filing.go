package evidence

import (
	"fmt"
	"slices"

	"github.com/skillgate/skillgate/assessments"
)

// filer files the records of one read under their enrollments. Records
// arrive in the database's order (by enrollment and competency, from the
// index, not by time); each enrollment's records must be in the order they
// were recorded. Deciding for a whole organisation files 2.3 M records, so
// they are grouped by a counting sort into one backing array per kind,
// rather than appended to a growing slice per enrollment and sorted as one
// list of large structs.
type filer struct {
	ids  []string
	slot map[string]int32 // enrollment ID → index in recs
	recs []assessments.Records
}

func newFiler(enrollments []assessments.Enrollment) *filer {
	f := &filer{ids: make([]string, len(enrollments)), slot: make(map[string]int32, len(enrollments)),
		recs: make([]assessments.Records, len(enrollments))}
	own := slices.Clone(enrollments) // one allocation, not one per enrollment
	for i := range own {
		f.ids[i] = own[i].ID
		f.slot[own[i].ID] = int32(i)
		f.recs[i].Enrollment = &own[i]
	}
	return f
}

// byID is the filed records by enrollment ID.
func (f *filer) byID() map[string]*assessments.Records {
	out := make(map[string]*assessments.Records, len(f.recs))
	for i := range f.recs {
		out[f.ids[i]] = &f.recs[i]
	}
	return out
}

// fileRecords sets each enrollment's list of one kind of record (set) to
// its share of list, in the order cmp gives. The lists share one backing
// array, each capped at its own length so that appending to one never
// writes into the next.
func fileRecords[T any](f *filer, list []T, enrollmentOf func(*T) string, cmp func(a, b *T) int,
	set func(*assessments.Records, []T)) error {
	if len(list) == 0 {
		return nil
	}
	group := make([]int32, len(list))
	start := make([]int32, len(f.recs)+1) // start[g] is where group g begins
	for i := range list {
		g, ok := f.slot[enrollmentOf(&list[i])]
		if !ok {
			return fmt.Errorf("a record of enrollment %q, which was not asked for", enrollmentOf(&list[i]))
		}
		group[i] = g
		start[g+1]++
	}
	for g := 1; g < len(start); g++ {
		start[g] += start[g-1]
	}
	// order holds list's indexes grouped by enrollment; sorting indexes
	// moves four bytes where sorting records would move hundreds.
	order := make([]int32, len(list))
	next := slices.Clone(start[:len(f.recs)])
	for i, g := range group {
		order[next[g]] = int32(i)
		next[g]++
	}
	byIndex := func(a, b int32) int { return cmp(&list[a], &list[b]) }
	filed := make([]T, len(list))
	for g := range f.recs {
		lo, hi := start[g], start[g+1]
		if lo == hi {
			continue
		}
		part := order[lo:hi]
		if !slices.IsSortedFunc(part, byIndex) {
			slices.SortFunc(part, byIndex)
		}
		for k, i := range part {
			filed[int(lo)+k] = list[i]
		}
		set(&f.recs[g], filed[lo:hi:hi])
	}
	return nil
}

// convertRows turns database rows into records.
func convertRows[R, T any](rows []R, convert func(*R) T) []T {
	out := make([]T, len(rows))
	for i := range rows {
		out[i] = convert(&rows[i])
	}
	return out
}
