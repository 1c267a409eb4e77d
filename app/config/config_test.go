package config

import (
	"io"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, rest, err := Load(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DataDir != "./data" || c.DatabaseURL != "" || c.SessionIdle != 30*time.Minute ||
		c.SessionAbsolute != 12*time.Hour || c.Timezone != "America/New_York" || c.SecureCookies || c.Demo || len(rest) != 0 ||
		c.APIRateLimit != 120000 || c.WriteRateLimit != 600 {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	c, rest, err := Load([]string{"--demo", "--addr", "127.0.0.1:9000", "extra"},
		env(map[string]string{"SKILLGATE_ADDR": ":7000", "SKILLGATE_SECURE_COOKIES": "true", "SKILLGATE_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9000" || !c.Demo || !c.SecureCookies || len(c.TrustedProxies) != 2 || len(rest) != 1 {
		t.Fatalf("config = %+v, rest %v", c, rest)
	}
}

func TestBadValuesNameTheSetting(t *testing.T) {
	_, _, err := Load(nil, env(map[string]string{
		"SKILLGATE_SESSION_IDLE": "forever", "SKILLGATE_TIMEZONE": "Mars/Olympus", "SKILLGATE_DATABASE_URL": "mysql://x",
		"SKILLGATE_WRITE_RATE_LIMIT": "-1",
	}), io.Discard)
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, want := range []string{"SKILLGATE_SESSION_IDLE", "SKILLGATE_TIMEZONE", "SKILLGATE_DATABASE_URL", "SKILLGATE_WRITE_RATE_LIMIT"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestBadProxyAndBaseURLAreRefused(t *testing.T) {
	_, _, err := Load(nil, env(map[string]string{"SKILLGATE_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.0/8, proxy.local", "SKILLGATE_BASE_URL": "skillgate.clinic.org"}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), `SKILLGATE_TRUSTED_PROXIES: "proxy.local" is not an IP address`) ||
		!strings.Contains(err.Error(), `SKILLGATE_BASE_URL: "skillgate.clinic.org" is not a URL`) {
		t.Fatalf("got %v", err)
	}
}

// Whatever a setting holds (from the environment or a flag), Load either
// refuses it with a message naming the setting or the flag, or gives a
// configuration that holds together.
func FuzzLoad(f *testing.F) {
	f.Add(uint8(0), ":8080", "")
	f.Add(uint8(5), "-5m", "--session-idle=13h")
	f.Add(uint8(6), "1h", "--demo=maybe")
	f.Add(uint8(7), "../../etc/passwd", "")
	f.Add(uint8(11), "10.0.0.1, ::1, 192.168.0.0/16, , x", "")
	f.Add(uint8(3), "https://skillgate.clinic.org/", "--base-url=javascript:alert(1)")
	f.Add(uint8(2), "postgresql://u:p@h/db", "--nope")
	f.Add(uint8(8), "DEBUG", "--log-format=JSON")
	f.Fuzz(func(t *testing.T, which uint8, value, arg string) {
		s := Settings[int(which)%len(Settings)]
		var args []string
		if arg != "" {
			args = []string{arg}
		}
		c, _, err := Load(args, env(map[string]string{s.Env: value}), io.Discard)
		if err != nil {
			errs := []error{err}
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				errs = j.Unwrap()
			}
			for _, e := range errs {
				line := e.Error()
				named := strings.HasPrefix(line, "SKILLGATE_") || strings.Contains(line, "flag") || strings.Contains(line, " -"+strings.TrimLeft(strings.SplitN(arg, "=", 2)[0], "-"))
				if !named || strings.Contains(line, "strconv") || strings.Contains(line, "invalid syntax") {
					t.Fatalf("%s=%q %q: unclear error line %q", s.Env, value, arg, line)
				}
			}
			return
		}
		if c.SessionIdle <= 0 || c.SessionAbsolute <= 0 || c.ShutdownTimeout <= 0 || c.SessionIdle > c.SessionAbsolute {
			t.Fatalf("durations %+v", c)
		}
		if _, err := time.LoadLocation(c.Timezone); err != nil {
			t.Fatalf("time zone %q accepted", c.Timezone)
		}
		if !strings.Contains(" debug info warn error ", " "+c.LogLevel+" ") || (c.LogFormat != "text" && c.LogFormat != "json") {
			t.Fatalf("logging %q %q", c.LogLevel, c.LogFormat)
		}
		if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres") {
			t.Fatalf("database %q", c.DatabaseURL)
		}
		if !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") || strings.HasSuffix(c.BaseURL, "/") {
			t.Fatalf("base URL %q", c.BaseURL)
		}
		for _, p := range c.TrustedProxies {
			if p == "" || strings.ContainsAny(p, ", ") {
				t.Fatalf("proxies %q", c.TrustedProxies)
			}
		}
	})
}

// TestImportRoles: HR imports give new people apprentices' role unless the
// administrator allows preceptors too; a role as powerful as HR's or more
// cannot be allowed.
func TestImportRoles(t *testing.T) {
	c, _, err := Load(nil, env(nil), io.Discard)
	if err != nil || strings.Join(c.ImportRoles, ",") != "apprentice" {
		t.Fatalf("default import roles %v (%v)", c.ImportRoles, err)
	}
	c, _, err = Load([]string{"--import-roles", " Apprentice, preceptor,apprentice "}, env(nil), io.Discard)
	if err != nil || strings.Join(c.ImportRoles, ",") != "apprentice,preceptor" {
		t.Fatalf("import roles %v (%v)", c.ImportRoles, err)
	}
	for _, bad := range []string{"director", "apprentice,hr", "admin", "wizard"} {
		_, _, err := Load(nil, env(map[string]string{"SKILLGATE_IMPORT_ROLES": bad}), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "SKILLGATE_IMPORT_ROLES") || !strings.Contains(err.Error(), "made by an administrator") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// Single sign-on: an https issuer (http only on loopback) with a client
// id; password login off needs a provider; break-glass entries are
// emails, compared case-insensitively.
func TestSingleSignOnSettings(t *testing.T) {
	c, _, err := Load(nil, env(map[string]string{"SKILLGATE_OIDC_ISSUER": "https://login.example.test/tenant/v2.0/", "SKILLGATE_OIDC_CLIENT_ID": "app",
		"SKILLGATE_PASSWORD_LOGIN": "false", "SKILLGATE_BREAK_GLASS": " Admin@Clinic.test, ,admin@clinic.test"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !c.OIDC.Enabled() || c.OIDC.Issuer != "https://login.example.test/tenant/v2.0" || c.OIDC.Name != "your organisation" || c.SSOGroupsClaim != "groups" ||
		c.PasswordLogin || len(c.BreakGlass) != 1 || !c.PasswordAllowed("ADMIN@clinic.test ") || c.PasswordAllowed("nurse@clinic.test") {
		t.Fatalf("config = %+v", c)
	}
	if d, _, _ := Load(nil, env(nil), io.Discard); d.OIDC.Enabled() || !d.PasswordLogin || !d.PasswordAllowed("anyone@clinic.test") {
		t.Fatalf("defaults = %+v", d)
	}
	if _, _, err := Load(nil, env(map[string]string{"SKILLGATE_OIDC_ISSUER": "http://127.0.0.1:9999", "SKILLGATE_OIDC_CLIENT_ID": "app"}), io.Discard); err != nil {
		t.Errorf("a loopback http issuer: %v", err)
	}
	// SAML alone is single sign-on enough to switch passwords off.
	s, _, err := Load(nil, env(map[string]string{"SKILLGATE_SAML_IDP_METADATA": "https://login.example.test/federationmetadata.xml?appid=1",
		"SKILLGATE_PASSWORD_LOGIN": "false"}), io.Discard)
	if err != nil || !s.SAML.Enabled() || s.OIDC.Enabled() || !s.SSOEnabled() || s.SAML.Name != "your organisation" {
		t.Fatalf("SAML config = %+v, %v", s.SAML, err)
	}
	for _, bad := range []map[string]string{
		{"SKILLGATE_OIDC_ISSUER": "http://idp.example.test", "SKILLGATE_OIDC_CLIENT_ID": "app"},
		{"SKILLGATE_OIDC_ISSUER": "https://idp.example.test"},
		{"SKILLGATE_PASSWORD_LOGIN": "false"},
		{"SKILLGATE_OIDC_ISSUER": "https://idp.example.test", "SKILLGATE_OIDC_CLIENT_ID": "app", "SKILLGATE_BREAK_GLASS": "admin"},
		{"SKILLGATE_SAML_IDP_METADATA": "http://idp.example.test/metadata"},
		{"SKILLGATE_SAML_IDP_METADATA": "/no/such/metadata.xml"},
		{"SKILLGATE_SAML_IDP_METADATA": "https://idp.example.test/metadata", "SKILLGATE_SAML_SP_KEY": "/etc/sp.key"},
	} {
		if _, _, err := Load(nil, env(bad), io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
