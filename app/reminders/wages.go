package reminders

import (
	"context"
	"fmt"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/wages"
)

// wageSubject starts the subject of wage-step notices.
const wageSubject = "wage-step:"

// wageNotices tells the directors and HR staff of each apprentice's sites,
// once, when the apprentice meets the conditions of their next wage step
// (a notification per recipient, enrollment and step: subject
// "wage-step:<enrollment>:<step>", dated the enrollment's start so the
// unique key holds however often and on however many instances the job
// runs). Nothing without a Wages service.
func (s *Service) wageNotices(ctx context.Context, res map[string]*clearance.Result, byID map[string]*accounts.Person, staff []*accounts.Person) (int, error) {
	if s.Wages == nil || len(staff) == 0 {
		return 0, nil
	}
	var ens []string
	for _, r := range res {
		if len(r.Program().WageSchedule) > 0 {
			ens = append(ens, r.Enrollment.ID)
		}
	}
	if len(ens) == 0 {
		return 0, nil
	}
	hist, err := s.Wages.History(ctx, ens)
	if err != nil {
		return 0, err
	}
	created := 0
	for id, r := range res {
		if len(r.Program().WageSchedule) == 0 {
			continue
		}
		st := wages.StatusOf(r, hist[r.Enrollment.ID])
		if st.Next == nil || !st.Next.Eligible {
			continue
		}
		p := byID[id]
		n := st.Next.Step
		d := Due{PersonID: id, Subject: fmt.Sprintf("%s%s:%d", wageSubject, r.Enrollment.ID, n), What: "Wage step " + st.Title(n), On: r.Enrollment.StartDate}
		msg := fmt.Sprintf("%s is eligible for wage step %s (%s): approve it on their wage page.", p.Name, st.Title(n), st.Wage(n))
		for _, to := range staff {
			if !sharesAny(to.SiteIDs, []string{r.Enrollment.SiteID}) {
				continue
			}
			ok, err := s.notify(ctx, to, p, d, 0, msg)
			if err != nil {
				return created, err
			}
			if ok {
				created++
			}
		}
	}
	return created, nil
}
