// Package config reads Skillgate's settings from the environment and from
// command-line flags that mirror it (a flag wins over its variable).
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config is every setting of a running Skillgate.
type Config struct {
	Addr            string
	DataDir         string
	DatabaseURL     string
	BaseURL         string
	SecureCookies   bool
	SessionIdle     time.Duration
	SessionAbsolute time.Duration
	Timezone        string
	LogLevel        string
	LogFormat       string
	ShutdownTimeout time.Duration
	TrustedProxies  []string
	AdminEmail      string
	SMTPURL         string
	Demo            bool
	// APIRateLimit is how many /api/v1 requests one account may make per
	// minute on one instance; WriteRateLimit how many writes (any method
	// but GET and HEAD) one account may make per minute on all instances
	// together. 0 turns the limit off.
	APIRateLimit   int
	WriteRateLimit int
	// ImportRoles are the roles an HR import may give new people (an
	// administrator's import may give any): only roles below HR's.
	ImportRoles []string
	// SecondFactorRoles are the roles whose holders must have a second
	// factor: they are led through enrolment at login and can do nothing
	// else until done.
	SecondFactorRoles []string
	// SSOGroupMap maps the identity provider's groups to roles and sites
	// (group=role@site,…; app/sso/groupmap reads it): for single sign-on
	// and SCIM provisioning alike.
	SSOGroupMap string
	// WebhookAllowHosts are host names, IPs and CIDR ranges webhooks may
	// call although they are loopback, link-local or private, as given
	// (webhooks.NewGuard reads and checks them when the services start).
	WebhookAllowHosts string
	// OIDC is the OpenID provider people sign in with (none when its
	// Issuer is empty).
	OIDC OIDC
	// SAML is the SAML 2.0 identity provider people sign in with (none
	// when its IdPMetadata is empty).
	SAML SAML
	// SSOGroupsClaim names the claim whose values map to roles and sites
	// through SSOGroupMap.
	SSOGroupsClaim string
	// SSOTrustEmail links an existing person to their first SSO sign-in by
	// email even when the provider does not mark the email verified.
	SSOTrustEmail bool
	// PasswordLogin false leaves passwords (and passkeys) to the
	// BreakGlass accounts only (emails, normalised); everyone else signs
	// in through SSO.
	PasswordLogin bool
	BreakGlass    []string
	// WebhookLeadDays is how many days ahead clearance.lapsing and
	// credential.expiring are sent.
	WebhookLeadDays int
}

// OIDC configures OpenID Connect sign-in.
type OIDC struct {
	Issuer, ClientID, ClientSecret string
	// Name is the provider's name on the "Sign in with" button and in
	// signatures ("re-authenticated at <Name>").
	Name string
}

// Enabled reports whether OpenID Connect sign-in is configured.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

// SAML configures SAML 2.0 sign-in.
type SAML struct {
	// IdPMetadata is the IdP's metadata: an https URL or a file.
	IdPMetadata string
	// SPKey and SPCert are PEM files of Skillgate's key and certificate
	// as a service provider; empty: generated once and kept in the
	// database.
	SPKey, SPCert string
	// Name is the provider's name on the "Sign in with" button and in
	// signatures.
	Name string
}

// Enabled reports whether SAML sign-in is configured.
func (s SAML) Enabled() bool { return s.IdPMetadata != "" }

// SSOEnabled reports whether any single sign-on is configured.
func (c *Config) SSOEnabled() bool { return c.OIDC.Enabled() || c.SAML.Enabled() }

// DefaultSecondFactorRoles are administrators, HR and everyone who may
// sign off (preceptors, directors): NIST SP 800-63B asks a second factor
// of privileged accounts, 21 CFR 11.200 two components for a signature.
var DefaultSecondFactorRoles = []string{"admin", "hr", "director", "preceptor"}

// allRoles are the role names a role list may use.
var allRoles = []string{"admin", "director", "preceptor", "apprentice", "hr"}

// ImportableRoles are the roles SKILLGATE_IMPORT_ROLES may list: those
// below HR's. HR, directors and administrators are made by an
// administrator.
var ImportableRoles = []string{"apprentice", "preceptor"}

