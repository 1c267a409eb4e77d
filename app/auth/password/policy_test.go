package password

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		plain   string
		context []string
		want    error
	}{
		// Length is counted in code points after NFKC, not bytes.
		{"empty", "", nil, ErrTooShort},
		{"14 ascii", strings.Repeat("a", 13) + "b", nil, ErrTooShort},
		{"15 ascii", "bright yellow k", nil, nil},
		{"14 two-byte letters", strings.Repeat("é", 14), nil, ErrTooShort},
		{"15 two-byte letters", "éàèùâêîôûëïüçœæ", nil, nil},
		{"14 four-byte emoji", strings.Repeat("🐈", 14), nil, ErrTooShort},
		{"15 four-byte emoji", "🐈🐕🐄🐖🐑🐐🐓🦆🦢🦉🐟🐢🐍🦎🐝", nil, nil},
		{"14 CJK", "我的密码是一个很长的句子好吗", nil, ErrTooShort},
		{"15 CJK", "我的密码是一个很长的句子好吗啊", nil, nil},
		// 8 combining sequences (16 code points) compose to 8 under NFKC.
		{"decomposed counts once", strings.Repeat("e\u0301", 8), nil, ErrTooShort},
		// The "ﬃ" ligature is one code point that NFKC expands to three:
		// 14 code points as typed, 16 after NFKC.
		{"ligature expands", "o\ufb03ce hours now", nil, nil},
		{"256", runes(strings.Repeat("the quick brown fox jumps over the lazy dog ", 6), 256), nil, nil},
		{"257", strings.Repeat("ab", 128) + "c", nil, ErrTooLong},
		{"256 multi-byte", runes(strings.Repeat("éàèùâêîôûëïüçœæ", 18), 256), nil, nil},
		{"257 multi-byte", strings.Repeat("ü", 257), nil, ErrTooLong},
		{"64-char passphrase", "the quick brown fox jumps over the lazy dog near the clinic door", nil, nil},
		// No composition rules: all lower case, no digits or symbols.
		{"letters and spaces only", "my patients come first always", nil, nil},

		// Entries of the embedded list that are long enough to pass the
		// length check, so only the list can catch them.
		{"common", "passwordpassword", nil, ErrCommon},
		{"common upper case", "PASSWORDPASSWORD", nil, ErrCommon},
		{"common mixed case", "PassWordPassWord", nil, ErrCommon},
		{"common keyboard walk", "1qaz2wsx3edc4rfv", nil, ErrCommon},
		{"common digits", "123456789987654321", nil, ErrCommon},
		{"common plus suffix", "passwordpassword!", nil, nil},
		// Full-width letters are NFKC-equivalent to ASCII.
		{"common full-width", "ｐａｓｓｗｏｒｄｐａｓｓｗｏｒｄ", nil, ErrCommon},

		{"context email", "Jane.Doe@clinic.example is me", []string{"jane.doe@clinic.example"}, ErrContext},
		{"context email local part", "i am janedoe and love my job", []string{"jane.doe@clinic.example"}, ErrContext},
		{"context name any case and spacing", "JANE-DOE works at the front desk", []string{"Jane Doe"}, ErrContext},
		{"context equals", "Jane Doe Smithsonian", []string{"jane doe smithsonian"}, ErrContext},
		{"context site name", "skillgate skillgate skillgate", []string{"Skillgate"}, ErrContext},
		{"context second of several", "welcome to mariposa county", []string{"", "jane@x.example", "Mariposa"}, ErrContext},
		{"context unrelated", "the quick brown fox jumps", []string{"jane.doe@clinic.example", "Jane Doe"}, nil},
		{"context too short ignored", "alphabet soup for dinner", []string{"Al"}, nil},
		{"context empty ignored", "alphabet soup for dinner", []string{"", "  ", "@"}, nil},
		// Predictable runs (issue 16 item 6), each with its own message.
		{"repeated character", "aaaaaaaaaaaaaaa", nil, ErrRepeated},
		{"repeated pair", "abababababababab", nil, ErrRepeated},
		{"repeated triple with spaces", "abc abc abc abc abc", nil, ErrRepeated},
		{"repeated emoji", strings.Repeat("🐈", 15), nil, ErrRepeated},
		{"repeated multi-byte", strings.Repeat("ü", 20), nil, ErrRepeated},
		{"digit sequence wrapping", "123456789012345", nil, ErrSequence},
		{"descending digits", "987654321098765", nil, ErrSequence},
		{"alphabet", "abcdefghijklmnop", nil, ErrSequence},
		{"alphabet backwards, upper case", "ZYXWVUTSRQPONMLK", nil, ErrSequence},
		{"keyboard walk", "qwertyuiopasdfgh", nil, ErrKeyboard},
		{"keyboard walk backwards", "lkjhgfdsapoiuytr", nil, ErrKeyboard},
		{"keyboard walk with a few extras", "qwertyuiop asdf 12", nil, ErrKeyboard},
		{"mixed runs", "aaaa1234qwerzzzz", nil, ErrRepeated},
		// A short run inside a real phrase is chance, not a pattern.
		{"runs by chance", "power certain abc lessons 2026", nil, nil},
		{"double letters", "bookkeeper committee coffee", nil, nil},
		// The product's name and the published passwords.
		{"product name", "Skillgate2026!!!!", nil, ErrProduct},
		{"product name spaced", "my SKILL-GATE login is long", nil, ErrProduct},
		{"demo password", "skillgate-demo-2026", nil, ErrDemo},
		{"demo password upper case", "SKILLGATE-DEMO-2026", nil, ErrDemo},
		{"scale password", "skillgate-scale-2026", nil, ErrDemo},

		// Length is checked first, so a short password gets the message
		// that helps most.
		{"short and common", "password", nil, ErrTooShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Check(tt.plain, tt.context...); !errors.Is(err, tt.want) {
				t.Errorf("Check(%q, %q) = %v, want %v", tt.plain, tt.context, err, tt.want)
			}
		})
	}
}

