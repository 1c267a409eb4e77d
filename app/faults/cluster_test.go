//go:build unix

package faults_test

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cluster is a private PostgreSQL server in a temporary directory, so the
// test can restart it without disturbing the shared one other tests use.
type cluster struct {
	bin, dir string
	port     int
	as       *syscall.Credential // the postgres user when running as root
}

func (c *cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *cluster) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// startCluster runs initdb and starts the server on a free loopback port.
// PostgreSQL refuses to run as root, so as root it runs as the postgres
// user. Without initdb, or that user, the test is skipped (failed in CI).
func startCluster(t *testing.T) *cluster {
	t.Helper()
	bin := postgresBinDir()
	if bin == "" {
		skipOrFail(t, "postgres crash test skipped: initdb not found (install PostgreSQL's server package; looked in pg_config --bindir and /usr/lib/postgresql/*/bin)")
	}
	c := &cluster{bin: bin, port: freePort(t)}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			skipOrFail(t, "postgres crash test skipped: running as root and there is no postgres user to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.as = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	dir, err := os.MkdirTemp("", "skillgate-crash-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() {
		_ = c.pgctl("stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	if c.as != nil {
		if err := os.Chown(dir, int(c.as.Uid), int(c.as.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.exec("initdb", "-D", c.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "-N"); err != nil {
		t.Fatal(err)
	}
	// Loopback TCP only (no socket file); fsync stays on, as in production.
	conf := fmt.Sprintf("\nport = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n", c.port)
	f, err := os.OpenFile(filepath.Join(c.data(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := c.pgctl("start"); err != nil {
		t.Fatal(err)
	}
	return c
}

// restart stops PostgreSQL the way a crash does (immediate: no checkpoint,
// every connection dropped, recovery from the WAL at start) and starts it.
func (c *cluster) restart() error { return c.pgctl("restart", "-m", "immediate") }

func (c *cluster) pgctl(args ...string) error {
	return c.exec(filepath.Join(c.bin, "pg_ctl"), append([]string{"-D", c.data(), "-l", filepath.Join(c.dir, "postgres.log"), "-w", "-t", "60"}, args...)...)
}

// exec runs a PostgreSQL program (as the postgres user when root). Output
// goes to a file, not a pipe: the server pg_ctl starts outlives it.
func (c *cluster) exec(name string, args ...string) error {
	if !strings.Contains(name, "/") {
		name = filepath.Join(c.bin, name)
	}
	out, err := os.CreateTemp(c.dir, "cmd-*.out")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = c.dir, out, out
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LANG=C", "LC_ALL=C"}
	if c.as != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.as}
	}
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b, _ := os.ReadFile(out.Name())
		log, _ := os.ReadFile(filepath.Join(c.dir, "postgres.log"))
		return fmt.Errorf("%s %s (after %s): %v\n%s\n--- postgres.log:\n%s", filepath.Base(name), strings.Join(args, " "), time.Since(start).Round(time.Millisecond), err, b, tail(log))
	}
	return nil
}

func tail(b []byte) string {
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// postgresBinDir finds the directory holding initdb and pg_ctl: pg_config
// --bindir, or the newest /usr/lib/postgresql/*/bin (Debian keeps them off
// the PATH).
func postgresBinDir() string {
	var dirs []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(found, func(a, b string) int { return versionOf(b) - versionOf(a) })
	dirs = append(dirs, found...)
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
				return d
			}
		}
	}
	return ""
}

func versionOf(bindir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(bindir)))
	return n
}
