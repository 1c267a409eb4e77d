package server_test

import (
	"html"
	"regexp"
	"strconv"
)

var (
	inputRE    = regexp.MustCompile(`<input[^>]*>`)
	selectRE   = regexp.MustCompile(`(?s)(<select[^>]*>)(.*?)</select>`)
	selectedRE = regexp.MustCompile(`<option value="([^"]*)"[^>]* selected`)
	optionRE   = regexp.MustCompile(`<option value="([^"]*)"`)
	textareaRE = regexp.MustCompile(`(?s)(<textarea[^>]*>)(.*?)</textarea>`)
)

func attr(tag, name string) string {
	m := regexp.MustCompile(`\s` + name + `="([^"]*)"`).FindStringSubmatch(tag)
	if m == nil {
		return ""
	}
	return m[1]
}

func htmlUnescape(s string) string { return html.UnescapeString(s) }

func itoa(n int) string { return strconv.Itoa(n) }
