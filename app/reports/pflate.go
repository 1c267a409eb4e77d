package reports

import (
	"bytes"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/flate"
)

// parallelFlate deflates its input a block at a time on several
// goroutines, as pigz does: each block is compressed on its own, with the
// window before it as dictionary, and ends with a sync flush, so the
// blocks' outputs written in order are one deflate stream. A sheet's rows
// are compressed as the export writes them (rowFile), so its compression
// runs on the processors that reading and deciding leave idle rather than
// on the writer's goroutine alone.
type parallelFlate struct {
	out  io.Writer
	buf  []byte // the block being filled
	dict []byte // the window before buf
	// queue holds the blocks being compressed, in order; the goroutine
	// writeOut writes their output and sends its error on wrote.
	queue chan chan flateBlock
	wrote chan error
}

type flateBlock struct {
	out *bytes.Buffer
	err error
}

const (
	flateBlockSize = 1 << 20
	flateWindow    = 32 << 10
)

// flateWriters are compressors (of zipLevel), flateInputs blocks and
// flateOutputs their output, kept for the next block: a sheet is a
// thousand blocks.
var flateWriters, flateInputs, flateOutputs sync.Pool

// newParallelFlate deflates into out at zipLevel.
func newParallelFlate(out io.Writer) *parallelFlate { return &parallelFlate{out: out} }

func (p *parallelFlate) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		if p.buf == nil {
			if b, ok := flateInputs.Get().(*[]byte); ok {
				p.buf = *b
			} else {
				p.buf = make([]byte, 0, flateBlockSize)
			}
		}
		k := min(len(b), flateBlockSize-len(p.buf))
		p.buf = append(p.buf, b[:k]...)
		b = b[k:]
		if len(p.buf) == flateBlockSize {
			p.submit()
		}
	}
	return n, nil
}

// submit starts compressing the full block.
func (p *parallelFlate) submit() {
	if p.queue == nil {
		p.queue = make(chan chan flateBlock, runtime.GOMAXPROCS(0))
		p.wrote = make(chan error, 1)
		go p.writeOut()
	}
	block, dict := p.buf, p.dict
	// The window is copied so that the block can be reused once it is
	// compressed.
	p.buf, p.dict = nil, bytes.Clone(block[max(0, len(block)-flateWindow):])
	done := make(chan flateBlock, 1)
	p.queue <- done // waits while as many blocks as processors are in flight
	go func() {
		b := p.compress(block, dict)
		block = block[:0]
		flateInputs.Put(&block)
		done <- b
	}()
}

// compress deflates block after dict, ending with a sync flush (not the
// final block).
func (p *parallelFlate) compress(block, dict []byte) flateBlock {
	out, _ := flateOutputs.Get().(*bytes.Buffer)
	if out == nil {
		out = bytes.NewBuffer(make([]byte, 0, len(block)/8))
	}
	fw, _ := flateWriters.Get().(*flate.Writer)
	if fw == nil {
		var err error
		if fw, err = flate.NewWriterDict(out, zipLevel, dict); err != nil {
			return flateBlock{err: err}
		}
	} else {
		fw.ResetDict(out, dict)
	}
	_, err := fw.Write(block)
	if err == nil {
		err = fw.Flush()
	}
	fw.ResetDict(nil, nil) // lets go of out and dict
	flateWriters.Put(fw)
	return flateBlock{out, err}
}

// writeOut writes the blocks' output in order; after an error it only
// waits for the rest.
func (p *parallelFlate) writeOut() {
	var err error
	for done := range p.queue {
		b := <-done
		if err == nil {
			if err = b.err; err == nil {
				_, err = b.out.WriteTo(p.out)
			}
		}
		if b.out != nil {
			b.out.Reset()
			flateOutputs.Put(b.out)
		}
	}
	p.wrote <- err
}

// Close compresses what is left and ends the stream.
func (p *parallelFlate) Close() error { return p.end(true) }

// end compresses what is left, and with final ends the stream; without,
// the output ends on a byte boundary (a sync flush) and more deflate
// blocks may follow it.
func (p *parallelFlate) end(final bool) error {
	if p.queue == nil {
		// Less than a block (most parts of a workbook): compressed here.
		fw, err := flate.NewWriter(p.out, zipLevel)
		if err != nil {
			return err
		}
		if _, err := fw.Write(p.buf); err != nil {
			return err
		}
		if final {
			return fw.Close()
		}
		return fw.Flush()
	}
	if len(p.buf) > 0 {
		p.submit()
	}
	close(p.queue)
	if err := <-p.wrote; err != nil || !final {
		return err
	}
	// The final block: an empty one, which needs no window.
	fw, err := flate.NewWriter(p.out, zipLevel)
	if err != nil {
		return err
	}
	return fw.Close()
}
