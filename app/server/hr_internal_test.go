package server

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/reports"
)

// TestSiteTableLinksEveryCount: each count of the by-site table links to
// the list with its status at its site (none for the sum of sites), names
// the site in its label, and a site's name is escaped, not markup.
func TestSiteTableLinksEveryCount(t *testing.T) {
	got := string(siteTable([]reports.HRSite{
		{ID: "s 1&2", Name: `Smith & <Jones> "North"`, People: 4, Compliant: 3, Percent: 75, Expired: 1, Exp30: 2, Exp60: 3, Exp90: 4, Missing: 5, Grace: 6, Unverified: 7},
		{Name: "All sites", People: 4, Compliant: 3, Percent: 75, Missing: 5},
	}))
	if strings.Contains(got, "<Jones>") || !strings.Contains(got, `<th scope="row">Smith &amp; &lt;Jones&gt; &#34;North&#34;</th><td>75% (3 of 4)</td>`) {
		t.Fatalf("the site's name is not escaped text:\n%s", got)
	}
	links := regexp.MustCompile(`<a href="([^"]*)" aria-label="([^"]*)">(\d+)</a>`).FindAllStringSubmatch(got, -1)
	if len(links) != 14 {
		t.Fatalf("%d links, want 7 per row:\n%s", len(links), got)
	}
	want := []struct{ href, label string }{
		{"/hr?site=s+1%262&status=expired#list", `1 expired, Smith & <Jones> "North"`},
		{"/hr?site=s+1%262&status=30#list", `2 expiring within 30 days, Smith & <Jones> "North"`},
		{"/hr?site=s+1%262&status=31-60#list", `3 expiring within 31 to 60 days, Smith & <Jones> "North"`},
		{"/hr?site=s+1%262&status=61-90#list", `4 expiring within 61 to 90 days, Smith & <Jones> "North"`},
		{"/hr?site=s+1%262&status=missing#list", `5 missing, Smith & <Jones> "North"`},
		{"/hr?site=s+1%262&status=grace#list", `6 missing within grace, Smith & <Jones> "North"`},
		{"/hr?site=s+1%262&status=unverified#list", `7 not verified, Smith & <Jones> "North"`},
		{"/hr?status=expired#list", "0 expired, All sites"},
	}
	for i, w := range want {
		l := links[i]
		if href, label := html.UnescapeString(l[1]), html.UnescapeString(l[2]); href != w.href || label != w.label || !strings.HasPrefix(label, l[3]+" ") {
			t.Errorf("link %d: href %q label %q text %s, want %q %q", i, href, label, l[3], w.href, w.label)
		}
	}
	if l := links[11]; html.UnescapeString(l[1]) != "/hr?status=missing#list" || l[3] != "5" {
		t.Errorf("the sum's missing link %q with %s, want /hr?status=missing#list with 5", l[1], l[3])
	}
}
