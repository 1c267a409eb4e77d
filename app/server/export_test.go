package server

// SetPageCaps lowers the cohort grid's and closest-to-clearance's row caps
// for a test, so a small cohort reaches them.
func (s *Server) SetPageCaps(cohortMaxRows, closestPageRows int) {
	s.caps = pageCaps{cohortMaxRows: cohortMaxRows, closestPageRows: closestPageRows}
}
