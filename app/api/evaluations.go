package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/access"
	"github.com/skillgate/skillgate/app/evaluations"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// evaluationJSON is one of an enrollment's periodic evaluations: done
// (signature set, acknowledgement once the apprentice has signed) or the
// next one scheduled.
type evaluationJSON struct {
	Number          int                    `json:"number"`
	DueOn           curriculum.Date        `json:"due_on"`
	Status          string                 `json:"status"`
	Ratings         []evaluationRatingJSON `json:"ratings"`
	Comments        string                 `json:"comments,omitempty"`
	Signature       *evaluationSigJSON     `json:"signature,omitempty"`
	Acknowledgement *evaluationSigJSON     `json:"acknowledgement,omitempty"`
}

type evaluationRatingJSON struct {
	Item  string `json:"item"`
	Text  string `json:"text"`
	Value int    `json:"value"`
	Label string `json:"label"`
}

type evaluationSigJSON struct {
	SignerID    string    `json:"signer_id"`
	PrintedName string    `json:"printed_name"`
	Credential  string    `json:"credential,omitempty"`
	SignedAt    time.Time `json:"signed_at"`
	Meaning     string    `json:"meaning"`
	Hash        string    `json:"hash"`
}

func toEvaluationSigJSON(g *assessments.EvaluationSig) *evaluationSigJSON {
	return &evaluationSigJSON{SignerID: g.SignerID, PrintedName: g.PrintedName, Credential: string(g.Credential), SignedAt: g.SignedAt,
		Meaning: g.Meaning, Hash: g.Hash}
}

func toEvaluationJSON(sched *curriculum.EvaluationSchedule, st assessments.EvaluationState) evaluationJSON {
	out := evaluationJSON{Number: st.Seq, DueOn: st.DueOn, Status: string(st.Status), Ratings: []evaluationRatingJSON{}}
	ev := st.Evaluation
	if ev == nil {
		return out
	}
	text := map[string]string{}
	for _, it := range sched.Items {
		text[it.Code] = it.Text
	}
	for _, r := range ev.Ratings {
		j := evaluationRatingJSON{Item: r.Item, Text: text[r.Item], Value: r.Value}
		if l := sched.Level(r.Value); l != nil {
			j.Label = l.Label
		}
		out.Ratings = append(out.Ratings, j)
	}
	out.Comments, out.Signature = ev.Comments, toEvaluationSigJSON(&ev.Signature)
	if ev.Ack != nil {
		out.Acknowledgement = toEvaluationSigJSON(&ev.Ack.Signature)
	}
	return out
}

// MountEvaluations serves an enrollment's periodic evaluations:
// GET /enrollments/{id}/evaluations, to whoever may see the enrollment's
// evaluation pages (the apprentice, staff of the site).
func MountEvaluations(r Router, scope Scope, st *evaluations.Store, now func() time.Time) {
	r.Get(Prefix+"/enrollments/:id/evaluations", access.LoggedIn, func(c *fiber.Ctx) error {
		rec, _, err := scope.VisibleEnrollment(c)
		if err != nil {
			return err
		}
		e := rec.Enrollment
		sched := e.Version.Program().Evaluations
		list := []evaluationJSON{}
		if sched != nil {
			done, err := st.ForEnrollment(c.UserContext(), e)
			if err != nil {
				return err
			}
			for _, x := range assessments.EvaluationsOf(e, done, e.Version.Day(now())) {
				list = append(list, toEvaluationJSON(sched, x))
			}
		}
		out := fiber.Map{"enrollment_id": e.ID, "evaluations": list}
		if sched != nil {
			out["schedule"] = sched.Describe()
		}
		return c.JSON(out)
	})
}
