package credentials

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/curriculum"

	"github.com/skillgate/skillgate/errkind"
)

// Format is an import file format.
type Format string

// The formats Parse reads and Template writes.
const (
	FormatCSV  Format = "csv"
	FormatXLSX Format = "xlsx"
)

// Limits against hostile or mistaken uploads.
const (
	// MaxUploadSize is the largest import file read. The server's request
	// limit follows it (every other route has a tighter one of its own).
	MaxUploadSize = 20 << 20
	// MaxRows is the most data rows (not counting the header and blank
	// rows) one import may hold.
	MaxRows = 50000
)

// Errors Parse and Apply return. Each reads well on its own for HR users.
var (
	ErrUploadTooLarge = errkind.New(errkind.TooLarge, fmt.Sprintf("The file is larger than %d MB; split it into several files.", MaxUploadSize>>20))
	ErrTooManyRows    = errkind.New(errkind.TooLarge, fmt.Sprintf("The file has more than %d rows; split it into several files.", MaxRows))
	// ErrUnreadable: the file is not a spreadsheet Skillgate can read.
	ErrUnreadable = errkind.New(errkind.Malformed, "The file could not be read as a spreadsheet")
	// ErrProblems: Apply refuses a preview that lists problems.
	ErrProblems = errkind.New(errkind.Conflict, "The import has problems, so nothing was written; correct the rows listed and upload the file again.")
)

// Action says what Apply will do with a row.
type Action string

// Actions, set by Check.
const (
	ActionCreate    Action = "create"
	ActionUnchanged Action = "unchanged" // already in Skillgate, identical
)

