// Package web holds Skillgate's HTML templates and static assets, embedded
// in the binary so that nothing is loaded from elsewhere at run time.
package web

import "embed"

// Templates holds layout.html, partials/*.html and one file per page.
//
//go:embed templates
var Templates embed.FS

// Static holds the stylesheet, script and icons served under /static/.
//
//go:embed static
var Static embed.FS
