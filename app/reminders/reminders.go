// Package reminders finds credentials and re-verifications coming due and
// notifies the person and HR once per threshold (90, 60, 30, 7 and 0
// days), in the app and by email when an SMTP server is configured. It
// also serves each person's private calendar feed of due dates.
package reminders

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/evaluations"
	"github.com/skillgate/skillgate/app/wages"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// Thresholds are the days before a due date on which reminders go out.
var Thresholds = []int{90, 60, 30, 7, 0}

// Sender delivers a notification by email; nil means in-app only.
type Sender interface {
	Send(ctx context.Context, to, subject, body string) error
}

// Service runs reminders.
type Service struct {
	DB        bun.IDB
	Accounts  *accounts.Store
	Clearance *clearance.Service
	Mail      Sender
	Log       *slog.Logger
	Now       func() time.Time
	Location  *time.Location
	// Audit records calendar-link changes (nil: the real clock).
	Audit *audit.Log
	// Evaluations, when set, adds the periodic evaluations coming due.
	Evaluations *evaluations.Store
	// Wages, when set, has the job tell directors and HR when someone
	// becomes eligible for their next wage step (wages.go).
	Wages *wages.Service
	// PageSize is how many apprentices Run decides for at once (zero:
	// DefaultPageSize); tests make it small to cross pages with few people.
	PageSize int
}

type notificationRow struct {
	bun.BaseModel `bun:"table:notifications"`
	ID            string          `bun:"id,pk"`
	RecipientID   string          `bun:"recipient_id"`
	PersonID      string          `bun:"person_id"`
	Subject       string          `bun:"subject"`
	Threshold     int             `bun:"threshold"`
	DueOn         curriculum.Date `bun:"due_on"`
	Message       string          `bun:"message"`
	CreatedAt     time.Time       `bun:"created_at"`
	EmailedAt     *time.Time      `bun:"emailed_at"`
	ReadAt        *time.Time      `bun:"read_at"`
}

// Notification is one in-app message.
type Notification struct {
	ID, PersonID, Message string
	DueOn                 curriculum.Date
	CreatedAt             time.Time
	Read                  bool
}

// Due is something coming due for a person.
type Due struct {
	PersonID string
	Subject  string // e.g. "credential:BLS" or "reverification:MED-REFILL"
	What     string // for people: "BLS", "Prescription refills re-verification"
	On       curriculum.Date
	// Also are more people told (ids): an evaluation's assigned
	// preceptors, who complete it.
	Also []string
}

// threshold returns the reminder step for a due date: the smallest
// threshold not below the days left (missed larger steps are not sent
// late), and false when nothing is due within 90 days or it is past.
func threshold(today, due curriculum.Date) (int, bool) {
	left := today.DaysUntil(due)
	if left < 0 || left > Thresholds[0] {
		return 0, false
	}
	best := Thresholds[0]
	for _, t := range Thresholds {
		if left <= t {
			best = t
		}
	}
	return best, true
}

