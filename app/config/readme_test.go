package config

import (
	"os"
	"strings"
	"testing"
)

// The README's configuration table must list every setting with its
// default, so the documentation cannot fall behind the code.
func TestREADMEListsEverySetting(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, s := range Settings {
		row := ""
		for _, line := range strings.Split(readme, "\n") {
			if strings.HasPrefix(line, "| `"+s.Env+"`") {
				row = line
			}
		}
		if row == "" {
			t.Errorf("README has no row for %s", s.Env)
			continue
		}
		if !strings.Contains(row, "`--"+s.Flag+"`") {
			t.Errorf("README row for %s does not name --%s", s.Env, s.Flag)
		}
		if s.Default != "" && !strings.Contains(row, "`"+s.Default+"`") {
			t.Errorf("README row for %s does not give the default %q", s.Env, s.Default)
		}
	}
}
