package reports

import (
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"testing"
)

// TestParallelFlateIsOneStream: what parallelFlate writes inflates (with
// the standard library) to exactly its input: nothing, a little, and
// several blocks whose matches reach back into the block before.
func TestParallelFlateIsOneStream(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var rows bytes.Buffer
	for i := 0; rows.Len() < 3*flateBlockSize+12345; i++ {
		fmt.Fprintf(&rows, `<row r="%d"><c r="A%d" t="inlineStr"><is><t>Person %d</t></is></c><c r="B%d"><v>%d</v></c></row>`, i, i, rng.IntN(5000), i, rng.IntN(1e6))
	}
	for _, in := range [][]byte{nil, []byte("<sheetData></sheetData>"), rows.Bytes()} {
		var out bytes.Buffer
		w := newParallelFlate(&out)
		// In uneven writes, as io.Copy and excelize make them.
		for b := in; len(b) > 0; {
			n := min(len(b), 1+rng.IntN(100000))
			if _, err := w.Write(b[:n]); err != nil {
				t.Fatal(err)
			}
			b = b[n:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(flate.NewReader(&out))
		if err != nil {
			t.Fatalf("%d bytes in: %v", len(in), err)
		}
		if !bytes.Equal(got, in) {
			t.Fatalf("%d bytes in, %d out, not the same", len(in), len(got))
		}
		if len(in) > flateBlockSize && out.Len() > len(in)/3 {
			t.Fatalf("%d bytes deflated to %d", len(in), out.Len())
		}
	}
}

// TestCRC32Combine: the CRC-32 of two parts put together is that of the
// whole, for parts of every size around the powers of two.
func TestCRC32Combine(t *testing.T) {
	data := make([]byte, 70000)
	for i := range data {
		data[i] = byte(i*7 + i>>8)
	}
	for _, cut := range []int{0, 1, 2, 3, 4, 5, 8, 31, 32, 33, 1000, 4096, 65536, 69999, 70000} {
		a, b := data[:cut], data[cut:]
		if got, want := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b))), crc32.ChecksumIEEE(data); got != want {
			t.Fatalf("cut at %d: %08x, want %08x", cut, got, want)
		}
	}
}
