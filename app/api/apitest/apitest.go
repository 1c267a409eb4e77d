// Package apitest checks requests and answers of the JSON API against its
// OpenAPI document (app/api/openapi.json) with kin-openapi, so that every
// API test also tests the document: the server must refuse (4xx) what the
// document says is not a valid request, and every answer must be one the
// document describes, body included.
//
// It is for tests and the measurement tools only (cmd/skillgate-bench
// checks its load targets' answers with it before a run).
package apitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/skillgate/skillgate/app/api"
)

// Validator holds the parsed document.
type Validator struct {
	doc    *openapi3.T
	router routers.Router
}

// New parses and validates the API's document.
func New() (*Validator, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.Document())
	if err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	// Paths are matched below the prefix: the document's one server is
	// the relative URL /api/v1.
	routed := *doc
	routed.Servers = nil
	r, err := legacy.NewRouter(&routed)
	if err != nil {
		return nil, err
	}
	return &Validator{doc: doc, router: r}, nil
}

// Doc is the parsed document.
func (v *Validator) Doc() *openapi3.T { return v.doc }

// Check validates one exchange: req (whose body was reqBody) and the
// answer's status, header and body. Requests outside the API pass.
func (v *Validator) Check(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	if !strings.HasPrefix(req.URL.Path, api.Prefix+"/") {
		return nil
	}
	r := req.Clone(context.Background())
	r.URL.Path = strings.TrimPrefix(req.URL.Path, api.Prefix)
	r.URL.RawPath = ""
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := v.router.FindRoute(r)
	if err != nil {
		// Only an answer refusing it may come from a route the document
		// does not have.
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
			return nil
		}
		return fmt.Errorf("%s %s answered %d but is not in the document: %v", req.Method, req.URL.Path, status, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: authenticated, SkipSettingDefaults: true}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && status < 400 {
		return fmt.Errorf("%s %s: the server answered %d to a request the document does not allow: %v", req.Method, req.URL.Path, status, err)
	}
	if err := described(route.Operation, status, header, body); err != nil {
		return fmt.Errorf("%s %s answered %d: %v", req.Method, req.URL.Path, status, err)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header,
		Body: io.NopCloser(bytes.NewReader(body)), Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("%s %s answered %d, not as documented: %v\nbody: %.2000s", req.Method, req.URL.Path, status, err, body)
	}
	return nil
}

// described checks what kin-openapi lets pass: an answer with a body must
// be documented with a schema for its media type.
func described(op *openapi3.Operation, status int, header http.Header, body []byte) error {
	if len(body) == 0 {
		return nil
	}
	ref := op.Responses.Status(status)
	if ref == nil {
		ref = op.Responses.Default()
	}
	if ref == nil || ref.Value == nil {
		return errors.New("status not documented")
	}
	mt, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	c := ref.Value.Content.Get(mt)
	if c == nil || c.Schema == nil {
		return fmt.Errorf("a %s body the document gives no schema for", mt)
	}
	return nil
}

// authenticated is the document's security check as a request validator
// sees it: a bearer token or the session cookie is present. Whether it is
// accepted is the server's business (401).
func authenticated(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	switch s := in.SecurityScheme; {
	case s.Type == "http" && s.Scheme == "bearer":
		if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			return nil
		}
	case s.Type == "apiKey" && s.In == "cookie":
		if _, err := r.Cookie(s.Name); err == nil {
			return nil
		}
	}
	return fmt.Errorf("no %s", in.SecuritySchemeName)
}

var (
	sharedOnce sync.Once
	shared     *Validator
	sharedErr  error
)

// Shared is one Validator for the whole test binary (parsing the document
// once).
func Shared() (*Validator, error) {
	sharedOnce.Do(func() { shared, sharedErr = New() })
	return shared, sharedErr
}

// Transport is an http.RoundTripper for tests that talk to a real server:
// it sends each request through Base (nil: http.DefaultTransport), reads
// the whole answer, and checks the exchange with Validator, telling Report
// (t.Errorf, typically) of any mismatch. Requests outside the API pass.
type Transport struct {
	Base      http.RoundTripper
	Validator *Validator
	Report    func(format string, args ...any)
}

// RoundTrip implements http.RoundTripper.
func (tr *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	var sent []byte
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		sent = b
		r.Body = io.NopCloser(bytes.NewReader(sent))
	}
	base := tr.Base
	if base == nil {
		base = http.DefaultTransport
	}
	res, err := base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(b))
	if err := tr.Validator.Check(r, sent, res.StatusCode, res.Header, b); err != nil {
		tr.Report("openapi.json: %v", err)
	}
	return res, nil
}
