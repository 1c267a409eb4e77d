package server

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/curriculum"
)

// Request body limits. Fiber refuses a body over maxRequestBody (the
// largest upload, HR's import file) before routing; then every route
// allows only what it needs: forms and JSON maxFormBody, each upload its
// file's limit plus room for the rest of the form. Over its limit a
// request gets 413 and a message naming the limit; nothing is read or
// stored.
const (
	maxFormBody    = 1 << 20
	uploadSlack    = 64 << 10
	maxRequestBody = credentials.MaxUploadSize + uploadSlack
)

// bodyLimit is a route's limit and what to say when it is exceeded.
type bodyLimit struct {
	max     int
	tooMuch string
}

var (
	formBody       = bodyLimit{maxFormBody, fmt.Sprintf("What you sent is larger than this page accepts (%d MB at most).", maxFormBody>>20)}
	credentialFile = bodyLimit{credentials.MaxFileSize + uploadSlack, fmt.Sprintf(
		"The file is larger than %d MB. Scan or photograph the card at a lower resolution, or save it as a smaller PDF.", credentials.MaxFileSize>>20)}
	importFile = bodyLimit{credentials.MaxUploadSize + uploadSlack, fmt.Sprintf(
		"The import file is larger than %d MB. Split it into several files and import them one after another.", credentials.MaxUploadSize>>20)}
	programFile = bodyLimit{curriculum.MaxFileSize + uploadSlack, fmt.Sprintf(
		"The program file is larger than %d MB; program files are YAML text and are much smaller.", curriculum.MaxFileSize>>20)}
)

func (b bodyLimit) handler(c *fiber.Ctx) error {
	if len(c.Request().Body()) > b.max {
		return apiError(fiber.StatusRequestEntityTooLarge, b.tooMuch)
	}
	return c.Next()
}