// Setting describes one configuration value, for flags, the README table
// and error messages.
type Setting struct {
	Env, Flag, Default, Help string
}

// Settings lists every setting. The README's configuration table is
// checked against it by a test.
var Settings = []Setting{
	{"SKILLGATE_ADDR", "addr", ":8080", "address to serve HTTP on"},
	{"SKILLGATE_DATA_DIR", "data-dir", "./data", "directory for the embedded SQLite database"},
	{"SKILLGATE_DATABASE_URL", "database-url", "", "postgres://user:pass@host:5432/db?sslmode=verify-full to use PostgreSQL instead of SQLite"},
	{"SKILLGATE_BASE_URL", "base-url", "http://localhost:8080", "public URL of this server, used in password-reset links"},
	{"SKILLGATE_SECURE_COOKIES", "secure-cookies", "false", "mark cookies Secure and send HSTS (set true behind HTTPS)"},
	{"SKILLGATE_SESSION_IDLE", "session-idle", "30m", "log out after this long without a request"},
	{"SKILLGATE_SESSION_ABSOLUTE", "session-absolute", "12h", "log out this long after login, whatever the activity"},
	{"SKILLGATE_TIMEZONE", "timezone", "America/New_York", "the organisation's time zone, for calendar dates such as expiry dates"},
	{"SKILLGATE_LOG_LEVEL", "log-level", "info", "debug, info, warn or error"},
	{"SKILLGATE_LOG_FORMAT", "log-format", "text", "text or json"},
	{"SKILLGATE_SHUTDOWN_TIMEOUT", "shutdown-timeout", "20s", "how long in-flight requests may finish after SIGTERM"},
	{"SKILLGATE_TRUSTED_PROXIES", "trusted-proxies", "", "comma-separated proxy IPs/CIDRs whose X-Forwarded-For is believed"},
	{"SKILLGATE_ADMIN_EMAIL", "admin-email", "admin@skillgate.local", "email of the admin account created on first start"},
	{"SKILLGATE_SMTP_URL", "smtp-url", "", "smtp://user:password@host:587?from=address to email reminders and password links (STARTTLS when offered; port 465 or smtps:// for implicit TLS; in-app only, and links shown to their issuer, when empty)"},
	{"SKILLGATE_DEMO", "demo", "false", "seed a demo organisation into an empty database"},
	{"SKILLGATE_API_RATE_LIMIT", "api-rate-limit", "120000", "API requests per minute per account and instance (0: no limit)"},
	{"SKILLGATE_WRITE_RATE_LIMIT", "write-rate-limit", "600", "writes per minute per account, all instances together (0: no limit)"},
	{"SKILLGATE_IMPORT_ROLES", "import-roles", "apprentice", "roles an HR import may give new people: apprentice, preceptor (comma-separated)"},
	{"SKILLGATE_SSO_GROUP_MAP", "sso-group-map", "", "identity-provider groups to Skillgate roles and sites, comma-separated group=role@site (site * for every site), e.g. sg-rn=preceptor@Riverside Family Medicine,sg-hr=hr@*"},
	{"SKILLGATE_WEBHOOK_ALLOW_HOSTS", "webhook-allow-hosts", "", "comma-separated host names, IPs or CIDRs that webhook endpoints may use although they are loopback, link-local, private or metadata addresses"},
	{"SKILLGATE_WEBHOOK_LEAD_DAYS", "webhook-lead-days", "14", "how many days ahead webhooks send clearance.lapsing and credential.expiring"},
	{"SKILLGATE_SECOND_FACTOR_ROLES", "second-factor-roles", "default", "roles that must use a second factor (comma-separated, or none); default admin,hr,director,preceptor, and none with --demo"},
	{"SKILLGATE_OIDC_ISSUER", "oidc-issuer", "", "OpenID Connect issuer URL (discovery at ISSUER/.well-known/openid-configuration); empty: no OpenID Connect sign-in"},
	{"SKILLGATE_OIDC_CLIENT_ID", "oidc-client-id", "", "client id Skillgate has at the OpenID provider"},
	{"SKILLGATE_OIDC_CLIENT_SECRET", "oidc-client-secret", "", "client secret Skillgate has at the OpenID provider (never logged)"},
	{"SKILLGATE_OIDC_NAME", "oidc-name", "your organisation", "the provider's name on the \"Sign in with\" button and in signatures"},
	{"SKILLGATE_SAML_IDP_METADATA", "saml-idp-metadata", "", "the SAML identity provider's metadata: an https URL (read at first use and every 12 hours) or a file; empty: no SAML sign-in"},
	{"SKILLGATE_SAML_SP_KEY", "saml-sp-key", "", "PEM file of Skillgate's RSA key as a SAML service provider (with SKILLGATE_SAML_SP_CERT); empty: one is generated once and kept in the database"},
	{"SKILLGATE_SAML_SP_CERT", "saml-sp-cert", "", "PEM file of the certificate for SKILLGATE_SAML_SP_KEY"},
	{"SKILLGATE_SAML_NAME", "saml-name", "your organisation", "the SAML provider's name on the \"Sign in with\" button and in signatures"},
	{"SKILLGATE_SSO_GROUPS_CLAIM", "sso-groups-claim", "groups", "claim whose values map to roles and sites through SKILLGATE_SSO_GROUP_MAP"},
	{"SKILLGATE_SSO_TRUST_EMAIL", "sso-trust-email", "false", "link an existing person to their first SSO sign-in by email even when the provider does not mark it verified"},
	{"SKILLGATE_PASSWORD_LOGIN", "password-login", "true", "false: only SSO signs in, except the SKILLGATE_BREAK_GLASS accounts"},
	{"SKILLGATE_BREAK_GLASS", "break-glass", "", "comma-separated emails that may still log in with a password (or passkey) when SKILLGATE_PASSWORD_LOGIN is false"},
}

