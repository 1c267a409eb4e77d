package api

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/app/request"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

type credentialStateJSON struct {
	Credential string          `json:"credential"`
	Status     string          `json:"status"`
	Label      string          `json:"label"`
	Expires    curriculum.Date `json:"expires,omitzero"`
	DaysLeft   int             `json:"days_left"`
	GraceUntil curriculum.Date `json:"grace_until,omitzero"`
}

type credentialRecordJSON struct {
	ID                 string          `json:"id"`
	Type               string          `json:"type"`
	IssuingBody        string          `json:"issuing_body"`
	Number             string          `json:"number"`
	IssuedOn           curriculum.Date `json:"issued_on"`
	ExpiresOn          curriculum.Date `json:"expires_on,omitzero"`
	ValidThroughMonth  bool            `json:"valid_through_month"`
	Verified           bool            `json:"verified"`
	VerificationMethod string          `json:"verification_method,omitempty"`
	HasFile            bool            `json:"has_file"`
}

func toRecordJSON(r *credentials.Record) credentialRecordJSON {
	return credentialRecordJSON{ID: r.ID, Type: r.TypeCode, IssuingBody: r.IssuingBody, Number: r.Number, IssuedOn: r.IssuedOn,
		ExpiresOn: r.ExpiresOn, ValidThroughMonth: r.ValidThroughMonth, Verified: r.Verified(), VerificationMethod: r.VerificationMethod, HasFile: r.FileID != ""}
}

// personCredentials lists a person's credential records and the status of
// each credential their program requires, as of ?as_of (default today).
func (a *API) personCredentials(c *fiber.Ctx) error {
	p, err := a.scope.VisiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	asOf, err := a.scope.AsOf(c)
	if err != nil {
		return err
	}
	recs, err := a.evidence.Credentials.ForPerson(c.UserContext(), p.ID)
	if err != nil {
		return err
	}
	out := fiber.Map{"person_id": p.ID, "as_of": asOf, "records": []credentialRecordJSON{}, "required": []credentialStateJSON{}}
	rj := make([]credentialRecordJSON, len(recs))
	for i := range recs {
		rj[i] = toRecordJSON(&recs[i])
	}
	out["records"] = rj
	res, err := a.scope.VisibleResult(c, p.ID, asOf)
	if err != nil && !errors.Is(err, clearance.ErrNotEnrolled) {
		return err
	}
	if err == nil {
		var req []credentialStateJSON
		for _, st := range res.RequiredCredentials(asOf) {
			label, _ := reports.CredentialLabel(st)
			req = append(req, credentialStateJSON{Credential: st.Credential, Status: st.Status.String(), Label: label, Expires: st.Expires,
				DaysLeft: st.DaysLeft, GraceUntil: st.GraceUntil})
		}
		out["required"] = NonNil(req)
	}
	return c.JSON(out)
}

type newCredentialJSON struct {
	Type              string          `json:"type"`
	IssuingBody       string          `json:"issuing_body"`
	Number            string          `json:"number"`
	IssuedOn          curriculum.Date `json:"issued_on"`
	ExpiresOn         curriculum.Date `json:"expires_on"`
	ValidThroughMonth bool            `json:"valid_through_month"`
	Notes             string          `json:"notes"`
}

// addCredential adds a record (HR and admins); evidence files are
// uploaded on the page.
func (a *API) addCredential(c *fiber.Ctx) error {
	p, err := a.scope.VisiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	var b newCredentialJSON
	if err := c.BodyParser(&b); err != nil {
		return errkind.BadFields(map[string]string{"": "The body must be JSON with type, issued_on (YYYY-MM-DD) and optionally expires_on, number, issuing_body."})
	}
	rec, err := a.evidence.Credentials.Add(c.UserContext(), credentials.NewRecord{PersonID: p.ID, TypeCode: b.Type, IssuingBody: b.IssuingBody,
		Number: b.Number, IssuedOn: b.IssuedOn, ExpiresOn: b.ExpiresOn, ValidThroughMonth: b.ValidThroughMonth, Notes: b.Notes, RecordedBy: request.User(c).ID})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toRecordJSON(rec))
}

// verifyCredential records that HR checked a record at its source (HR and
// admins), as the credentials page's Verify does; the store refuses an
// empty method and a second verification.
func (a *API) verifyCredential(c *fiber.Ctx) error {
	p, err := a.scope.VisiblePerson(c, c.Params("id"))
	if err != nil {
		return err
	}
	rec, err := a.evidence.Credentials.ByID(c.UserContext(), c.Params("rid"))
	if err != nil || rec.PersonID != p.ID {
		return errkind.New(errkind.NotFound, "This person has no credential record with this id.")
	}
	var b struct {
		Method string `json:"method"`
	}
	if err := c.BodyParser(&b); err != nil {
		return errkind.BadFields(map[string]string{"": "The body must be JSON with method (how it was verified)."})
	}
	if rec, err = a.evidence.Credentials.Verify(c.UserContext(), rec.ID, request.User(c).ID, b.Method); err != nil {
		return err
	}
	return c.JSON(toRecordJSON(rec))
}
