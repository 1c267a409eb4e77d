package password

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"sync"
)

// commonPasswordsGz is the list of commonly used passwords, one per line,
// lower-cased, most frequent first. It is embedded because the server cannot
// fetch anything at run time, and gzipped because that halves its size in
// the binary and the repository. README.md names its source and licence.
//
//go:embed common-passwords.txt.gz
var commonPasswordsGz []byte

// commonPasswords decodes the list on first use rather than at start-up:
// only sign-ups and password changes need it, and decoding costs about
// 10 ms and 2 MiB of heap.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set, err := parseList(commonPasswordsGz)
	if err != nil {
		// The file is part of the build, so this is a broken build, which
		// the package tests catch; silently accepting every password
		// would be worse than failing loudly.
		panic(fmt.Sprintf("password: embedded common-passwords.txt.gz: %v", err))
	}
	return set
})

func parseList(gz []byte) (map[string]struct{}, error) {
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	set := make(map[string]struct{}, 50_000)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			set[line] = struct{}{}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return set, nil
}

// isCommon reports whether lower, which must already be NFKC-normalized and
// lower-cased, is on the list.
func isCommon(lower string) bool {
	_, ok := commonPasswords()[lower]
	return ok
}
