package loadgen

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

// CSRFToken returns the CSRF token a page's form carries (its _csrf
// field), as a browser sends it back.
func CSRFToken(page []byte) (string, bool) {
	m := csrfField.FindSubmatch(page)
	if m == nil {
		return "", false
	}
	return html.UnescapeString(string(m[1])), true
}

// Login logs in to Skillgate at baseURL as a browser does (login page for
// the CSRF token, then the form) and returns the Cookie header value that
// carries the session, for page load runs.
func Login(ctx context.Context, baseURL, email, password string) (string, error) {
	client, err := LoginClient(ctx, baseURL, email, password, nil)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(strings.TrimRight(baseURL, "/") + "/")
	if err != nil {
		return "", err
	}
	var parts []string
	for _, c := range client.Jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; "), nil
}

// LoginClient logs in as Login does and returns the browser: a client
// whose cookie jar holds the session (and takes a renewed one, as after a
// signature) and which follows no redirect. header is sent with both
// requests and should be sent with every later one (X-Forwarded-For: the
// client's own address behind a trusted proxy, say).
func LoginClient(ctx context.Context, baseURL, email, password string, header http.Header) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := strings.TrimRight(baseURL, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/login", nil)
	if err != nil {
		return nil, err
	}
	addHeader(req, header)
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("login page: %w", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	token, ok := CSRFToken(body)
	if !ok {
		return nil, fmt.Errorf("login page (HTTP %d) has no CSRF field", resp.StatusCode)
	}
	form := url.Values{"email": {email}, "password": {password}, "_csrf": {token}}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	addHeader(req, header)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("log in: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("log in as %s: HTTP %d (wrong password? too many logins from one address?)", email, resp.StatusCode)
	}
	u, err := url.Parse(base + "/")
	if err != nil {
		return nil, err
	}
	for _, c := range jar.Cookies(u) {
		if strings.HasSuffix(c.Name, "sg_session") {
			return client, nil
		}
	}
	return nil, errors.New("log in: no session cookie was set")
}

func addHeader(req *http.Request, h http.Header) {
	for k, vs := range h {
		req.Header[k] = vs
	}
}
