package server

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/curriculum"
)

// The HR dashboard's page. What it shows is computed and cached by
// reports.Service.HR; this handler reads the filters, passes the sites the
// user may see, and renders.

// hrPerPage is how many rows of the attention list a page shows.
const hrPerPage = 50

type hrView struct {
	*reports.HRDashboard
	Today   curriculum.Date
	Pager   pager
	Chart   template.HTML
	Filter  string
	Role    string
	Filters []option
	Roles   []option
}

func (s *Server) hrDashboard(c *fiber.Ctx) error {
	today := curriculum.DateOf(s.now(), s.cfg.Location())
	v := hrView{Today: today, Filter: c.Query("status"), Role: c.Query("role"),
		Roles: []option{{"", "Apprentices and preceptors"}, {"apprentice", "Apprentices"}, {"preceptor", "Preceptors"}}, Filters: []option{
			{"", "Everything needing attention"}, {"expired", "Expired"}, {"30", "Expiring within 30 days"}, {"60", "Expiring within 60 days"},
			{"90", "Expiring within 90 days"}, {"missing", "Missing"}, {"grace", "Missing, within grace"}, {"unverified", "Not verified"}}}
	// The sites are decided on every request from the user read with the
	// session: the dashboard's cache holds every site.
	d, err := s.reports.HR(c.UserContext(), today, reports.HRFilter{Sites: visibleSites(currentUser(c)), Status: v.Filter, Role: v.Role,
		Page: pageParam(c), PerPage: hrPerPage})
	if err != nil {
		return err
	}
	v.HRDashboard = d
	v.Chart = expiryChart(today, d.Months[:])
	q := url.Values{}
	for k, val := range map[string]string{"status": v.Filter, "role": v.Role} {
		if val != "" {
			q.Set(k, val)
		}
	}
	v.Pager = newPager("/hr", q, d.Page, d.Matching, hrPerPage)
	return s.render(c, fiber.StatusOK, "hr", Page{Title: "Certifications", Nav: "hr", Data: v})
}

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
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title" class="chart"><title id="chart-title">Credential expirations per month, next 12 months</title>`, w, top+h+24)
	for i, n := range counts {
		month := today.AddMonths(i)
		bh := n * h / maxN
		x := 10 + i*(bar+8)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" class="bar"><title>%s %d: %d</title></rect>`, x, top+h-bh, bar, bh, month.Month().String()[:3], month.Year(), n)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="n">%d</text>`, x+bar/2, top+h-bh-4, n)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="m">%s</text>`, x+bar/2, top+h+16, month.Month().String()[:3])
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from numbers and month names only
}
