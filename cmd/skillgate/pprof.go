//go:build pprof

// Built only with -tags pprof (as `make bench` can do for profiling): serves
// net/http/pprof on $SKILLGATE_PPROF_ADDR (e.g. 127.0.0.1:6060), never in a
// normal build.
package main

import (
	"log"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on the default mux
	"os"
	"runtime"
	"time"
)

func init() {
	if addr := os.Getenv("SKILLGATE_PPROF_ADDR"); addr != "" {
		// Where requests wait (locks, channels, the connection pool), not
		// only where they compute: /debug/pprof/block and /mutex.
		runtime.SetBlockProfileRate(int(100 * time.Microsecond))
		runtime.SetMutexProfileFraction(10)
		go func() { log.Println(http.ListenAndServe(addr, nil)) }()
	}
}