// Problem is something wrong in the file, placed where the person will see
// it in their spreadsheet.
type Problem struct {
	// Row is the row number as the spreadsheet shows it (the header is
	// usually row 1); 0 for the file as a whole.
	Row int
	// Column is the column name from the layout, or "" for the row.
	Column  string
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Row > 0 {
		fmt.Fprintf(&b, "row %d", p.Row)
	}
	if p.Column != "" {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.Column)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// PersonRow is a person the import names, merged from every row with
// their employee id.
type PersonRow struct {
	Row        int // first row naming the person
	EmployeeID string
	Name       string // empty when the file leaves it blank
	Email      string // normalised
	Roles      []accounts.Role
	Sites      []string // clinic names as written
	// Credential is the professional credential ("" if the file leaves it
	// blank, "none" if it says none).
	Credential string
	// Action and ID are set by Check: ID is the existing person's id.
	Action Action
	ID     string
	// MatchedBy says how Check found the existing person: MatchedByEmployeeID
	// or MatchedByEmail ("" for a new person).
	MatchedBy string
	// RecordsEmployeeID: matched by email, the person had no employee id,
	// and Apply records the file's.
	RecordsEmployeeID bool
	// HireDate is the file's hire date (YYYY-MM-DD, "" when blank);
	// ChangesHireDate: the person exists with another (or none), and Apply
	// records the file's, with the reason "import".
	HireDate        string
	ChangesHireDate bool

	siteIDs []string
}

// How an existing person was found (PersonRow.MatchedBy).
const (
	MatchedByEmployeeID = "employee id"
	MatchedByEmail      = "email"
)

// CredentialRow is a credential record the import would add.
type CredentialRow struct {
	Row        int
	EmployeeID string
	// Record holds the record's fields; PersonID is set by Check.
	Record NewRecord
	// Verified: the file says HR verified the credential.
	Verified bool
	Action   Action
}

// Preview is what an import file would do. Parse fills it from the file
// alone; Check adds what needs the database (unknown sites, people already
// on file, records already there). Nothing is written until Apply.
type Preview struct {
	Filename string
	Format   Format
	// DataRows counts the non-blank rows after the header.
	DataRows    int
	People      []PersonRow
	Credentials []CredentialRow
	// Problems must be fixed before Apply writes anything.
	Problems []Problem
	// MoreProblems counts problems beyond the first 1,000, not listed.
	MoreProblems int
	// Warnings are worth reading but do not stop the import.
	Warnings []Problem
	// Checked: Check has run, and the actions are set.
	Checked bool

	cols       map[string]int // column name → index in the row
	headerRow  int
	byEmployee map[string]int // employee id → index in People
	byEmail    map[string]int // email → index in People
	credKeys   map[string]int // identity of a credential → its row
	parsed     [3]int         // len(Problems), MoreProblems, len(Warnings) after Parse
	mode       serialMode     // how to read numbers in date cells
	colsNeeded []string       // required columns missing from the header
}

// OK reports whether Apply may write the preview (no problems listed).
func (p *Preview) OK() bool { return len(p.Problems) == 0 && p.MoreProblems == 0 }

// Counts returns how many people and credentials the preview would create
// and how many are already there (valid after Check).
func (p *Preview) Counts() Summary {
	var s Summary
	for _, pr := range p.People {
		if pr.Action == ActionCreate {
			s.PeopleCreated++
		} else if pr.Action == ActionUnchanged {
			s.PeopleUnchanged++
		}
	}
	for _, c := range p.Credentials {
		if c.Action == ActionCreate {
			s.CredentialsCreated++
		} else if c.Action == ActionUnchanged {
			s.CredentialsUnchanged++
		}
	}
	return s
}

func (p *Preview) problem(row int, col, format string, args ...any) {
	if len(p.Problems) >= maxProblemsKept {
		p.MoreProblems++
		return
	}
	p.Problems = append(p.Problems, Problem{Row: row, Column: col, Message: fmt.Sprintf(format, args...)})
}

func (p *Preview) warn(row int, col, format string, args ...any) {
	if len(p.Warnings) < maxProblemsKept {
		p.Warnings = append(p.Warnings, Problem{Row: row, Column: col, Message: fmt.Sprintf(format, args...)})
	}
}

// Parse reads an import file (.xlsx or .csv, told apart by content, not
// only by name) and returns the preview of what it holds: every problem a
// row has, by row number and column, and the people and credentials it
// would write. It needs no database and writes nothing; run Check (or use
// Importer.Preview) for the problems only the database can reveal.
//
// An error means the file as a whole could not be read: too large, too
// many rows, not a spreadsheet, a malformed or unsafe archive.
func Parse(filename string, r io.Reader) (*Preview, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxUploadSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", cleanName(filename), err)
	}
	if len(data) > MaxUploadSize {
		return nil, fmt.Errorf("import %s: %w", cleanName(filename), ErrUploadTooLarge)
	}
	format, err := detectFormat(filename, data)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", cleanName(filename), err)
	}
	p := &Preview{
		Filename: cleanName(filename), Format: format,
		byEmployee: map[string]int{}, byEmail: map[string]int{}, credKeys: map[string]int{},
	}
	switch format {
	case FormatXLSX:
		err = readXLSX(data, p)
	default:
		p.mode = noSerials
		err = readCSV(data, p.addRow)
	}
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", p.Filename, err)
	}
	if p.cols == nil {
		p.problem(0, "", "the file is empty: the first row must name the columns (download the template to see them)")
	} else if p.DataRows == 0 && len(p.colsNeeded) == 0 {
		p.problem(0, "", "the file has a header row but no people or credentials below it")
	}
	p.parsed = [3]int{len(p.Problems), p.MoreProblems, len(p.Warnings)}
	return p, nil
}

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// detectFormat decides from the bytes, using the name only to choose a
// clearer message.
func detectFormat(filename string, data []byte) (Format, error) {
	ext := strings.ToLower(path.Ext(strings.ReplaceAll(filename, `\`, "/")))
	switch {
	case bytes.HasPrefix(data, zipMagic):
		return FormatXLSX, nil
	case bytes.HasPrefix(data, oleMagic):
		return "", fmt.Errorf("%w: this is an old-style .xls workbook or a password-protected one; in Excel choose File > Save As > Excel Workbook (.xlsx) without a password", ErrUnreadable)
	case ext == ".xlsx" || ext == ".xlsm":
		return "", fmt.Errorf("%w: the file is named %s but is not an Excel workbook; save it again from Excel as .xlsx, or as CSV", ErrUnreadable, ext)
	case ext == ".xls" || ext == ".ods" || ext == ".numbers":
		return "", fmt.Errorf("%w: %s files are not supported; save the sheet as Excel Workbook (.xlsx) or CSV", ErrUnreadable, ext)
	case bytes.IndexByte(data, 0) >= 0:
		return "", fmt.Errorf("%w: this is not a CSV or Excel file", ErrUnreadable)
	}
	return FormatCSV, nil
}

// normalizeHeader makes "Employee ID", "employee-id" and "employee_id" the same.
func normalizeHeader(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer(" ", "_", "-", "_").Replace(s)
	return strings.TrimSuffix(s, "*")
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// readHeader maps the header row's columns.
func (p *Preview) readHeader(row int, cells []string) {
	p.cols, p.headerRow = map[string]int{}, row
	known := map[string]bool{}
	var names []string
	for _, c := range Columns {
		known[c.Name] = true
		names = append(names, c.Name)
	}
	for i, c := range cells {
		if strings.TrimSpace(c) == "" {
			continue
		}
		name := normalizeHeader(c)
		switch {
		case !known[name]:
			p.problem(row, clip(strings.TrimSpace(c)), "unknown column; the columns are %s", strings.Join(names, ", "))
		case p.cols[name] != 0:
			p.problem(row, name, "this column appears twice")
		default:
			p.cols[name] = i + 1 // 0 means absent
		}
	}
	for _, c := range Columns {
		if c.Required && p.cols[c.Name] == 0 {
			p.colsNeeded = append(p.colsNeeded, c.Name)
			p.problem(row, c.Name, "the column %s is missing from the header row", c.Name)
		}
	}
}

// addRow takes one spreadsheet row; it returns an error only to stop
// reading (too many rows).
func (p *Preview) addRow(row int, cells []string) error {
	if p.cols == nil {
		if !blank(cells) {
			p.readHeader(row, cells)
		}
		return nil
	}
	if blank(cells) {
		return nil
	}
	p.DataRows++
	if p.DataRows > MaxRows {
		return ErrTooManyRows
	}
	if len(p.colsNeeded) > 0 {
		return nil // every row would repeat the header's problem
	}
	get := func(col string) string {
		i := p.cols[col]
		if i == 0 || i > len(cells) {
			return ""
		}
		v := strings.TrimSpace(cells[i-1])
		if utf8.RuneCountInString(v) > maxCellChars {
			p.problem(row, col, "the cell holds more than %d characters", maxCellChars)
			return ""
		}
		return v
	}
	empID := get(colEmployeeID)
	switch {
	case empID == "":
		p.problem(row, colEmployeeID, "the employee id is missing; every row needs one")
		return nil
	case utf8.RuneCountInString(empID) > maxEmployeeID:
		p.problem(row, colEmployeeID, "the employee id is longer than %d characters", maxEmployeeID)
		return nil
	case badText(empID, false) != "":
		p.problem(row, colEmployeeID, "the employee id %s", badText(empID, false))
		return nil
	}
	p.addPerson(row, empID, get)
	p.addCredential(row, empID, get)
	return nil
}

// addPerson merges the row's person columns into the person with empID.
func (p *Preview) addPerson(row int, empID string, get func(string) string) {
	var in PersonRow
	in.EmployeeID = empID
	if v := get(colName); v != "" {
		if msg := badText(v, false); msg != "" {
			p.problem(row, colName, "the name %s", msg)
		} else if utf8.RuneCountInString(v) > maxName {
			p.problem(row, colName, "the name is longer than %d characters", maxName)
		} else {
			in.Name = strings.Join(strings.Fields(v), " ")
		}
	}
	if v := get(colEmail); v != "" {
		e := accounts.NormalizeEmail(v)
		if !plausibleEmail(e) {
			p.problem(row, colEmail, "%q is not an email address", clip(v))
		} else {
			in.Email = e
		}
	}
	if v := get(colRole); v != "" {
		for _, part := range splitList(v) {
			r, err := accounts.ParseRole(part)
			if err != nil {
				p.problem(row, colRole, "%s", err.Error())
				continue
			}
			if !slices.Contains(in.Roles, r) {
				in.Roles = append(in.Roles, r)
			}
		}
		if len(in.Roles) > maxListEntries {
			p.problem(row, colRole, "too many roles")
			in.Roles = nil
		}
		slices.Sort(in.Roles)
	}
	if v := get(colSite); v != "" {
		for _, part := range splitList(v) {
			if msg := badText(part, false); msg != "" {
				p.problem(row, colSite, "the site %s", msg)
				continue
			}
			if !slices.ContainsFunc(in.Sites, func(s string) bool { return strings.EqualFold(s, part) }) {
				in.Sites = append(in.Sites, part)
			}
		}
		if len(in.Sites) > maxListEntries {
			p.problem(row, colSite, "too many sites")
			in.Sites = nil
		}
	}
	if v := get(colHireDate); v != "" {
		d, monthOnly, err := parseDate(v, p.mode)
		switch {
		case err != nil:
			p.problem(row, colHireDate, "%s", err.Error())
		case monthOnly:
			p.problem(row, colHireDate, "the hire date needs a day, not only a month")
		default:
			in.HireDate = d.String()
		}
	}
	if v := get(colProfCred); v != "" {
		c, err := accounts.ParseCredential(v)
		if err != nil {
			p.problem(row, colProfCred, "%s", err.Error())
		} else {
			in.Credential = c
		}
	}

	i, seen := p.byEmployee[empID]
	if !seen {
		in.Row = row
		p.People = append(p.People, in)
		i = len(p.People) - 1
		p.byEmployee[empID] = i
	} else {
		// Later rows may leave person columns blank, but must not disagree.
		have := &p.People[i]
		merge := func(col string, dst *string, v string) {
			switch {
			case v == "":
			case *dst == "":
				*dst = v
			case !strings.EqualFold(*dst, v):
				p.problem(row, col, "employee %s is %q here but %q in row %d", empID, clip(v), clip(*dst), have.Row)
			}
		}
		merge(colName, &have.Name, in.Name)
		merge(colEmail, &have.Email, in.Email)
		merge(colProfCred, &have.Credential, in.Credential)
		merge(colHireDate, &have.HireDate, in.HireDate)
		mergeList := func(col string, old, now []string, set func()) {
			switch {
			case len(now) == 0:
			case len(old) == 0:
				set()
			case !strings.EqualFold(strings.Join(old, "; "), strings.Join(now, "; ")):
				p.problem(row, col, "employee %s has %q here but %q in row %d", empID, clip(strings.Join(now, "; ")), clip(strings.Join(old, "; ")), have.Row)
			}
		}
		mergeList(colRole, roleNames(have.Roles), roleNames(in.Roles), func() { have.Roles = in.Roles })
		mergeList(colSite, have.Sites, in.Sites, func() { have.Sites = in.Sites })
	}
	if e := p.People[i].Email; e != "" {
		if j, dup := p.byEmail[e]; dup && j != i {
			p.problem(row, colEmail, "%s is also the email of employee %s (row %d); each person needs their own", e, p.People[j].EmployeeID, p.People[j].Row)
		} else {
			p.byEmail[e] = i
		}
	}
}

func roleNames(rs []accounts.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == '\n' }) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func plausibleEmail(e string) bool {
	local, domain, ok := strings.Cut(e, "@")
	return ok && local != "" && domain != "" && !strings.Contains(domain, "@") &&
		strings.Contains(domain, ".") && !strings.ContainsAny(e, " \t\r\n<>,;\"") &&
		len(e) <= maxEmail && badText(e, false) == ""
}

// addCredential reads the row's credential columns, if any.
func (p *Preview) addCredential(row int, empID string, get func(string) string) {
	typ := get(colType)
	others := []string{colIssuingBody, colNumber, colIssuedOn, colExpiresOn, colVerified, colNotes}
	if typ == "" {
		for _, c := range others {
			if get(c) != "" {
				p.problem(row, colType, "the credential type is missing (for example BLS); leave all credential columns blank for a row that only adds a person")
				return
			}
		}
		return
	}
	n := NewRecord{TypeCode: typ, IssuingBody: get(colIssuingBody), Number: get(colNumber), Notes: get(colNotes)}
	ok := true
	issued, monthOnly, err := parseDate(get(colIssuedOn), p.mode)
	switch {
	case err != nil:
		p.problem(row, colIssuedOn, "%s", err.Error())
		ok = false
	case monthOnly:
		p.problem(row, colIssuedOn, "the issue date needs a day, for example 01/15/2026")
		ok = false
	}
	n.IssuedOn = issued
	n.ExpiresOn, n.ValidThroughMonth, err = parseDate(get(colExpiresOn), p.mode)
	if err != nil {
		p.problem(row, colExpiresOn, "%s", err.Error())
		ok = false
	}
	verified, vok := parseYesNo(get(colVerified))
	if !vok {
		p.problem(row, colVerified, "write yes or no (or leave it blank for no)")
		ok = false
	}
	if err := n.normalize(false); err != nil {
		var fe *FieldError
		switch {
		case !errors.As(err, &fe):
			p.problem(row, colType, "%s", err.Error())
		case !ok && (fe.Field == colIssuedOn || fe.Field == colExpiresOn):
			// Already reported: the date itself could not be read.
		default:
			p.problem(row, fe.Field, "%s", fe.Message)
		}
		ok = false
	}
	if !ok {
		return
	}
	key := credKey(empID, n.TypeCode, n.Number, n.IssuedOn, n.ExpiresOn)
	if first, dup := p.credKeys[key]; dup {
		p.warn(row, colType, "the same %s credential as row %d; it is imported once", n.TypeCode, first)
		return
	}
	p.credKeys[key] = row
	p.Credentials = append(p.Credentials, CredentialRow{Row: row, EmployeeID: empID, Record: n, Verified: verified})
}

// credKey identifies a credential record for "is it already there": same
// person, type, number, issue and expiry dates.
func credKey(person, typ, number string, issued, expires curriculum.Date) string {
	return strings.Join([]string{person, typ, number, issued.String(), expires.String()}, "\x00")
}

func parseYesNo(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "no", "n", "false", "0":
		return false, true
	case "yes", "y", "true", "1", "x", "✓":
		return true, true
	}
	return false, false
}
