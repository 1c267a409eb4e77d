package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/reports"
)

// reportLink is one entry of the reports index.
type reportLink struct{ Path, Title string }

// reportsIndex lists every report (each page has its .xlsx), and for
// directors the closest-to-clearance ranking, so staff reach them from
// the navigation rather than only from the HR page.
func (s *Server) reportsIndex(c *fiber.Ctx) error {
	links := []reportLink{{clearancesReport.Path, clearancesReport.Title}, {progressReport.Path, progressReport.Title},
		{certificationsReport.Path, certificationsReport.Title}, {signOffsReport.Path, signOffsReport.Title}, {hoursReport.Path, hoursReport.Title},
		{evaluationsReport.Path, evaluationsReport.Title}}
	if hrStaff.Allows(currentUser(c)) {
		links = append(links, reportLink{rapidsPath, reports.RAPIDSTitle})
	}
	if wageApprovers.Allows(currentUser(c)) {
		links = append(links, reportLink{wagesReport.Path, wagesReport.Title})
	}
	if directors.Allows(currentUser(c)) {
		links = append([]reportLink{{"/cohort/closest", "Closest to clearance: the cohort ranked by what is left for a task"}}, links...)
	}
	return s.render(c, fiber.StatusOK, "reports", Page{Title: "Reports", Nav: "reports", Data: links})
}
