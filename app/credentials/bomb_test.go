package credentials_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/skillgate/skillgate/app/credentials"
)

// memoryBound is what refusing a hostile file may add to the heap, garbage
// included. Parsing the largest legitimate import costs about as much.
const memoryBound = 100 << 20

// peakHeapGrowth runs fn and returns the most the heap (live objects and
// not yet collected garbage) grew above its level before fn, sampled every
// millisecond. Sampling can miss a short peak between samples, never
// invent one; the garbage counted makes it an over-estimate of live memory.
func peakHeapGrowth(fn func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC()
	base := read()
	var peak atomic.Uint64
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			default:
				runtime.Gosched()
			}
		}
	}()
	fn()
	if v := read(); v > peak.Load() {
		peak.Store(v)
	}
	close(done)
	<-stopped
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

// zeros is a deflate stream of n MiB of zero bytes (see repeated).
// A GiB takes about 1 MB.
func zeros(t testing.TB, mib int) (stream []byte, crc uint32) {
	t.Helper()
	return repeated(t, make([]byte, 1<<20), flate.BestCompression, mib)
}

// repeated is a deflate stream of unit (1 MiB) written mib times, built
// without compressing them all: once the compressor's window holds only
// what unit repeats, every flushed MiB compresses to the same bytes, so
// that segment is repeated. Compressing tens of MiB took minutes under the
// race detector.
func repeated(t testing.TB, unit []byte, level, mib int) (stream []byte, crc uint32) {
	t.Helper()
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, level)
	var marks []int
	for range 3 {
		w.Write(unit)
		w.Flush()
		marks = append(marks, b.Len())
	}
	w.Close()
	head, seg, tail := b.Bytes()[:marks[0]], b.Bytes()[marks[0]:marks[1]], b.Bytes()[marks[2]:]
	if !bytes.Equal(seg, b.Bytes()[marks[1]:marks[2]]) {
		t.Fatal("the compressor's steady-state segment is not stable")
	}
	var out bytes.Buffer
	out.Write(head)
	for range mib - 1 {
		out.Write(seg)
		crc = crc32.Update(crc, crc32.IEEETable, unit)
	}
	crc = crc32.Update(crc, crc32.IEEETable, unit)
	out.Write(tail)
	return out.Bytes(), crc
}

// lowEntropyPart is a deflated part of mib MiB as lowEntropy writes them,
// with its header, for workbook's raw parts.
func lowEntropyPart(t testing.TB, name string, mib int) (*zip.FileHeader, []byte) {
	t.Helper()
	var unit bytes.Buffer
	lowEntropy(1 << 20)(&unit)
	stream, crc := repeated(t, unit.Bytes(), flate.HuffmanOnly, mib)
	return &zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(len(stream)), UncompressedSize64: uint64(mib) << 20}, stream
}

func deflate(t testing.TB, s string) ([]byte, int) {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestSpeed)
	io.WriteString(w, s)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), len(s)
}

