package server

import (
	"errors"
	"reflect"
	"strings"
	"sync"

	"github.com/go-playground/locales/en"
	ut "github.com/go-playground/universal-translator"
	"github.com/go-playground/validator/v10"
	"github.com/go-playground/validator/v10/non-standard/validators"
	entrans "github.com/go-playground/validator/v10/translations/en"
	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/errkind"
)

// One validator for the process: it caches struct metadata.
var (
	validate   *validator.Validate
	translator ut.Translator
	initForms  sync.Once
)

func formsValidator() (*validator.Validate, ut.Translator) {
	initForms.Do(func() {
		validate = validator.New(validator.WithRequiredStructEnabled())
		// Messages name the field by its label tag ("Email"), falling back to
		// the form name.
		validate.RegisterTagNameFunc(func(f reflect.StructField) string {
			if l := f.Tag.Get("label"); l != "" {
				return l
			}
			return formName(f)
		})
		// notblank: "required" lets a name of spaces through, which the
		// stores then refuse.
		if err := validate.RegisterValidation("notblank", validators.NotBlank); err != nil {
			panic(err)
		}
		english := en.New()
		translator, _ = ut.New(english, english).GetTranslator("en")
		if err := entrans.RegisterDefaultTranslations(validate, translator); err != nil {
			panic(err)
		}
		if err := validate.RegisterTranslation("notblank", translator, func(ut ut.Translator) error {
			return ut.Add("notblank", "{0} cannot be blank", true)
		}, func(ut ut.Translator, fe validator.FieldError) string {
			t, _ := ut.T("notblank", fe.Field())
			return t
		}); err != nil {
			panic(err)
		}
	})
	return validate, translator
}

func formName(f reflect.StructField) string {
	for _, tag := range []string{"form", "json"} {
		if n, _, _ := strings.Cut(f.Tag.Get(tag), ","); n != "" && n != "-" {
			return n
		}
	}
	return strings.ToLower(f.Name)
}

// check validates dst and returns messages keyed by form field name, or
// nil when everything is valid.
func check(dst any) map[string]string {
	v, tr := formsValidator()
	err := v.Struct(dst)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return map[string]string{"": err.Error()}
	}
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	out := make(map[string]string, len(ves))
	for _, fe := range ves {
		key := fe.Field()
		if sf, ok := t.FieldByName(fe.StructField()); ok {
			key = formName(sf)
		}
		if _, seen := out[key]; !seen {
			out[key] = fe.Translate(tr) + "."
		}
	}
	return out
}

// bind parses the request body (form or JSON) into dst and validates it.
// A body that cannot be parsed at all is Malformed with a clear message.
func bind(c *fiber.Ctx, dst any) (map[string]string, error) {
	if err := c.BodyParser(dst); err != nil {
		if errors.Is(err, fiber.ErrUnprocessableEntity) {
			return nil, errkind.New(errkind.Unsupported, "Send the data as JSON (Content-Type: application/json) or as a form.")
		}
		return nil, errkind.New(errkind.Malformed, "The data sent could not be read: check that it is well-formed JSON or form data with the right types.")
	}
	return check(dst), nil
}

// badInput is a Malformed request with per-field messages: a field is
// missing or not in the form it must have (a date as YYYY-MM-DD).
func badInput(fields map[string]string) *errkind.Error { return errkind.BadFields(fields) }

// breaksRule is an Invalid request with per-field messages: every field
// reads, but a value breaks a rule (a site the caller does not manage).
func breaksRule(fields map[string]string) *errkind.Error {
	return errkind.WithFields(errkind.Invalid, "Some fields need attention.", fields)
}
