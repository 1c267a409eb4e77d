package server

import (
	"html/template"
	"slices"
	"sort"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/errkind"
)

// The forms rule: a form sent with a mistake comes back as the same page,
// with what was typed, each message next to its field and a summary at the
// top linking to the fields (the GOV.UK error-summary pattern). One
// mechanism serves every form:
//
//   - A route registered with s.form names the page its form lives on. When
//     the handler returns an error the user can fix (formError: malformed,
//     invalid, conflict and the like), that page's handler runs again with
//     the form's state, and render answers with the error's status.
//   - A handler that renders its own form with Page.Errors gets the same
//     state from render.
//   - Templates read the state through Page's methods (Val, Err, Chosen, FID,
//     Invalid) and the "field-error" partial; the layout shows the summary.
//
// Errors that are not the user's (internal, forbidden, not found) keep the
// error page.

// FormState is a form that came back: where it was sent, what was typed,
// and what is wrong with it.
type FormState struct {
	// Action is the path the form was posted to: it tells which of a page's
	// forms the state belongs to.
	Action string
	Values map[string][]string
	// Errors are messages by field name; Order is the fields in the order
	// the form sent them (the summary's order).
	Errors  map[string]string
	Order   []string
	Message string // the error's own message, when no field carries it
	Status  int
}

// SummaryItem is one line of the error summary.
type SummaryItem struct{ Field, Message string }

// Summary is the error summary's lines: one per field in form order, or the
// error's message alone when no field is named.
func (f *FormState) Summary() []SummaryItem {
	if f == nil {
		return nil
	}
	var out []SummaryItem
	for _, k := range f.Order {
		out = append(out, SummaryItem{Field: k, Message: f.Errors[k]})
	}
	if len(out) == 0 && f.Message != "" {
		out = append(out, SummaryItem{Message: f.Message})
	}
	return out
}

const formStateKey = "skillgate.formstate"

// fieldAliases are the names the domain and the API give fields that the
// page forms call otherwise; a message goes to the form's name when the
// form sent that one and not the domain's.
var fieldAliases = map[string]string{
	"supervisor_id":   "supervisor",
	"kind":            "code", // the hours form's "ojl:CODE"
	"idempotency_key": "key",
}

// newFormState collects the posted values of c with the error's fields.
func newFormState(c *fiber.Ctx, status int, msg string, fields map[string]string) *FormState {
	f := &FormState{Action: c.Path(), Values: map[string][]string{}, Errors: map[string]string{}, Message: msg, Status: status}
	var names []string
	add := func(k, v string) {
		if _, seen := f.Values[k]; !seen {
			names = append(names, k)
		}
		f.Values[k] = append(f.Values[k], v)
	}
	if mf, err := c.MultipartForm(); err == nil && mf != nil {
		for k, vs := range mf.Value {
			for _, v := range vs {
				add(k, v)
			}
		}
		sort.Strings(names) // a multipart form's map has no order
	} else {
		for k, v := range c.Request().PostArgs().All() {
			add(string(k), string(v))
		}
	}
	delete(f.Values, "_csrf")
	for _, secret := range []string{"password", "current", "new", "confirm", "new_password", "password_confirm"} {
		delete(f.Values, secret) // a password is never sent back
	}
	for k, m := range fields {
		if _, posted := f.Values[k]; !posted {
			if a, ok := fieldAliases[k]; ok {
				if _, posted := f.Values[a]; posted {
					k = a
				}
			}
		}
		if k == "" {
			f.Message = m // about the whole form
		} else {
			f.Errors[k] = m
		}
	}
	for _, k := range names {
		if _, bad := f.Errors[k]; bad && !slices.Contains(f.Order, k) {
			f.Order = append(f.Order, k)
		}
	}
	var rest []string
	for k := range f.Errors {
		if !slices.Contains(f.Order, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	f.Order = append(f.Order, rest...)
	if len(f.Order) == 1 && f.Message == f.Errors[f.Order[0]] {
		f.Message = ""
	}
	return f
}

func formStateOf(c *fiber.Ctx) *FormState {
	f, _ := c.Locals(formStateKey).(*FormState)
	return f
}

// form registers a POST route whose form lives on the page page renders
// (called with the same route parameters): a mistake re-renders that page
// with the form's state instead of the error page.
func (s *Server) form(path string, p policy, page fiber.Handler, h fiber.Handler) {
	s.post(path, p, s.formOf(page, h))
}

// formOf is h, answering a mistake with page (see form); for upload routes.
func (s *Server) formOf(page fiber.Handler, h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := h(c)
		if err == nil || isAPI(c) {
			return err
		}
		ke := formError(err)
		if ke == nil || !rerenders(ke.Kind) {
			return err
		}
		c.Locals(formStateKey, newFormState(c, statusFor(ke.Kind), ke.Message, ke.Fields))
		if perr := page(c); perr != nil {
			// The page itself failed: show the original error rather
			// than that failure's.
			s.logWith(c).Warn("re-render form page", "error", perr)
			return err
		}
		return nil
	}
}

// rerenders reports whether a mistake of kind k is answered by the form
// again: mistakes in what was typed, and rules the values break.
func rerenders(k errkind.Kind) bool {
	switch k {
	case errkind.Malformed, errkind.Invalid, errkind.Conflict, errkind.Gone, errkind.Unauthenticated, errkind.TooLarge:
		return true
	}
	return false
}

// The template side. Each takes the form's action so that, on a page with
// several forms, only the one sent gets its values and messages back.

// Sent reports whether the form posted to action came back.
func (p Page) Sent(action string) bool { return p.Form != nil && p.Form.Action == action }

// Val is what was typed in field name of the form posted to action, or def
// when that form did not come back.
func (p Page) Val(action, name, def string) string {
	if !p.Sent(action) {
		return def
	}
	if vs := p.Form.Values[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// Chosen reports whether value was chosen in select (or radio, or
// checkbox) name of the form posted to action; def when it did not come
// back.
func (p Page) Chosen(action, name, value string, def bool) bool {
	if !p.Sent(action) {
		return def
	}
	return slices.Contains(p.Form.Values[name], value)
}

// Err is the message for field name of the form posted to action.
func (p Page) Err(action, name string) string {
	if !p.Sent(action) {
		return ""
	}
	return p.Form.Errors[name]
}

// FID is the id of field name: "f-<name>" in the form that came back (the
// summary links there), id otherwise.
func (p Page) FID(action, name, id string) string {
	if p.Sent(action) {
		return "f-" + name
	}
	return id
}

// Invalid is the attributes of a field with a message: aria-invalid and
// aria-describedby pointing at the message ("e-<name>", see "field-error").
func (p Page) Invalid(action, name string) template.HTMLAttr {
	if p.Err(action, name) == "" {
		return ""
	}
	return template.HTMLAttr(`aria-invalid="true" aria-describedby="e-` + template.HTMLEscapeString(name) + `"`)
}

// FieldError is what the "field-error" partial renders.
type FieldError struct{ Name, Message string }

// FE is the message of field name, for the "field-error" partial.
func (p Page) FE(action, name string) FieldError {
	return FieldError{Name: name, Message: p.Err(action, name)}
}

// fieldsOf is ke's messages by field, or its message for the whole form
// (key "") when it names no field: what a handler that renders its own
// form passes as Page.Errors.
func fieldsOf(ke *errkind.Error) map[string]string {
	if len(ke.Fields) > 0 {
		return ke.Fields
	}
	return map[string]string{"": ke.Message}
}