func TestZerosStreamIsWhatItClaims(t *testing.T) {
	stream, crc := zeros(t, 5)
	got, err := io.ReadAll(flate.NewReader(bytes.NewReader(stream)))
	if err != nil || len(got) != 5<<20 || crc32.ChecksumIEEE(got) != crc || bytes.ContainsFunc(got, func(r rune) bool { return r != 0 }) {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
}

func TestLowEntropyPartIsWhatItClaims(t *testing.T) {
	h, stream := lowEntropyPart(t, "x", 3)
	got, err := io.ReadAll(flate.NewReader(bytes.NewReader(stream)))
	var want bytes.Buffer
	lowEntropy(3 << 20)(&want)
	if err != nil || !bytes.Equal(got, want.Bytes()) || crc32.ChecksumIEEE(got) != h.CRC32 || uint64(len(got)) != h.UncompressedSize64 {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
	if len(stream) > 1<<20 {
		t.Fatalf("3 MiB packed to %d bytes; Huffman coding should pack them about 8 times", len(stream))
	}
}

// workbook copies the import template's parts, replacing or adding parts:
// raw parts are written as given (already deflated) with their header.
func workbook(t testing.TB, replace map[string]func(io.Writer), raw map[*zip.FileHeader][]byte) []byte {
	t.Helper()
	tmpl, err := credentials.Template(credentials.FormatXLSX, "")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(tmpl), int64(len(tmpl)))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	// Huffman coding without matching is quick, also under the race
	// detector, and still packs the low-entropy parts below enough.
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.HuffmanOnly) })
	for _, f := range zr.File {
		if _, ok := replace[f.Name]; ok {
			continue
		}
		skip := false
		for h := range raw {
			skip = skip || h.Name == f.Name
		}
		if skip {
			continue
		}
		w, _ := zw.Create(f.Name)
		r, _ := f.Open()
		io.Copy(w, r)
		r.Close()
	}
	for name, write := range replace {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		write(w)
	}
	for h, data := range raw {
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sharedStrings writes a shared-strings part of n random two-letter texts.
func sharedStrings(n int) func(io.Writer) {
	return func(w io.Writer) {
		const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		rng := rand.New(rand.NewPCG(1, 2))
		b := []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
		for range n {
			b = append(b, "<si><t>"...)
			b = append(b, letters[rng.IntN(len(letters))], letters[rng.IntN(len(letters))])
			b = append(b, "</t></si>"...)
		}
		w.Write(append(b, "</sst>"...))
	}
}

// lowEntropy writes n bytes of random 'a's and 'b's (1 MiB repeated):
// Huffman coding packs it about 8 times, well under the ratio that marks
// a bomb.
func lowEntropy(n int) func(io.Writer) {
	return func(w io.Writer) {
		rng := rand.New(rand.NewPCG(3, 4))
		buf := make([]byte, 1<<20)
		for i := 0; i < len(buf); i += 64 {
			bits := rng.Uint64()
			for j := range 64 {
				buf[i+j] = 'a' + byte(bits>>j&1)
			}
		}
		for written := 0; written < n; written += len(buf) {
			w.Write(buf[:min(len(buf), n-written)])
		}
	}
}

// Hostile workbooks are refused with a message saying why, and refusing
// them keeps memory bounded.
func TestHostileWorkbooksAreRefusedInBoundedMemory(t *testing.T) {
	gib, gibCRC := zeros(t, 1024)
	if len(gib) > 2<<20 {
		t.Fatalf("a GiB of zeros deflated to %d bytes", len(gib))
	}
	sheet := func(name string, claimed uint64) *zip.FileHeader {
		return &zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: gibCRC,
			CompressedSize64: uint64(len(gib)), UncompressedSize64: claimed}
	}
	sheetXML, sheetLen := deflate(t, `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>employee_id</t></is></c></row></sheetData></worksheet>`)
	// Stored, not deflated: a compressor for each of 10,000 parts took
	// a minute under the race detector.
	manyParts := map[*zip.FileHeader][]byte{}
	for i := range 10000 {
		x := []byte("<x/>")
		manyParts[&zip.FileHeader{Name: fmt.Sprintf("xl/media/part%d.xml", i), Method: zip.Store, CRC32: crc32.ChecksumIEEE(x),
			CompressedSize64: uint64(len(x)), UncompressedSize64: uint64(len(x))}] = x
	}
	bigParts := map[*zip.FileHeader][]byte{}
	for i := range 5 {
		h, data := lowEntropyPart(t, fmt.Sprintf("xl/media/image%d.bin", i), 14)
		bigParts[h] = data
	}
	bigStrings, bigStringsData := lowEntropyPart(t, "xl/sharedStrings.xml", 17)
	cases := []struct {
		name string
		file []byte
		kind error
		says string
	}{
		{"a sheet of 1 GiB of zeros", workbook(t, nil, map[*zip.FileHeader][]byte{sheet("xl/worksheets/sheet1.xml", 1<<30): gib}),
			credentials.ErrUnsafeArchive, "unpacks to more than 150 MB"},
		{"1 GiB of zeros behind a directory entry claiming 2 KB", workbook(t, nil, map[*zip.FileHeader][]byte{sheet("xl/worksheets/sheet1.xml", 2048): gib}),
			credentials.ErrUnreadable, "damaged"},
		{"shared strings of 1 GiB of zeros claiming 2 KB", workbook(t, nil, map[*zip.FileHeader][]byte{sheet("xl/sharedStrings.xml", 2048): gib}),
			credentials.ErrUnreadable, "damaged"},
		{"10,000 parts", workbook(t, nil, manyParts), credentials.ErrUnsafeArchive, "parts (at most 500)"},
		{"a sheet with a wrong checksum", workbook(t, nil, map[*zip.FileHeader][]byte{
			{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CRC32: 1, CompressedSize64: uint64(len(sheetXML)), UncompressedSize64: uint64(sheetLen)}: sheetXML}),
			credentials.ErrUnreadable, "damaged"},
		{"shared strings over 16 MB", workbook(t, nil, map[*zip.FileHeader][]byte{bigStrings: bigStringsData}),
			credentials.ErrUnsafeArchive, `part "xl/sharedStrings.xml" unpacks to more than 16 MB`},
		{"400,001 shared strings", workbook(t, map[string]func(io.Writer){"xl/sharedStrings.xml": sharedStrings(400_001)}, nil),
			credentials.ErrUnsafeArchive, "more than 400000 different texts"},
		{"70 MB of other parts", workbook(t, nil, bigParts), credentials.ErrUnsafeArchive, "other than the worksheets unpack to more than 64 MB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if len(c.file) > credentials.MaxUploadSize {
				t.Fatalf("the test file is %d MB, over the upload limit", len(c.file)>>20)
			}
			var err error
			grew := peakHeapGrowth(func() { _, err = credentials.Parse("people.xlsx", bytes.NewReader(c.file)) })
			if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("got %v; want %v saying %q", err, c.kind, c.says)
			}
			t.Logf("%d KB file refused; heap grew by at most %d MB: %v", len(c.file)>>10, grew>>20, err)
			if grew > memoryBound {
				t.Errorf("refusing it grew the heap by %d MB", grew>>20)
			}
		})
	}
}

