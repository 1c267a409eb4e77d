package password

// Predictable runs: the same few characters repeated, alphabet or digit
// sequences, keyboard walks. A password whose letters and digits are
// nearly all covered by such runs is refused, with the message of the kind
// that covers most of it; a good passphrase may hold a short run by chance
// ("power" has the keyboard run "wer") and is not affected.
const (
	// minRun is the shortest run counted.
	minRun = 3
	// minFree is how many letters and digits must lie outside runs.
	minFree = 8
	// maxRepeatUnit is the longest unit counted as repeated ("abcabc").
	maxRepeatUnit = 3
)

// keyboardRows are the rows of a US keyboard, read both ways; a walk
// continuing from one row's end into the next ("…op" then "as…") counts,
// as people type it.
var keyboardRows = []string{"1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"}

// predictable returns ErrRepeated, ErrSequence or ErrKeyboard when runs of
// that kind leave fewer than minFree characters of s (letters and digits,
// lower-case, spaces removed) uncovered, and nil otherwise.
func predictable(s string) error {
	rs := []rune(s)
	if len(rs) == 0 {
		return nil
	}
	kinds := []struct {
		err  error
		mark func([]rune) []bool
	}{
		{ErrRepeated, repeatedRuns},
		{ErrSequence, sequenceRuns},
		{ErrKeyboard, keyboardRuns},
	}
	covered := make([]bool, len(rs))
	var worst error
	most := 0
	for _, k := range kinds {
		m := k.mark(rs)
		n := 0
		for i, on := range m {
			if on {
				n++
				covered[i] = true
			}
		}
		if n > most {
			most, worst = n, k.err
		}
	}
	free := 0
	for _, on := range covered {
		if !on {
			free++
		}
	}
	if free < minFree {
		return worst
	}
	return nil
}

// markRuns marks the positions of every maximal run in which each
// character follows the previous by step (a run of at least minRun).
func markRuns(rs []rune, step func(prev, cur rune) bool) []bool {
	m := make([]bool, len(rs))
	start := 0
	for i := 1; i <= len(rs); i++ {
		if i < len(rs) && step(rs[i-1], rs[i]) {
			continue
		}
		if i-start >= minRun {
			for j := start; j < i; j++ {
				m[j] = true
			}
		}
		start = i
	}
	return m
}

// repeatedRuns marks stretches that repeat a unit of one to maxRepeatUnit
// characters at least minRun characters long in all ("aaa", "ababab").
func repeatedRuns(rs []rune) []bool {
	m := make([]bool, len(rs))
	for unit := 1; unit <= maxRepeatUnit; unit++ {
		start := 0
		for i := unit; i <= len(rs); i++ {
			if i < len(rs) && rs[i] == rs[i-unit] {
				continue
			}
			// rs[start:i] repeats its first unit characters.
			if n := i - start; n >= max(minRun, 2*unit) {
				for j := start; j < i; j++ {
					m[j] = true
				}
			}
			start = max(i-unit+1, 0)
		}
	}
	return m
}

// sequenceRuns marks ascending or descending runs of letters or digits
// ("abcd", "4321"); digits wrap around ("7890123").
func sequenceRuns(rs []rune) []bool {
	step := func(d rune) func(prev, cur rune) bool {
		return func(prev, cur rune) bool {
			if isDigit(prev) && isDigit(cur) {
				return (prev-'0'+10+d)%10 == cur-'0'
			}
			return isLetter(prev) && isLetter(cur) && prev+d == cur
		}
	}
	return union(markRuns(rs, step(1)), markRuns(rs, step(-1)))
}

// keyboardRuns marks walks between neighbouring keys, either way.
func keyboardRuns(rs []rune) []bool {
	walk := func(d int) func(prev, cur rune) bool {
		return func(prev, cur rune) bool {
			p, ok1 := keyboardPos[prev]
			c, ok2 := keyboardPos[cur]
			return ok1 && ok2 && p+d == c
		}
	}
	return union(markRuns(rs, walk(1)), markRuns(rs, walk(-1)))
}

// keyboardPos numbers the keys in keyboardRows' reading order.
var keyboardPos = func() map[rune]int {
	pos := map[rune]int{}
	i := 0
	for _, row := range keyboardRows {
		for _, r := range row {
			pos[r] = i
			i++
		}
	}
	return pos
}()

func union(a, b []bool) []bool {
	for i := range a {
		a[i] = a[i] || b[i]
	}
	return a
}

func isDigit(r rune) bool  { return r >= '0' && r <= '9' }
func isLetter(r rune) bool { return r >= 'a' && r <= 'z' }
