package server_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/demo"
)

// sofficePath finds LibreOffice. Without it the check is skipped locally,
// but never in CI (CI=true), where .ci/run installs it.
func sofficePath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"soffice", "libreoffice"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("LibreOffice (soffice) is not installed, and CI must check that the reports open in it: apt-get install libreoffice-calc-nogui")
	}
	t.Skip("LibreOffice (soffice) is not installed; install libreoffice-calc-nogui to check that the reports open in it")
	return ""
}

// TestReportsOpenInLibreOffice converts each of the five workbooks to CSV
// with LibreOffice, every sheet, and checks that each sheet was read and
// holds values we know are there. LibreOffice's CSV filter writes only the
// first sheet unless its 12th token (sheet number) is -1, which since 7.2
// writes one file per sheet, named <file>-<sheet>.csv.
func TestReportsOpenInLibreOffice(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		soffice := sofficePath(t)
		withDemo(t, e)
		dir := e.client()
		dir.login("director@demo.test", demo.Password)
		asOf := e.clock.Now().In(e.cfg.Location()).Format("2006-01-02")
		out := t.TempDir()
		// name -> values that must appear in its report sheet
		want := map[string][]string{
			"certifications": {"Riley Nguyen", "Basic Life Support", "Expired"},
			"clearances":     {"Jordan Lee", "Venipuncture", "Direct supervision only"},
			"signoffs":       {"Casey Brooks", "Dr. Marcus Hale", "PHL-VENI"},
			"progress":       {"Jordan Lee", "PHL-VENI", "Not signed off"},
			"hours":          {"Apprentice", "Work process or course", "Sam Carter"}, // the demo has hours
		}
		sheets := map[string]string{"certifications": "Certifications", "clearances": "Clearances", "signoffs": "Sign-offs",
			"progress": "Progress", "hours": "Hours"}
		var files []string
		for name := range want {
			r := dir.get("/reports/" + name + ".xlsx?as_of=" + asOf)
			openXLSX(t, r) // excelize reads it too
			path := filepath.Join(out, name+".xlsx")
			if err := os.WriteFile(path, []byte(r.body), 0o600); err != nil {
				t.Fatal(err)
			}
			files = append(files, path)
		}
		sofficeToCSV(t, soffice, out, files...)
		for name, values := range want {
			data := readCSV(t, filepath.Join(out, name+"-"+sheets[name]+".csv"))
			for _, v := range values {
				if !strings.Contains(data, v) {
					t.Errorf("LibreOffice's reading of %s.xlsx lacks %q:\n%.600s", name, v, data)
				}
			}
			about := readCSV(t, filepath.Join(out, name+"-About.csv"))
			if !strings.Contains(about, "director@demo.test") || !strings.Contains(about, asOf) {
				t.Errorf("LibreOffice's reading of %s.xlsx's About sheet lacks the author or the as-of date %s:\n%s", name, asOf, about)
			}
		}
		// Times are date-times in the organisation's zone, named in the
		// header, and shown with their format.
		signoffs := readCSV(t, filepath.Join(out, "signoffs-Sign-offs.csv"))
		if !strings.Contains(signoffs, "Signed at ("+e.cfg.Location().String()+")") || !dateTimeCell.MatchString(signoffs) {
			t.Errorf("no zoned date-time column in LibreOffice's sign-offs sheet:\n%.600s", signoffs)
		}
		// Dates are read as dates and shown with their format, not as serials.
		if certs := readCSV(t, filepath.Join(out, "certifications-Certifications.csv")); !dateCell.MatchString(certs) {
			t.Errorf("no yyyy-mm-dd date in LibreOffice's certifications sheet:\n%.600s", certs)
		}
	})
}

// sofficeToCSV has LibreOffice read the workbooks files and write each
// sheet of each as CSV into out, as <file>-<sheet>.csv (one conversion).
//
// Conversions run one at a time in this process, and one that LibreOffice
// aborts (killed by a signal, as it sometimes is while it sets up a fresh
// profile next to another starting instance: "terminate called after
// throwing … WrappedTargetRuntimeException", exit status 134) is tried
// once more. A workbook LibreOffice cannot read fails both times.
func sofficeToCSV(t *testing.T, soffice, out string, files ...string) {
	t.Helper()
	sofficeMu.Lock()
	defer sofficeMu.Unlock()
	for attempt := 1; ; attempt++ {
		msg, err := sofficeConvert(t, soffice, out, files)
		if err == nil {
			return
		}
		var exit *exec.ExitError
		if attempt == 1 && errors.As(err, &exit) && (exit.ExitCode() == 134 || !exit.Exited()) {
			t.Logf("soffice aborted (%v), trying once more:\n%s", err, msg)
			continue
		}
		t.Fatalf("soffice: %v\n%s", err, msg)
	}
}

// sofficeMu keeps LibreOffice conversions of this test binary one at a time.
var sofficeMu sync.Mutex

// sofficeConvert runs one conversion, with a private profile: parallel
// runs (other packages) would otherwise fight over ~/.config/libreoffice.
func sofficeConvert(t *testing.T, soffice, out string, files []string) ([]byte, error) {
	profile := "file://" + filepath.Join(t.TempDir(), "profile")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := append([]string{"-env:UserInstallation=" + profile, "--headless", "--norestore",
		"--convert-to", `csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1`, "--outdir", out}, files...)
	cmd := exec.CommandContext(ctx, soffice, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	return cmd.CombinedOutput()
}

var dateTimeCell = regexp.MustCompile(`(?m)(^|,)20[0-9]{2}-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9](,|$)`)

var dateCell = regexp.MustCompile(`(?m)(^|,)20[0-9]{2}-[01][0-9]-[0-3][0-9](,|$)`)

func readCSV(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		entries, _ := os.ReadDir(filepath.Dir(path))
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("LibreOffice did not write %s (a sheet it did not read?): %v; files: %v", filepath.Base(path), err, names)
	}
	return string(b)
}