// Within the limits a workbook with many shared strings still imports.
func TestManySharedStringsWithinLimitsAreRead(t *testing.T) {
	file := workbook(t, map[string]func(io.Writer){"xl/sharedStrings.xml": sharedStrings(100_000)}, nil)
	var p *credentials.Preview
	var err error
	grew := peakHeapGrowth(func() { p, err = credentials.Parse("people.xlsx", bytes.NewReader(file)) })
	if err != nil || p.DataRows != 1 {
		t.Fatalf("%v, %+v", err, p)
	}
	t.Logf("%d KB file read; heap grew by at most %d MB", len(file)>>10, grew>>20)
	if grew > memoryBound {
		t.Errorf("reading it grew the heap by %d MB", grew>>20)
	}
}

// endless yields n bytes of one letter without holding them.
type endless struct {
	n    int64
	fill byte
}

func (e *endless) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), e.n)
	for i := range k {
		p[i] = e.fill
	}
	e.n -= k
	return int(k), nil
}

func TestHugeCSVsAreRefusedInBoundedMemory(t *testing.T) {
	t.Run("a line of a billion characters", func(t *testing.T) {
		var err error
		grew := peakHeapGrowth(func() {
			_, err = credentials.Parse("people.csv", io.MultiReader(strings.NewReader("employee_id,name\nE1,"), &endless{n: 1e9, fill: 'a'}))
		})
		if !errors.Is(err, credentials.ErrUploadTooLarge) || !strings.Contains(err.Error(), "larger than 20 MB") {
			t.Fatalf("got %v", err)
		}
		if grew > memoryBound {
			t.Errorf("refusing it grew the heap by %d MB", grew>>20)
		}
	})
	t.Run("three million rows", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("employee_id,name\n")
		for range 3_000_000 {
			b.WriteString("E\n")
		}
		file := b.String()
		var err error
		grew := peakHeapGrowth(func() { _, err = credentials.Parse("people.csv", strings.NewReader(file)) })
		if !errors.Is(err, credentials.ErrTooManyRows) || !strings.Contains(err.Error(), "more than 50000 rows") {
			t.Fatalf("got %v", err)
		}
		if grew > memoryBound {
			t.Errorf("refusing it grew the heap by %d MB", grew>>20)
		}
	})
}