// runes is the first n code points of s.
func runes(s string, n int) string { return string([]rune(s)[:n]) }

func TestPolicyErrorsAreForPeople(t *testing.T) {
	for _, err := range []error{ErrTooShort, ErrTooLong, ErrCommon, ErrContext, ErrRepeated, ErrSequence, ErrKeyboard, ErrProduct, ErrDemo} {
		msg := err.Error()
		if strings.HasPrefix(msg, "password:") || !strings.HasSuffix(msg, ".") {
			t.Errorf("message %q does not read as a sentence for an end user", msg)
		}
	}
	if !strings.Contains(ErrTooShort.Error(), "15") || !strings.Contains(ErrTooLong.Error(), "256") {
		t.Error("length messages out of step with MinLength and MaxLength")
	}
}

// TestCommonPasswordsFile checks the embedded file itself: large enough,
// in the promised format, and in frequency order.
func TestCommonPasswordsFile(t *testing.T) {
	r, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(lines) < 10_000 {
		t.Fatalf("list has %d entries, want at least 10,000", len(lines))
	}
	for i, l := range lines {
		if l == "" || l != strings.ToLower(l) || strings.TrimSpace(l) != l || !utf8.ValidString(l) {
			t.Fatalf("line %d %q: want non-empty, lower-case, trimmed UTF-8", i+1, l)
		}
	}
	// The most frequent passwords come first.
	for i, want := range []string{"123456", "password", "12345678", "qwerty"} {
		if lines[i] != want {
			t.Errorf("line %d = %q, want %q", i+1, lines[i], want)
		}
	}
	if got := len(commonPasswords()); got != len(lines) {
		t.Errorf("loaded %d distinct entries from %d lines", got, len(lines))
	}
	for _, l := range []string{"passwordpassword", "1qaz2wsx3edc4rfv", "123456789987654321", "iloveyou", "trustno1"} {
		if !isCommon(l) {
			t.Errorf("%q is missing from the list", l)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	commonPasswords() // load outside the timed loop
	for b.Loop() {
		_ = Check("the quick brown fox jumps over the lazy dog", "jane.doe@clinic.example", "Jane Doe")
	}
}
