package reports

import (
	"context"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/curriculum"
)

// "Closest to clearance": a director picks a task and gets the cohort
// ranked by what is left before each person is cleared for it, with the
// remaining steps named. The decisions are the clearance engine's, read in
// one batch for the whole cohort (DecideMany), as the clearances report
// reads them.

// TaskOption is a task a director can pick: its code and title.
type TaskOption struct{ Code, Title string }

// Closest is the ranking for one task.
type Closest struct {
	// Tasks are the tasks of the programs the cohort is enrolled in, by
	// title.
	Tasks []TaskOption
	// Task is the task asked for ("" when none or unknown); TaskTitle its
	// title.
	Task, TaskTitle string
	Rows            []ClosestRow // fewest steps left first
}

// ClosestRow is one apprentice's standing for the task.
type ClosestRow struct {
	PersonID, Name, Site string
	Status               Status
	// Performances is how many observed performances the steps left
	// include (ties between equal step counts go to fewer).
	Performances int

	// blocking are the decision's reasons that block (none when
	// cleared); left counts those that say a step. The steps' text is
	// written only for the rows shown (Steps): thousands are ranked,
	// a hundred shown.
	blocking []curriculum.Reason
	left     int
	order    int // place in name order: equals rank by name
}

// Left is how many steps remain.
func (r ClosestRow) Left() int { return r.left }

// Steps are what remains before clearance, in plain language (empty when
// cleared).
func (r ClosestRow) Steps() []string {
	var out []string
	for i := range r.blocking {
		if step := r.blocking[i].Step(); step != "" {
			out = append(out, step)
		}
	}
	return out
}

// Closest ranks the apprentices of the sites (the people who belong to
// them, as the object rule reads it) by what is left before clearance for
// task on asOf. Apprentices not enrolled that day, or whose program has no
// such task, are not listed. A fixed number of queries per 500
// apprentices (their decision stamps, and evidence only for those not
// decided since it was written), and two when the ranking is kept.
//
// A ranking is kept (closestCache) under two stamps read before it is
// made: the change stamp of people, their roles and sites, enrollments,
// moves and sites (db.ScopeCredentials: who is in the cohort, their names
// and sites), and the total of the cohort's decision stamps (anything
// written that can change a decision). When both are unchanged the kept
// ranking is the answer: two small statements instead of reading and
// ranking the whole cohort. The result is shared: callers must not
// change it.
func (s *Service) Closest(ctx context.Context, siteIDs []string, task string, asOf curriculum.Date) (*Closest, error) {
	if len(siteIDs) == 0 {
		return &Closest{}, nil
	}
	sel := accounts.Selection{Role: accounts.RoleApprentice, SiteIDs: siteIDs}
	scope, err := db.ChangeStamp(ctx, s.DB, db.ScopeCredentials)
	if err != nil {
		return nil, err
	}
	total, err := s.Evidence.Store.DecisionStampTotal(ctx, s.Accounts.SelectedIDs(sel))
	if err != nil {
		return nil, err
	}
	sorted := slices.Clone(siteIDs)
	slices.Sort(sorted)
	key := closestKey{sites: strings.Join(sorted, ","), task: task, asOf: asOf}
	if v := s.closestKept.get(key, scope, total); v != nil {
		return v, nil
	}
	// Made after the stamps were read: filed under them, never newer.
	v, err := s.rankClosest(ctx, sel, task, asOf)
	if err != nil {
		return nil, err
	}
	s.closestKept.put(key, closestEntry{scope: scope, total: total, v: v})
	return v, nil
}

