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
		c.SessionAbsolute != 12*time.Hour || c.Timezone != "America/New_York" || c.SecureCookies || c.Demo || len(rest) != 0 {
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
	}), io.Discard)
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, want := range []string{"SKILLGATE_SESSION_IDLE", "SKILLGATE_TIMEZONE", "SKILLGATE_DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}
