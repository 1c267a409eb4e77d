package reports

import (
	"fmt"

	"github.com/skillgate/skillgate/curriculum"
)

// CredentialLabel is a credential state in words, with its status class
// (the words carry the meaning; the colour only repeats it).
func CredentialLabel(st curriculum.CredentialState) (string, string) {
	switch st.Status {
	case curriculum.CredentialValid:
		if st.Expires.IsZero() {
			return "Valid (does not expire)", "status-ok"
		}
		return "Valid until " + st.Expires.String(), "status-ok"
	case curriculum.CredentialExpiring:
		class := "status-warn"
		return fmt.Sprintf("Expiring in %d days (%s)", st.DaysLeft, st.Expires), class
	case curriculum.CredentialExpired:
		return "Expired " + st.Expires.String(), "status-bad"
	case curriculum.CredentialMissingInGrace:
		return "Missing, within grace until " + st.GraceUntil.String(), "status-warn"
	case curriculum.CredentialUnverified:
		return "On file, not verified yet", "status-warn"
	}
	return "Missing", "status-bad"
}
