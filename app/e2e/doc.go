// Package e2e holds Skillgate's browser tests: the real server, started
// in-process on a free port, driven by Debian's Chromium through chromedp.
// The tests skip (saying why) when Chromium is not installed; .ci/run
// installs it. Screenshots of each step go to e2e-screenshots/ at the
// repository root (ignored by git), for a person to look at.
package e2e
