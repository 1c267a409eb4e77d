package server

import (
	"fmt"
	"html"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// The HR dashboard's page. What it shows is computed and cached by
// reports.Service.HR; this handler reads the filters, passes the sites the
// user may see, and renders.

// hrPerPage is how many rows of the attention list a page shows.
const hrPerPage = 50

type hrView struct {
	*reports.HRDashboard
	// SiteRows are the by-site table's rows (siteTable), the sum of the
	// sites last.
	SiteRows template.HTML
	Today    curriculum.Date
	Pager    pager
	Chart    template.HTML
	Filter   string
	Role     string
	Filters  []option
	Roles    []option
	// Credential, Site and Month (YYYY-MM, a month of the chart) narrow
	// the list; MonthLabel names the month.
	Credential, Site, Month, MonthLabel string
	// MonthNow is this month as the month filter writes it.
	MonthNow string
}

// siteTable writes the by-site table's rows (a sum of sites last, its ID
// empty), each count a link to the list with that status at that site as
// Link writes it. It is written here rather than in the template: the
// table has a row per site (hundreds for HR of a large organisation) with
// seven links each, and the template's calls and escapers per cell cost
// more than the rest of the view.
func siteTable(sites []reports.HRSite) template.HTML {
	cells := []struct {
		status, label string
		n             func(*reports.HRSite) int
	}{
		{"expired", "expired", func(st *reports.HRSite) int { return st.Expired }},
		{"30", "expiring within 30 days", func(st *reports.HRSite) int { return st.Exp30 }},
		{"31-60", "expiring within 31 to 60 days", func(st *reports.HRSite) int { return st.Exp60 }},
		{"61-90", "expiring within 61 to 90 days", func(st *reports.HRSite) int { return st.Exp90 }},
		{"missing", "missing", func(st *reports.HRSite) int { return st.Missing }},
		{"grace", "missing within grace", func(st *reports.HRSite) int { return st.Grace }},
		{"unverified", "not verified", func(st *reports.HRSite) int { return st.Unverified }},
	}
	var b strings.Builder
	b.Grow(len(sites) * 1200)
	for i := range sites {
		st := &sites[i]
		name := html.EscapeString(st.Name)
		prefix := "/hr?"
		if st.ID != "" {
			prefix += "site=" + html.EscapeString(url.QueryEscape(st.ID)) + "&amp;"
		}
		fmt.Fprintf(&b, `<tr><th scope="row">%s</th><td>%d%% (%d of %d)</td>`, name, st.Percent, st.Compliant, st.People)
		for _, c := range cells {
			n := c.n(st)
			fmt.Fprintf(&b, `<td><a href="%sstatus=%s#list" aria-label="%d %s, %s">%d</a></td>`, prefix, c.status, n, c.label, name, n)
		}
		b.WriteString("</tr>\n")
	}
	return template.HTML(b.String()) // names escaped above, the rest numbers and fixed text
}

// Link is the dashboard's list with these filters (empty ones left out),
// for the counts and bars that lead to it.
func (v hrView) Link(pairs ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			q.Set(pairs[i], pairs[i+1])
		}
	}
	if len(q) == 0 {
		return "/hr#list"
	}
	return "/hr?" + q.Encode() + "#list"
}

func (s *Server) hrDashboard(c *fiber.Ctx) error {
	today := curriculum.DateOf(s.now(), s.cfg.Location())
	v := hrView{Today: today, Filter: c.Query("status"), Role: c.Query("role"),
		Roles: []option{{"", "Apprentices and preceptors"}, {"apprentice", "Apprentices"}, {"preceptor", "Preceptors"}}, Filters: []option{
			{"", "Everything needing attention"}, {"expired", "Expired"}, {"30", "Expiring within 30 days"}, {"60", "Expiring within 60 days"},
			{"90", "Expiring within 90 days"}, {"missing", "Missing"}, {"grace", "Missing, within grace"}, {"unverified", "Not verified"}}}
	v.Credential, v.Site, v.Month = c.Query("credential"), c.Query("site"), c.Query("month")
	v.MonthNow = monthKey(today)
	f := reports.HRFilter{Sites: visibleSites(currentUser(c)), Status: v.Filter, Role: v.Role, Site: v.Site, Credential: v.Credential,
		Page: pageParam(c), PerPage: hrPerPage}
	if v.Month != "" {
		m, err := time.Parse("2006-01", v.Month)
		first := today.AddDays(1 - today.Day())
		n := 0
		if err == nil {
			n = (m.Year()-first.Year())*12 + int(m.Month()) - int(first.Month())
		}
		if err != nil || n < 0 || n > 11 {
			return errkind.New(errkind.Malformed, fmt.Sprintf("The month %q is not one of the next 12 months (write it as YYYY-MM, from %s).", v.Month, v.MonthNow))
		}
		f.Month = n + 1
		v.MonthLabel = m.Month().String() + " " + strconv.Itoa(m.Year())
	}
	// The sites are decided on every request from the user read with the
	// session: the dashboard's cache holds every site.
	d, err := s.reports.HR(c.UserContext(), today, f)
	if err != nil {
		return err
	}
	v.HRDashboard = d
	v.SiteRows = siteTable(append(d.Sites, d.Total))
	v.Chart = expiryChart(today, d.Months[:])
	q := url.Values{}
	for k, val := range map[string]string{"status": v.Filter, "role": v.Role, "credential": v.Credential, "site": v.Site, "month": v.Month} {
		if val != "" {
			q.Set(k, val)
		}
	}
	v.Pager = newPager("/hr", q, d.Page, d.Matching, hrPerPage)
	return s.render(c, fiber.StatusOK, "hr", Page{Title: "Certifications", Nav: "hr", Data: v})
}

// monthKey writes d's month as the month filter does (YYYY-MM).
func monthKey(d curriculum.Date) string { return fmt.Sprintf("%04d-%02d", d.Year(), int(d.Month())) }

// expiryChart draws expirations per month as an inline SVG bar chart
// (server-rendered, no script), with the numbers written on the bars.
func expiryChart(today curriculum.Date, counts []int) template.HTML {
	maxN := 1
	for _, n := range counts {
		maxN = max(maxN, n)
	}
	// top leaves room for the count above the tallest bar.
	const w, h, bar, top = 600, 180, 40, 18
	var b strings.Builder
	// Each bar is a link to the list of that month's expirations.
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" aria-labelledby="chart-title" class="chart"><title id="chart-title">Credential expirations per month, next 12 months; each month links to its list</title>`, w, top+h+24)
	for i, n := range counts {
		month := today.AddMonths(i)
		bh := n * h / maxN
		x := 10 + i*(bar+8)
		// The link's name is its visible text ("3 Dec"): a fuller
		// aria-label would not contain it (WCAG 2.5.3, label in name).
		fmt.Fprintf(&b, `<a href="/hr?month=%s#list"><rect x="%d" y="%d" width="%d" height="%d" class="bar"></rect><rect x="%d" y="%d" width="%d" height="%d" class="hit"></rect>`,
			monthKey(month), x, top+h-bh, bar, bh, x, top, bar, h)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="n">%d</text>`, x+bar/2, top+h-bh-4, n)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="m">%s</text></a>`, x+bar/2, top+h+16, month.Month().String()[:3])
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from numbers and month names only
}
