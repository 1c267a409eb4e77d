package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// Issue 16 item 5: 50 concurrent anonymous POSTs of a 20 MB multipart
// field (to a route that does not exist, and to the login form) are
// refused without the server reading their bodies: each gets its answer
// while the client is still sending, and the process allocates a small
// fraction of what the bodies hold. Before, every body was read and parsed
// (1 GB here) before anyone looked at who was asking.
//
// Not parallel: it measures the process's allocations (TotalAlloc, which
// only grows, so the figure does not depend on when it is read).
func TestAnonymousBodiesAreRefusedUnread(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		addr := strings.TrimPrefix(serve(t, e), "http://")
		const clients, size = 50, 20 << 20
		chunk := bytes.Repeat([]byte("x"), 64<<10) // what every client sends, over and over
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		statuses := make([]int, clients)
		var wg sync.WaitGroup
		for i := range clients {
			wg.Go(func() {
				path := "/nonexistent"
				if i%2 == 1 {
					path = "/login"
				}
				statuses[i] = postUnread(t, addr, path, size, chunk)
			})
		}
		wg.Wait()
		runtime.ReadMemStats(&after)
		for i, s := range statuses {
			if s != http.StatusRequestEntityTooLarge && s != http.StatusForbidden {
				t.Fatalf("request %d: %d, want 413 (or 403)", i, s)
			}
		}
		allocated := after.TotalAlloc - before.TotalAlloc
		t.Logf("%d anonymous 20 MB posts: %d MB allocated by the whole process", clients, allocated>>20)
		if allocated > 100<<20 {
			t.Fatalf("%d anonymous 20 MB posts made the process allocate %d MB (the bodies are %d MB)", clients, allocated>>20, clients*size>>20)
		}
	})
}

// postUnread sends a multipart POST announcing size bytes and keeps
// sending until the server answers or closes, and returns the status. The
// answer must come while the body is still being sent (the server has not
// read it); the deadline only stops a hang.
func postUnread(t *testing.T, addr, path string, size int, chunk []byte) int {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	const boundary = "sgboundary"
	head := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"notes\"\r\n\r\n"
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\n\r\n%s", path, boundary, size, head)
	sent := make(chan int64, 1)
	go func() {
		var n int64
		for n < int64(size-len(head)) {
			m, err := conn.Write(chunk)
			n += int64(m)
			if err != nil {
				break
			}
		}
		sent <- n
	}()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Errorf("POST %s: %v", path, err)
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	conn.Close() // ends the writer if the server has not
	if n := <-sent; n >= int64(size-len(head)) && res.StatusCode != http.StatusForbidden {
		t.Errorf("POST %s: the whole body was sent before the answer", path)
	}
	return res.StatusCode
}