// rankClosest makes the ranking of Closest for the people sel holds.
func (s *Service) rankClosest(ctx context.Context, sel accounts.Selection, task string, asOf curriculum.Date) (*Closest, error) {
	out := &Closest{}
	var people []*accounts.Person
	// One statement for the whole cohort, in name order.
	err := s.Accounts.EachSelected(ctx, sel, 1<<20,
		func(batch []*accounts.Person) error { people = append(people, batch...); return nil })
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.ID
	}
	// A batch at a time: each batch's decisions are filed in the cache as
	// it is decided, so when nothing is cached yet (a server just started
	// on 20,000 apprentices) a request cut short by its deadline leaves
	// what it decided for the next, and the evidence in memory stays one
	// batch's. Warm, one statement per batch (the stamps).
	res := make(map[string]*clearance.Decided, len(ids))
	for batch := range slices.Chunk(ids, s.exportBatch(exportBatch)) {
		part, err := s.Clearance.DecideMany(ctx, batch, asOf)
		if err != nil {
			return nil, err
		}
		maps.Copy(res, part)
	}
	sites, err := s.Accounts.Sites(ctx)
	if err != nil {
		return nil, err
	}
	siteNames := map[string]string{}
	for _, st := range sites {
		siteNames[st.ID] = st.Name
	}
	titles := map[string]string{}
	for _, p := range people {
		r, ok := res[p.ID]
		if !ok {
			continue
		}
		for _, t := range r.Rules.Version().Program.Tasks {
			if _, seen := titles[t.Code]; !seen {
				titles[t.Code] = t.Title
			}
		}
		d, ok, err := r.Decision(task)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		row := ClosestRow{PersonID: p.ID, Name: p.Name, Site: siteNames[r.Enrollment.SiteID],
			Status: Status{Text: d.Status.Label(), Tone: statusTone[d.Status]}, order: len(out.Rows)}
		if d.Status != curriculum.Cleared {
			row.blocking = slices.DeleteFunc(d.Reasons, func(rs curriculum.Reason) bool { return rs.Effect < curriculum.BlocksIndependent })
		}
		for i := range row.blocking {
			rs := &row.blocking[i]
			if rs.HasStep() {
				row.left++
			}
			if rs.Code == curriculum.ReasonCountShort {
				row.Performances += max(rs.Need-rs.Have, 0)
			}
		}
		out.Rows = append(out.Rows, row)
	}
	for code, title := range titles {
		out.Tasks = append(out.Tasks, TaskOption{Code: code, Title: title})
	}
	slices.SortFunc(out.Tasks, func(a, b TaskOption) int {
		if c := strings.Compare(a.Title, b.Title); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	if t, ok := titles[task]; ok {
		out.Task, out.TaskTitle = task, t
	}
	// Equals stay by name: people come in name order (order). A total
	// order, so an unstable sort gives the one answer, in O(n log n).
	slices.SortFunc(out.Rows, func(a, b ClosestRow) int {
		if c := a.left - b.left; c != 0 {
			return c
		}
		if c := a.Performances - b.Performances; c != 0 {
			return c
		}
		return a.order - b.order
	})
	return out, nil
}

// closestCacheSize is how many rankings a process keeps: one per
// director's set of sites, task and day asked for lately. A ranking of
// 20,000 apprentices holds a few megabytes.
const closestCacheSize = 8

type closestKey struct {
	sites, task string
	asOf        curriculum.Date
}

type closestEntry struct {
	scope, total int64
	v            *Closest
}

// closestCache is a small bounded map of rankings; when full, an
// arbitrary one is dropped.
type closestCache struct {
	mu sync.Mutex
	m  map[closestKey]closestEntry
}

// get returns the ranking kept for k under both stamps, or nil.
func (c *closestCache) get(k closestKey, scope, total int64) *Closest {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[k]; ok && e.scope == scope && e.total == total {
		return e.v
	}
	return nil
}

func (c *closestCache) put(k closestKey, e closestEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[closestKey]closestEntry{}
	}
	if _, ok := c.m[k]; !ok && len(c.m) >= closestCacheSize {
		for victim := range c.m {
			delete(c.m, victim)
			break
		}
	}
	c.m[k] = e
}

// closestColumns are the workbook's columns.
var closestColumns = []Column{{Title: "Rank", Width: 6}, {Title: "Person", Width: 24}, {Title: "Site", Width: 26},
	{Title: "Status", Width: 26}, {Title: "Steps left", Width: 10}, {Title: "What is left before clearance", Width: 100}}

// ClosestWorkbook writes v as a workbook: the same rows, in the same
// order, as the page.
func (s *Service) ClosestWorkbook(v *Closest, asOf curriculum.Date, generatedBy string, out io.Writer) error {
	w, err := New("Closest to clearance", closestColumns)
	if err != nil {
		return err
	}
	defer w.Close()
	for i, r := range v.Rows {
		left := strings.Join(r.Steps(), "; ")
		if left == "" {
			left = "Nothing: cleared"
		}
		if err := w.Add(i+1, r.Name, r.Site, r.Status, r.Left(), left); err != nil {
			return err
		}
	}
	return w.Finish(out, About{Report: "Closest to clearance for " + v.TaskTitle + " (" + v.Task + ")",
		AsOf: asOf, GeneratedAt: s.now(), GeneratedBy: generatedBy})
}