// Load reads settings from getenv, then from args (flags without the
// program name). Unknown flags and bad values are errors that name the
// setting.
func Load(args []string, getenv func(string) string, out io.Writer) (Config, []string, error) {
	fs := flag.NewFlagSet("skillgate", flag.ContinueOnError)
	fs.SetOutput(out)
	vals := make(map[string]*string, len(Settings))
	for _, s := range Settings {
		v := s.Default
		if e := getenv(s.Env); e != "" {
			v = e
		}
		p := new(string)
		*p = v
		vals[s.Flag] = p
		if s.Flag == "demo" || s.Flag == "secure-cookies" || s.Flag == "sso-trust-email" || s.Flag == "password-login" {
			fs.Var(boolFlag{p}, s.Flag, s.Help+" (env "+s.Env+")")
			continue
		}
		fs.StringVar(p, s.Flag, v, s.Help+" (env "+s.Env+")")
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, nil, err
	}
	var c Config
	var errs []error
	get := func(name string) string { return strings.TrimSpace(*vals[name]) }
	boolean := func(name string) bool {
		b, err := strconv.ParseBool(get(name))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not true or false", envOf(name), get(name)))
		}
		return b
	}
	duration := func(name string) time.Duration {
		d, err := time.ParseDuration(get(name))
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a positive duration such as 30m or 12h", envOf(name), get(name)))
		}
		return d
	}
	c.Addr = get("addr")
	c.DataDir = get("data-dir")
	c.DatabaseURL = get("database-url")
	c.BaseURL = strings.TrimRight(get("base-url"), "/")
	c.SecureCookies = boolean("secure-cookies")
	c.SessionIdle = duration("session-idle")
	c.SessionAbsolute = duration("session-absolute")
	c.Timezone = get("timezone")
	c.LogLevel = strings.ToLower(get("log-level"))
	c.LogFormat = strings.ToLower(get("log-format"))
	c.ShutdownTimeout = duration("shutdown-timeout")
	for _, p := range strings.Split(get("trusted-proxies"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		// Fiber skips an entry it cannot read, and then trusts no one there:
		// every client would share the proxy's address (and rate limits).
		if _, err := netip.ParseAddr(p); err != nil {
			if _, err := netip.ParsePrefix(p); err != nil {
				errs = append(errs, fmt.Errorf("SKILLGATE_TRUSTED_PROXIES: %q is not an IP address or a CIDR range such as 10.0.0.0/8", p))
				continue
			}
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	c.AdminEmail = get("admin-email")
	c.SMTPURL = get("smtp-url")
	c.SSOGroupMap = strings.TrimSpace(get("sso-group-map"))
	c.Demo = boolean("demo")
	perMinute := func(name string) int {
		n, err := strconv.Atoi(get(name))
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a number of requests per minute such as 600 (0 for no limit)", envOf(name), get(name)))
		}
		return n
	}
	c.APIRateLimit = perMinute("api-rate-limit")
	c.WriteRateLimit = perMinute("write-rate-limit")
	c.ImportRoles = []string{}
	for _, r := range strings.Split(get("import-roles"), ",") {
		switch r = strings.ToLower(strings.TrimSpace(r)); {
		case r == "":
		case !slices.Contains(ImportableRoles, r):
			errs = append(errs, fmt.Errorf("SKILLGATE_IMPORT_ROLES: %q is not a role an HR import may give: use %s (HR, directors and administrators are made by an administrator)",
				r, strings.Join(ImportableRoles, " or ")))
		case !slices.Contains(c.ImportRoles, r):
			c.ImportRoles = append(c.ImportRoles, r)
		}
	}
	switch v := strings.ToLower(get("second-factor-roles")); v {
	case "default":
		c.SecondFactorRoles = DefaultSecondFactorRoles
		if c.Demo {
			// The demo's published password must log in as the Quick
			// start says; a demo operator who wants the policy sets it.
			c.SecondFactorRoles = []string{}
		}
	case "none", "":
		c.SecondFactorRoles = []string{}
	default:
		c.SecondFactorRoles = []string{}
		for _, r := range strings.Split(v, ",") {
			switch r = strings.TrimSpace(r); {
			case r == "":
			case !slices.Contains(allRoles, r):
				errs = append(errs, fmt.Errorf("SKILLGATE_SECOND_FACTOR_ROLES: %q is not a role: use %s, or none", r, strings.Join(allRoles, ", ")))
			case !slices.Contains(c.SecondFactorRoles, r):
				c.SecondFactorRoles = append(c.SecondFactorRoles, r)
			}
		}
	}
	c.WebhookAllowHosts = get("webhook-allow-hosts")
	c.OIDC = OIDC{Issuer: strings.TrimRight(get("oidc-issuer"), "/"), ClientID: get("oidc-client-id"), ClientSecret: get("oidc-client-secret"), Name: get("oidc-name")}
	if c.OIDC.Issuer != "" {
		// The issuer is compared exactly with the tokens' iss; https
		// except on loopback (tests, a provider beside Skillgate).
		u, err := url.Parse(c.OIDC.Issuer)
		loopback := err == nil && isLoopback(u.Hostname())
		if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || (u.Scheme != "https" && !(u.Scheme == "http" && loopback)) {
			errs = append(errs, fmt.Errorf("SKILLGATE_OIDC_ISSUER: %q is not an https URL such as https://login.microsoftonline.com/<tenant>/v2.0", c.OIDC.Issuer))
		}
		if c.OIDC.ClientID == "" {
			errs = append(errs, errors.New("SKILLGATE_OIDC_CLIENT_ID: required with SKILLGATE_OIDC_ISSUER"))
		}
	}
	c.SAML = SAML{IdPMetadata: get("saml-idp-metadata"), SPKey: get("saml-sp-key"), SPCert: get("saml-sp-cert"), Name: get("saml-name")}
	if m := c.SAML.IdPMetadata; strings.Contains(m, "://") {
		// Metadata carries the keys assertions are trusted by: https,
		// except on loopback (tests, a provider beside Skillgate).
		u, err := url.Parse(m)
		if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
			errs = append(errs, fmt.Errorf("SKILLGATE_SAML_IDP_METADATA: %q is neither an https URL nor a file", m))
		}
	} else if m != "" {
		if _, err := os.Stat(m); err != nil {
			errs = append(errs, fmt.Errorf("SKILLGATE_SAML_IDP_METADATA: %q is neither an https URL nor a readable file", m))
		}
	}
	if (c.SAML.SPKey == "") != (c.SAML.SPCert == "") {
		errs = append(errs, errors.New("SKILLGATE_SAML_SP_KEY and SKILLGATE_SAML_SP_CERT go together"))
	}
	c.SSOGroupsClaim = get("sso-groups-claim")
	c.SSOTrustEmail = boolean("sso-trust-email")
	c.PasswordLogin = boolean("password-login")
	for _, e := range strings.Split(get("break-glass"), ",") {
		if e = strings.ToLower(strings.TrimSpace(e)); e == "" {
			continue
		} else if !strings.Contains(e, "@") {
			errs = append(errs, fmt.Errorf("SKILLGATE_BREAK_GLASS: %q is not an email address", e))
		} else if !slices.Contains(c.BreakGlass, e) {
			c.BreakGlass = append(c.BreakGlass, e)
		}
	}
	if !c.PasswordLogin && !c.SSOEnabled() {
		errs = append(errs, errors.New("SKILLGATE_PASSWORD_LOGIN=false needs single sign-on (SKILLGATE_OIDC_ISSUER or SKILLGATE_SAML_IDP_METADATA): nobody but the break-glass accounts could log in"))
	}
	if n, err := strconv.Atoi(get("webhook-lead-days")); err != nil || n < 1 || n > 365 {
		errs = append(errs, fmt.Errorf("SKILLGATE_WEBHOOK_LEAD_DAYS: %q is not a number of days from 1 to 365", get("webhook-lead-days")))
	} else {
		c.WebhookLeadDays = n
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		errs = append(errs, fmt.Errorf("SKILLGATE_TIMEZONE: %q is not a known time zone such as America/Chicago", c.Timezone))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("SKILLGATE_LOG_LEVEL: %q is not debug, info, warn or error", c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("SKILLGATE_LOG_FORMAT: %q is not text or json", c.LogFormat))
	}
	// The base URL starts every link Skillgate hands out (password links,
	// calendar feeds): an absolute http(s) URL without query or fragment.
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(c.BaseURL, " \t\r\n") {
		errs = append(errs, fmt.Errorf("SKILLGATE_BASE_URL: %q is not a URL such as https://skillgate.clinic.org", c.BaseURL))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("SKILLGATE_DATABASE_URL: must start with postgres://"))
	}
	if c.SessionIdle > c.SessionAbsolute {
		errs = append(errs, errors.New("SKILLGATE_SESSION_IDLE must not be longer than SKILLGATE_SESSION_ABSOLUTE"))
	}
	return c, fs.Args(), errors.Join(errs...)
}

