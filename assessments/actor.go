package assessments

import "github.com/skillgate/skillgate/curriculum"

// Actor is the person making a request, as the HTTP layer knows them from
// their session: account id, printed name, professional credential and the
// roles that matter here. This package never looks people up itself.
type Actor struct {
	ID string
	// Name is the printed name shown on records and signatures.
	Name string
	// Credential is the person's professional credential (MD, RN, CMA...),
	// empty when they hold none.
	Credential curriculum.ProfessionalCredential
	// Preceptor and Director mirror the account roles of the same names.
	Preceptor bool
	Director  bool
}

func (a Actor) creds() []curriculum.ProfessionalCredential {
	if a.Credential == "" {
		return nil
	}
	return []curriculum.ProfessionalCredential{a.Credential}
}
