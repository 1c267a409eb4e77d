package e2e

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/sso/oidc/oidctest"
)

// TestJourneySSOLoginAndStepUpSign: the preceptor signs in through her
// organisation's identity provider (a real OpenID provider on loopback,
// its own login page), and signs a competency off by typing her
// credentials there again.
func TestJourneySSOLoginAndStepUpSign(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dialect db.Dialect) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
		base := "http://localhost:" + port // a passkey relying party needs a host name
		op := oidctest.Start(t)
		op.AddClient("skillgate", "journey-secret", base+"/auth/oidc/callback")
		op.AddUser(oidctest.User{Name: "priya", Subject: "sub-priya", Email: "preceptor@demo.test", EmailVerified: true, FullName: "Priya Raman"})
		s := startServer(t, dialect, map[string]string{"SKILLGATE_ADDR": "127.0.0.1:" + port, "SKILLGATE_BASE_URL": base,
			"SKILLGATE_OIDC_ISSUER": op.URL, "SKILLGATE_OIDC_CLIENT_ID": "skillgate", "SKILLGATE_OIDC_CLIENT_SECRET": "journey-secret",
			"SKILLGATE_OIDC_NAME": "Clinic ID"})
		s.base = base
		b := newBrowser(t, s, tablet)

		atProvider := func(what string) {
			b.run(what+": the provider's page", chromedp.WaitVisible(chromedp.CSS("#op-username")))
			b.run(what+": type the user name", chromedp.SendKeys(chromedp.CSS("#op-username"), "priya"))
			b.clickAndLoad(what+": sign in there", chromedp.CSS("#op-submit"))
		}
		b.open("/login")
		b.mustSee("Sign in with Clinic ID")
		b.clickAndLoad("sign in with the provider", chromedp.CSS("#sso-login"))
		atProvider("log in")
		if strings.Contains(b.location(), "/login") || strings.Contains(b.location(), "/auth/") {
			b.t.Fatalf("not signed in: %s %s", b.location(), b.text())
		}
		b.mustSee("Waiting for you")
		b.shot("signed in through the provider")

		// Jordan is at 8 of 10 venipunctures in the demo: two more, then
		// the sign-off with a fresh sign-in at the provider.
		b.clickAndLoad("open Jordan", chromedp.Search(`//a[contains(., "Jordan Lee:")]`))
		path, _, _ := strings.Cut(b.location(), "?")
		path = strings.TrimPrefix(path, s.base)
		for range 2 {
			b.open(path + "/observe/PHL-VENI")
			b.run("score: every step met", eval(`document.querySelectorAll('input[value=met]').forEach(r => r.click()); true`))
			b.clickAndLoad("save", chromedp.Search(`//button[contains(., "Save observation")]`))
		}
		b.mustSee("10 of 10")
		b.open(path + "/signoff/PHL-VENI")
		b.mustSee("Sign with Clinic ID")
		b.clickAndLoad("sign with the provider", chromedp.CSS("#sso-sign"))
		atProvider("re-authenticate")
		b.mustSee("Signed.", "Priya Raman, RN")
		b.shot("signed after re-authenticating at the provider")
	})
}
