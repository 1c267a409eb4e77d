package credentials

// Column is one column of the import layout.
type Column struct {
	Name     string
	Required bool
	// Help explains the column to the person filling in the sheet.
	Help    string
	Example string
}

// Columns is the import layout, in template order. The header row names the
// columns (any order, any case; spaces count as underscores); a row is one
// person, optionally with one credential. A person with several
// credentials takes several rows with the same employee_id.
var Columns = []Column{
	{"employee_id", true, "The person's employee id; people are matched on it.", "E10442"},
	{"name", false, "Full name. Required for people not yet in Skillgate.", "Maria Lopez"},
	{"email", false, "Work email. Required for people not yet in Skillgate.", "maria.lopez@clinic.example"},
	{"role", false, "apprentice, preceptor, director, hr or admin; several separated by ';'. Required for new people.", "apprentice"},
	{"site", false, "Clinic name exactly as in Skillgate; several separated by ';'.", "Main Street"},
	{"professional_credential", false, "Professional credential for preceptors (RN, LPN, MD, DO, NP, PA, CMA, RMA, CCMA); blank for none.", ""},
	{"hire_date", false, "Hire date: YYYY-MM-DD, MM/DD/YYYY or an Excel date. Sets or corrects the person's hire date (recorded with the reason \"import\"); blank leaves it.", "2026-01-05"},
	{"credential_type", false, "Credential type code, e.g. BLS, CMA, CCMA. Leave the credential columns blank for a row that only adds a person.", "BLS"},
	{"issuing_body", false, "Who issued it.", "American Heart Association"},
	{"number", false, "Card or certificate number.", "AHA-2026-118822"},
	{"issued_on", false, "Issue date: YYYY-MM-DD, MM/DD/YYYY or an Excel date. Required with a credential.", "2026-01-15"},
	{"expires_on", false, "Last valid day, or MM/YYYY for cards valid through a month (stored as that month's last day).", "01/2028"},
	{"verified", false, "yes if HR has checked the credential at its source; blank or no otherwise.", "no"},
	{"notes", false, "Anything worth keeping with the record.", ""},
}

// Column names, for Problem.Column.
const (
	colEmployeeID   = "employee_id"
	colName         = "name"
	colEmail        = "email"
	colRole         = "role"
	colSite         = "site"
	colProfCred     = "professional_credential"
	colHireDate     = "hire_date"
	colType         = "credential_type"
	colIssuingBody  = "issuing_body"
	colNumber       = "number"
	colIssuedOn     = "issued_on"
	colExpiresOn    = "expires_on"
	colVerified     = "verified"
	colNotes        = "notes"
	maxEmployeeID   = 64
	maxName         = 200
	maxEmail        = 254
	maxCellChars    = 4000 // any cell; notes have their own, lower limit
	maxListEntries  = 10   // roles or sites in one cell
	maxProblemsKept = 1000
)