// PasswordAllowed reports whether the person with email may log in with
// a password or passkey: always, unless password login is off and they
// are not a break-glass account.
func (c Config) PasswordAllowed(email string) bool {
	return c.PasswordLogin || slices.Contains(c.BreakGlass, strings.ToLower(strings.TrimSpace(email)))
}

// Location returns the organisation's time zone (validated by Load).
func (c Config) Location() *time.Location {
	// Loading reads and parses the zone file; every request asks (today's
	// date), so each zone is loaded once per process.
	if loc, ok := locations.Load(c.Timezone); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC
	}
	locations.Store(c.Timezone, loc)
	return loc
}

// locations caches loaded time zones by name.
var locations sync.Map

func envOf(flagName string) string {
	for _, s := range Settings {
		if s.Flag == flagName {
			return s.Env
		}
	}
	return flagName
}

// boolFlag lets "--demo" be given without a value, like a flag.Bool, while
// its default still comes from the environment.
type boolFlag struct{ p *string }

func (b boolFlag) String() string {
	if b.p == nil {
		return ""
	}
	return *b.p
}
func (b boolFlag) Set(s string) error {
	if _, err := strconv.ParseBool(s); err != nil {
		return fmt.Errorf("%q is not true or false", s)
	}
	*b.p = s
	return nil
}
func (b boolFlag) IsBoolFlag() bool { return true }

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}
