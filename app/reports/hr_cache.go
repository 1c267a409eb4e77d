package reports

import (
	"context"
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
	sites []hrOrgSite // every site, by name
	rows  []hrEntry   // every credential needing attention or in the chart, in display order
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
	siteID    string
	key       string // the status filter's key (see matchesStatus)
	preceptor bool   // a preceptor's licence, not an apprentice's credential
	// month is the chart's month (0 this month … 11) the credential
	// expires in, or -1 when it is not in the chart.
	month int
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

func (c *hrCache) get(today curriculum.Date, stamp int64) *hrOrg {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Equal, not "at least": a database restored from a backup may go back
	// to an older stamp, and must not be answered from the newer data.
	if c.org != nil && c.org.today == today && c.org.stamp == stamp {
		return c.org
	}
	return nil
}

func (c *hrCache) put(org *hrOrg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.org = org
}

// hrOrganisation returns the dashboard for every site on today, from the
// cache when nothing it depends on was written since it was computed.
func (s *Service) hrOrganisation(ctx context.Context, today curriculum.Date) (*hrOrg, error) {
	stamp, err := db.ChangeStamp(ctx, s.DB, db.ScopeCredentials)
	if err != nil {
		return nil, err
	}
	if org := s.hr.get(today, stamp); org != nil {
		return org, nil
	}
	s.hr.computing.Lock()
	defer s.hr.computing.Unlock()
	// Another request may have computed it while this one waited.
	if org := s.hr.get(today, stamp); org != nil {
		return org, nil
	}
	// Everything is read after the stamp, so the result is at least as new
	// as the stamp it is filed under: a write committed before the stamp
	// was read is always in it. (One committed in between may be in it too;
	// the stamp has then moved, and the next request computes again.)
	org, err := s.computeHR(ctx, today)
	if err != nil {
		return nil, err
	}
	org.stamp = stamp
	s.hr.put(org)
	return org, nil
}
