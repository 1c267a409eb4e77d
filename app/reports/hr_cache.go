package reports

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/curriculum"
)

// The HR dashboard's cache. Computing the dashboard reads every
// apprentice, preceptor, enrollment and credential of the organisation
// (seconds at scale); it changes only when one of those is written, or
// when the day changes. Database triggers bump a change stamp on every
// such write (migration 0011), whichever instance, import or hand-written
// SQL made it, so a request reads the stamp (one small query) and serves
// the cached result when it was computed under the same stamp on the same
// day. Several instances on one database each keep their own copy and
// stay correct without talking to each other.

// hrOrg is the dashboard computed for every site on one day: what the
// cache keeps. It is never changed once computed; requests copy out their
// share (their sites, their filters, one page).
type hrOrg struct {
	today curriculum.Date
	stamp int64
	// peopleStamp is the 'people' change stamp, and stamps every
	// person's decision stamp, read before the data (see hrOrganisation).
	peopleStamp int64
	stamps      map[string]map[string]int64 // by bucket (evidence.BucketOf), then person
	buckets     map[string]int64            // each bucket's total
	sites       []hrOrgSite                 // every site, by name
	// rows is every credential needing attention or in the chart, in
	// display order. The entries are never changed once made, so a newer
	// hrOrg shares those of the people a write did not change: an update
	// copies a pointer per row, not the rows.
	rows []*hrEntry
	// people is who is where, and shares each person's part of the
	// sites' figures, so that a write changes only its people's. shares
	// is read and written only under hrCache.computing (requests read
	// sites and rows), and an update changes it in place: copying a map
	// of every person on every update grew with the organisation.
	people *hrPeople
	shares map[string][]hrShare
}

// hrOrgSite is one site's counts and its expirations per month for the
// next 12 months (so the chart can be summed over the sites a user sees).
type hrOrgSite struct {
	id     string
	counts HRSite
	months [12]int
}

// hrEntry is a row of the attention list with what requests filter on.
type hrEntry struct {
	HRRow
	site      int    // index in hrOrg.sites (and hrPeople.sites)
	key       string // the status filter's key (see matchesStatus)
	preceptor bool   // a preceptor's licence, not an apprentice's credential
	// month is the chart's month (0 this month … 11) the credential
	// expires in, or -1 when it is not in the chart.
	month int
	seq   uint64 // see seqOf
}

// attention reports whether the entry is on the attention list (an
// entry may be there only for the chart's months).
func (e *hrEntry) attention() bool { return e.key != "" }

// hrCache holds the latest computation. One entry is enough: every
// request of a day wants the newest stamp, and an older one is never
// asked for again once the stamp has moved.
type hrCache struct {
	mu  sync.Mutex
	org *hrOrg
	// computing lets one request compute at a time, so a burst of requests
	// after a write computes once and the rest find the result, instead of
	// each reading the whole organisation.
	computing sync.Mutex
}

func (c *hrCache) get(today curriculum.Date, stamp, people int64) *hrOrg {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Equal, not "at least": a database restored from a backup may go back
	// to an older stamp, and must not be answered from the newer data.
	if c.org != nil && c.org.today == today && c.org.stamp == stamp && c.org.peopleStamp == people {
		return c.org
	}
	return nil
}

func (c *hrCache) latest() *hrOrg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.org
}

func (c *hrCache) put(org *hrOrg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.org = org
}

// hrOrganisation returns the dashboard for every site on today, from the
// cache when nothing it depends on was written since it was computed.
// When only people's records changed (credentials, enrollments, moves,
// hire dates: the 'credentials' stamp moved, the 'people' stamp did not),
// only the people whose decision stamps moved are read and their shares
// replaced; when people, roles or sites changed, or the day, everything is
// computed again.
func (s *Service) hrOrganisation(ctx context.Context, today curriculum.Date) (*hrOrg, error) {
	st, err := db.ChangeStamps(ctx, s.DB, db.ScopeCredentials, db.ScopePeople)
	if err != nil {
		return nil, err
	}
	stamp, people := st[0], st[1]
	if org := s.hr.get(today, stamp, people); org != nil {
		return org, nil
	}
	s.hr.computing.Lock()
	defer s.hr.computing.Unlock()
	// Another request may have computed it while this one waited.
	if org := s.hr.get(today, stamp, people); org != nil {
		return org, nil
	}
	// Everything is read after the stamps, so the result is at least as
	// new as the stamps it is filed under: a write committed before they
	// were read is always in it. (One committed in between may be in it
	// too; a stamp has then moved, and the next request updates again.)
	prev := s.hr.latest()
	incremental := prev != nil && prev.today == today && prev.peopleStamp == people && prev.people != nil
	buckets, err := s.Evidence.Store.DecisionStampBuckets(ctx)
	if err != nil {
		return nil, err
	}
	var org *hrOrg
	var stamps map[string]map[string]int64
	if incremental {
		// Only the buckets whose totals moved hold changed stamps.
		var moved []string
		for b, total := range buckets {
			if prev.buckets[b] != total {
				moved = append(moved, b)
			}
		}
		for b := range prev.buckets {
			if _, ok := buckets[b]; !ok {
				moved = append(moved, b)
			}
		}
		fresh, err := s.Evidence.Store.DecisionStampsIn(ctx, moved)
		if err != nil {
			return nil, err
		}
		stamps = maps.Clone(prev.stamps)
		var changed []string
		for _, b := range moved {
			for id := range prev.stamps[b] {
				if _, ok := fresh[b][id]; !ok {
					changed = append(changed, id) // its stamp is gone
				}
			}
			for id, v := range fresh[b] {
				if prev.stamps[b][id] != v {
					changed = append(changed, id)
				}
			}
			stamps[b] = fresh[b]
		}
		// Only the people on the dashboard (and each once).
		changed = slices.DeleteFunc(slices.Compact(slices.Sorted(slices.Values(changed))), func(id string) bool {
			_, a := prev.people.appr[id]
			_, p := prev.people.prec[id]
			return !a && !p
		})
		copied := *prev
		org = &copied
		if len(changed) > 0 {
			shares, rows, err := s.hrShares(ctx, prev.people, changed, today)
			if err != nil {
				return nil, err
			}
			org = prev.updated(changed, shares, rows)
		}
	} else {
		if stamps, err = s.Evidence.Store.DecisionStampsIn(ctx, nil); err != nil {
			return nil, err
		}
		// The totals of what was read (a write since the buckets were read
		// moves a total: the next request reads that bucket again).
		buckets = map[string]int64{}
		for b, list := range stamps {
			for _, v := range list {
				buckets[b] += v
			}
		}
		if org, err = s.computeHR(ctx, today); err != nil {
			return nil, err
		}
	}
	org.buckets = buckets
	org.stamp, org.peopleStamp, org.stamps = stamp, people, stamps
	s.hr.put(org)
	return org, nil
}
