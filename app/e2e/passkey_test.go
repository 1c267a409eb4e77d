package e2e

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/demo"
)

// TestJourneyPasskeyRegisterLoginSign: on a tablet whose Chromium has a
// virtual platform authenticator (DevTools WebAuthn domain, user
// verification on, like a fingerprint reader), the preceptor adds a
// passkey on her account page, logs out, logs in with the passkey alone,
// and signs a competency off with it.
func TestJourneyPasskeyRegisterLoginSign(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dialect db.Dialect) {
		// A passkey belongs to a host name (an IP address cannot be a
		// relying party): the server answers as localhost on a port
		// chosen here, and the browser goes there.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
		s := startServer(t, dialect, map[string]string{"SKILLGATE_ADDR": "127.0.0.1:" + port, "SKILLGATE_BASE_URL": "http://localhost:" + port})
		s.base = "http://localhost:" + port
		b := newBrowser(t, s, tablet)
		if _, err := chromedp.Call(b.ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			t.Fatalf("WebAuthn.enable: %v", err)
		}
		if _, err := chromedp.Call(b.ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true,
			HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}}); err != nil {
			t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
		}

		b.login("preceptor@demo.test", demo.Password)
		b.open("/account")
		b.run("name the passkey", chromedp.SendKeys(chromedp.CSS("#f-passkey_name"), "ward tablet"))
		b.clickAndLoad("add a passkey", chromedp.CSS("button[data-passkey-register]"))
		b.mustSee("The passkey was added", "ward tablet")
		b.shot("passkey added")

		b.clickAndLoad("log out", chromedp.Search(`//button[contains(., "Log out")]`))
		b.open("/login")
		b.clickAndLoad("log in with the passkey", chromedp.CSS("button[data-passkey-login]"))
		if strings.Contains(b.location(), "/login") {
			b.t.Fatalf("still on the login page: %s", b.text())
		}
		b.mustSee("Waiting for you")
		b.shot("logged in with the passkey")

		// Jordan is at 8 of 10 venipunctures in the demo: two more, then
		// the sign-off with the passkey.
		b.open("/")
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
		b.clickAndLoad("sign with the passkey", chromedp.CSS("button[data-passkey-sign]"))
		b.mustSee("Signed.", "Priya Raman, RN")
		b.shot("signed with the passkey")
	})
}