// DueFor lists what is coming due (or overdue) for each person, from the
// same decisions the pages show.
func DueFor(res map[string]*clearance.Result, today curriculum.Date, now time.Time) []Due {
	var out []Due
	for id, r := range res {
		prog := r.Program()
		for _, st := range r.RequiredCredentials(today) {
			if st.Expires.IsZero() || st.Status == curriculum.CredentialMissing || st.Status == curriculum.CredentialMissingInGrace {
				continue
			}
			name := st.Credential
			if ct := prog.CredentialType(st.Credential); ct != nil {
				name = ct.Name
			}
			out = append(out, Due{PersonID: id, Subject: "credential:" + st.Credential, What: name, On: st.Expires})
		}
		if pr := assessments.Summarize(r.Records, now); pr != nil {
			for _, cp := range pr.Competencies {
				if !cp.ReverificationDue.IsZero() {
					out = append(out, Due{PersonID: id, Subject: "reverification:" + cp.Code, What: cp.Title + " re-verification", On: cp.ReverificationDue})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b Due) int { return a.On.Compare(b.On) })
	return out
}

// due is DueFor with the periodic evaluations coming due (when the
// service has them): what reminders and calendar feeds list.
func (s *Service) due(ctx context.Context, res map[string]*clearance.Result, today curriculum.Date) ([]Due, error) {
	due := DueFor(res, today, s.Now())
	if s.Evaluations == nil {
		return due, nil
	}
	evs, err := EvaluationsDue(ctx, s.Evaluations, res, today)
	return append(due, evs...), err
}

// EvaluationsDue lists each person's next periodic evaluation (subject
// "evaluation:N") while the mentor has not completed it: it is reminded
// like a re-verification, on the thresholds before its due date, and
// also to the enrollment's assigned preceptors, who complete it.
func EvaluationsDue(ctx context.Context, st *evaluations.Store, res map[string]*clearance.Result, today curriculum.Date) ([]Due, error) {
	var es []*assessments.Enrollment
	for _, r := range res {
		if r.Records != nil && r.Records.Enrollment != nil && r.Records.Enrollment.Version.Program().Evaluations != nil {
			es = append(es, r.Records.Enrollment)
		}
	}
	if len(es) == 0 {
		return nil, nil
	}
	done, err := st.Load(ctx, es...)
	if err != nil {
		return nil, err
	}
	var out []Due
	for id, r := range res {
		e := r.Records.Enrollment
		if e == nil {
			continue
		}
		for _, st := range assessments.EvaluationsOf(e, done[e.ID], today) {
			if st.Evaluation == nil {
				out = append(out, Due{PersonID: id, Subject: fmt.Sprintf("evaluation:%d", st.Seq), What: fmt.Sprintf("Evaluation %d", st.Seq), On: st.DueOn,
					Also: e.PreceptorIDs})
			}
		}
	}
	return out, nil
}

// DefaultPageSize is how many apprentices Run decides for at once: enough
// to keep queries few, few enough that a large organisation's evidence
// (millions of records) is never in memory all at once.
const DefaultPageSize = 500

// Run finds everything due and notifies each person and the HR staff of
// their sites, once per threshold. It returns how many notifications it
// created; running it again the same day creates none. It goes through the
// apprentices a page at a time, so it covers every one of them however
// many there are.
func (s *Service) Run(ctx context.Context) (int, error) {
	today := curriculum.DateOf(s.Now(), s.Location)
	pageSize := s.PageSize
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	hr, err := s.everyone(ctx, accounts.RoleHR, pageSize)
	if err != nil {
		return 0, err
	}
	// Wage-step notices go to directors and HR (once each).
	staff := hr
	if s.Wages != nil {
		directors, err := s.everyone(ctx, accounts.RoleDirector, pageSize)
		if err != nil {
			return 0, err
		}
		staff = append(slices.Clone(hr), slices.DeleteFunc(directors, func(d *accounts.Person) bool { return d.Has(accounts.RoleHR) })...)
	}
	created := 0
	for off := 0; ; off += pageSize {
		apprentices, _, err := s.Accounts.List(ctx, accounts.ListFilter{Role: accounts.RoleApprentice, Limit: pageSize, Offset: off})
		if err != nil {
			return created, err
		}
		n, err := s.remind(ctx, today, apprentices, hr, staff)
		created += n
		if err != nil {
			return created, err
		}
		if len(apprentices) < pageSize {
			return created, nil
		}
	}
}

// everyone lists the people holding role, pageSize at a time.
func (s *Service) everyone(ctx context.Context, role accounts.Role, pageSize int) ([]*accounts.Person, error) {
	var out []*accounts.Person
	for off := 0; ; off += pageSize {
		page, _, err := s.Accounts.List(ctx, accounts.ListFilter{Role: role, Limit: pageSize, Offset: off})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < pageSize {
			return out, nil
		}
	}
}

// remind notifies about what is due for some apprentices.
func (s *Service) remind(ctx context.Context, today curriculum.Date, apprentices, hr, staff []*accounts.Person) (int, error) {
	byID := map[string]*accounts.Person{}
	ids := make([]string, len(apprentices))
	for i, p := range apprentices {
		ids[i], byID[p.ID] = p.ID, p
	}
	// Everyone is decided here anyway: filing the decisions in the cache
	// leaves them ready for the API and the site matrices.
	res, err := s.Clearance.ForPeopleCaching(ctx, ids, today)
	if err != nil {
		return 0, err
	}
	// What these people already have, in one query, so that a run that
	// finds nothing new (most of them) writes nothing. The unique index
	// still decides when two instances race.
	var sent []notificationRow
	if err := s.DB.NewSelect().Model(&sent).Column("person_id", "recipient_id", "subject", "threshold", "due_on").
		Where("person_id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return 0, db.Translate(err)
	}
	type key struct {
		person, recipient, subject string
		threshold                  int
		due                        curriculum.Date
	}
	have := make(map[key]bool, len(sent))
	for _, n := range sent {
		have[key{n.PersonID, n.RecipientID, n.Subject, n.Threshold, n.DueOn}] = true
	}
	created := 0
	due, err := s.due(ctx, res, today)
	if err != nil {
		return 0, err
	}
	also, err := s.alsoTold(ctx, due)
	if err != nil {
		return 0, err
	}
	for _, d := range due {
		t, ok := threshold(today, d.On)
		if !ok {
			continue
		}
		p := byID[d.PersonID]
		msg := fmt.Sprintf("%s: %s is due %s (%s).", p.Name, d.What, d.On, inDays(today.DaysUntil(d.On)))
		recipients := []*accounts.Person{p}
		for _, h := range hr {
			if sharesAny(h.SiteIDs, p.SiteIDs) {
				recipients = append(recipients, h)
			}
		}
		for _, id := range d.Also {
			if a := also[id]; a != nil && !slices.Contains(recipients, a) {
				recipients = append(recipients, a)
			}
		}
		for _, r := range recipients {
			if have[key{p.ID, r.ID, d.Subject, t, d.On}] {
				continue
			}
			ok, err := s.notify(ctx, r, p, d, t, msg)
			if err != nil {
				return created, err
			}
			if ok {
				created++
			}
		}
	}
	n, err := s.wageNotices(ctx, res, byID, staff)
	return created + n, err
}

// alsoTold loads the people the due items also name (one query).
func (s *Service) alsoTold(ctx context.Context, due []Due) (map[string]*accounts.Person, error) {
	var ids []string
	for _, d := range due {
		ids = append(ids, d.Also...)
	}
	out := map[string]*accounts.Person{}
	if len(ids) == 0 {
		return out, nil
	}
	people, err := s.Accounts.ByIDs(ctx, ids)
	for _, p := range people {
		out[p.ID] = p
	}
	return out, err
}

func inDays(n int) string {
	switch n {
	case 0:
		return "today"
	case 1:
		return "tomorrow"
	}
	return fmt.Sprintf("in %d days", n)
}

func sharesAny(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// notify inserts the notification unless this recipient already has it
// about this person, subject, threshold and date; only a new one is
// emailed.
func (s *Service) notify(ctx context.Context, to, about *accounts.Person, d Due, threshold int, msg string) (bool, error) {
	row := &notificationRow{ID: uuid.Must(uuid.NewV7()).String(), RecipientID: to.ID, PersonID: about.ID, Subject: d.Subject,
		Threshold: threshold, DueOn: d.On, Message: msg, CreatedAt: s.Now().UTC()}
	res, err := s.DB.NewInsert().Model(row).On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return false, db.Translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if s.Mail != nil {
		subject := "Skillgate reminder: " + d.What + " due " + d.On.String()
		if strings.HasPrefix(d.Subject, wageSubject) {
			subject = "Skillgate: eligible for " + d.What
		}
		if err := s.Mail.Send(ctx, to.Email, subject, msg); err != nil {
			// The in-app notification stands; the email is not retried, so
			// nobody gets it twice.
			log := s.Log
			if log == nil {
				log = slog.Default()
			}
			log.Warn("reminder email not sent", "recipient", to.ID, "error", err)
			return true, nil
		}
		now := s.Now().UTC()
		if _, err := s.DB.NewUpdate().Model(row).Set("emailed_at = ?", now).WherePK().Exec(ctx); err != nil {
			return true, db.Translate(err)
		}
	}
	return true, nil
}

// For lists a recipient's notifications, newest first.
func (s *Service) For(ctx context.Context, recipientID string, limit int) ([]Notification, int, error) {
	var rows []notificationRow
	if err := s.DB.NewSelect().Model(&rows).Where("recipient_id = ?", recipientID).Order("created_at DESC", "id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, 0, db.Translate(err)
	}
	unread, err := s.Unread(ctx, recipientID)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Notification, len(rows))
	for i, r := range rows {
		out[i] = Notification{ID: r.ID, PersonID: r.PersonID, Message: r.Message, DueOn: r.DueOn, CreatedAt: r.CreatedAt, Read: r.ReadAt != nil}
	}
	return out, unread, nil
}

// Unread counts a recipient's unread notifications (the navigation shows
// the count).
func (s *Service) Unread(ctx context.Context, recipientID string) (int, error) {
	n, err := s.DB.NewSelect().Model((*notificationRow)(nil)).Where("recipient_id = ? AND read_at IS NULL", recipientID).Count(ctx)
	return int(n), db.Translate(err)
}

// MarkRead marks all of a recipient's notifications read.
func (s *Service) MarkRead(ctx context.Context, recipientID string) error {
	_, err := s.DB.NewUpdate().Model((*notificationRow)(nil)).Set("read_at = ?", s.Now().UTC()).
		Where("recipient_id = ? AND read_at IS NULL", recipientID).Exec(ctx)
	return db.Translate(err)
}
