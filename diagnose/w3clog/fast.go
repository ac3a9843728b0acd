package w3clog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/iiskerb/iiskerb/internal/textenc"
)

// AnalyzeFile analyses one W3C log file like Analyzer.Add, but splits it
// into chunks at line boundaries and classifies them in parallel
// (Options.Workers goroutines, default GOMAXPROCS), in memory bounded by
// the workers' chunk buffers and Options.MaxGroups. The result
// is identical to the streaming path's. Each chunk starts with the #Fields
// layout known when it is dispatched; a chunk that guessed wrong (a
// #Fields change just before it) is classified again before merging.
// UTF-16 files are handled by the streaming path.
func AnalyzeFile(ctx context.Context, path string, opts *Options) (*Summary, error) {
	o := opts.withDefaults()
	t, err := fileTally(ctx, path, 0, &o)
	if err != nil {
		return nil, err
	}
	s := t.summary(&o)
	s.Files = 1
	return s, nil
}

type chunkJob struct {
	i          int
	start, end int64
	assumed    *layout
	// begun and guess are the state of the lines before the chunk (a
	// non-empty line was seen; the field set of the last line read
	// without #Fields), known when the chunk is classified again.
	begun bool
	guess *knownLayout
}

type chunkRes struct {
	job        chunkJob
	t          *tally
	prefixData bool
	endLay     *layout
	begun      bool
	endGuess   *knownLayout
	err        error
}

func fileTally(ctx context.Context, path string, order int, o *Options) (*tally, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("w3clog: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("w3clog: %w", err)
	}
	return readerAtTally(ctx, path, order, f, st.Size(), o)
}

// AddReaderAt analyses size bytes of r with the parallel fast path (see
// AnalyzeFile) and adds them to the Analyzer; name is used in locators.
// Use it for an open *os.File whose name in findings differs from its path.
func (a *Analyzer) AddReaderAt(ctx context.Context, name string, r io.ReaderAt, size int64) error {
	return a.add(readerAtTally(ctx, name, a.files, r, size, &a.opts))
}

func readerAtTally(ctx context.Context, path string, order int, f io.ReaderAt, size int64, o *Options) (*tally, error) {
	head := make([]byte, min(size, 64<<10))
	if _, err := f.ReadAt(head, 0); err != nil && !(errors.Is(err, io.EOF) && len(head) == int(size)) {
		return nil, fmt.Errorf("w3clog: %s: %w", path, err)
	}
	_, enc, err := textenc.NewReader(bytes.NewReader(head))
	if err != nil {
		return nil, fmt.Errorf("w3clog: %s: %w", path, err)
	}
	var base int64
	switch enc {
	case textenc.UTF16LE, textenc.UTF16BE:
		return streamTally(ctx, path, order, io.NewSectionReader(f, 0, size), o)
	case textenc.UTF8BOM:
		base = 3
	}
	// The first #Fields of the file is the guess for every chunk until
	// merged chunks say otherwise.
	var guess *layout
	i := bytes.Index(head[base:], []byte("\n#Fields:")) + 1
	if !bytes.HasPrefix(head[base:], []byte("#Fields:")) {
		if i > 0 {
			i += int(base)
		} else {
			i = -1
		}
	} else {
		i = int(base)
	}
	if i >= 0 {
		rest := head[i+len("#Fields:"):]
		if j := bytes.IndexByte(rest, '\n'); j >= 0 {
			guess = parseFields(bytes.TrimRight(rest[:j], "\r"))
		}
	}

	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	cs := o.ChunkSize
	nchunks := int((size - base + cs - 1) / cs)
	if nchunks == 0 {
		nchunks = 1
	}
	ctx, cancel := context.WithCancel(ctx)

	var mu sync.Mutex
	known := guess
	jobs := make(chan chunkJob)
	results := make(chan chunkRes, nchunks)
	sem := make(chan struct{}, 2*workers)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(jobs)
		for i := range nchunks {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			start := base + int64(i)*cs
			end := min(start+cs, size)
			mu.Lock()
			assumed := known
			mu.Unlock()
			if i == 0 {
				assumed = nil // the file's start needs no guess
			}
			select {
			case jobs <- chunkJob{i: i, start: start, end: end, assumed: assumed}:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newChunker(f, size, base)
			for j := range jobs {
				if ctx.Err() != nil {
					results <- chunkRes{job: j, err: ctx.Err()}
					continue
				}
				results <- c.run(ctx, path, order, o, j, j.i > 0)
			}
		}()
	}
	defer func() {
		cancel() // unblocks the dispatcher before waiting for it
		wg.Wait()
	}()

	total := newTally()
	held := make(map[int]chunkRes)
	var endLay *layout
	var begun bool
	var lastGuess *knownLayout
	var lineOff int64
	var redo *chunker
	for next := 0; next < nchunks; {
		var r chunkRes
		select {
		case r = <-results:
		case <-ctx.Done():
			return nil, fmt.Errorf("w3clog: %s: %w", path, ctx.Err())
		}
		held[r.job.i] = r
		for {
			r, ok := held[next]
			if !ok {
				break
			}
			delete(held, next)
			if r.err != nil {
				return nil, r.err
			}
			if r.job.i > 0 && r.prefixData && (r.job.assumed == nil || !r.job.assumed.equal(endLay)) {
				if redo == nil {
					redo = newChunker(f, size, base)
				}
				j := r.job
				j.assumed, j.begun, j.guess = endLay, begun, lastGuess
				r = redo.run(ctx, path, order, o, j, false)
				if r.err != nil {
					var fe *FormatError
					if errors.As(r.err, &fe) {
						fe.Line += lineOff
					}
					return nil, r.err
				}
			}
			if r.endLay != nil || r.job.i == 0 {
				endLay = r.endLay
			}
			begun = begun || r.begun
			if r.endGuess != nil {
				lastGuess = r.endGuess
			}
			total.merge(r.t, lineOff, o.MaxWarnings, o.MaxGroups)
			lineOff += r.t.lines
			mu.Lock()
			known = endLay
			mu.Unlock()
			<-sem
			next++
		}
	}
	return total, nil
}

// chunker reads lines of one file for one worker.
type chunker struct {
	f      io.ReaderAt
	size   int64
	base   int64
	buf    []byte
	bufOff int64 // absolute offset of buf[0]
	n      int   // valid bytes in buf
	pos    int64 // absolute offset of the next line
}

func newChunker(f io.ReaderAt, size, base int64) *chunker {
	return &chunker{f: f, size: size, base: base}
}

// readSize is the size of one read: small enough that the buffer stays
// in the CPU cache while its lines are classified.
const readSize = 256 << 10

// buffered returns the bytes buffered from c.pos (empty when c.pos is not
// in the buffer).
func (c *chunker) buffered() []byte {
	if c.pos < c.bufOff || c.pos > c.bufOff+int64(c.n) {
		return nil
	}
	return c.buf[c.pos-c.bufOff : c.n]
}

// more keeps the bytes buffered from c.pos (at most maxLine of them: a
// partial line) and reads up to readSize bytes after them. Reading only
// when no whole line is left keeps the copy to a line's tail; keeping a
// window of maxLine bytes ahead instead moved 1 MiB per 256 KiB read.
func (c *chunker) more() error {
	if c.buf == nil {
		// A small file (a pasted excerpt) needs no more than its size.
		c.buf = make([]byte, min(readSize+maxLine+1, c.size+1))
	}
	keep := copy(c.buf, c.buffered())
	from := c.pos + int64(keep)
	want := min(int64(len(c.buf)-keep), readSize, c.size-from)
	n, err := c.f.ReadAt(c.buf[keep:keep+int(want)], from)
	if err != nil && !(errors.Is(err, io.EOF) && int64(n) == want) {
		return err
	}
	c.bufOff, c.n = c.pos, keep+n
	return nil
}

// next returns the line at c.pos (without newline) or tooLong. last is true
// for the file's last line when it does not end in '\n'. ok is false at
// EOF.
func (c *chunker) next() (line []byte, tooLong, last, ok bool, err error) {
	if c.pos >= c.size {
		return nil, false, false, false, nil
	}
	for {
		b := c.buffered()
		if j := bytes.IndexByte(b, '\n'); j >= 0 {
			c.pos += int64(j) + 1
			if j > maxLine {
				return nil, true, false, true, nil
			}
			return b[:j], false, false, true, nil
		}
		if len(b) > 0 && c.bufOff+int64(c.n) == c.size {
			c.pos = c.size
			if len(b) > maxLine {
				return nil, true, false, true, nil
			}
			return b, false, true, true, nil
		}
		if len(b) > maxLine {
			// More than maxLine bytes without a newline.
			return nil, true, false, true, c.skipLine()
		}
		if err := c.more(); err != nil {
			return nil, false, false, false, err
		}
	}
}

// feed passes one line from next to p.
func feed(p *proc, line []byte, long, last bool) {
	switch {
	case long:
		p.tooLong()
	case last:
		p.lastLine(line)
	default:
		p.line(line)
	}
}

// skipLine moves c.pos past the next newline (or to EOF).
func (c *chunker) skipLine() error {
	for c.pos < c.size {
		b := c.buffered()
		if j := bytes.IndexByte(b, '\n'); j >= 0 {
			c.pos += int64(j) + 1
			return nil
		}
		if c.pos += int64(len(b)); c.pos >= c.size {
			return nil
		}
		if err := c.more(); err != nil {
			return err
		}
	}
	return nil
}

// run classifies the lines that start in [j.start, j.end), then reads on
// (lookahead) until the NTLM challenge legs of the chunk are settled.
func (c *chunker) run(ctx context.Context, path string, order int, o *Options, j chunkJob, speculative bool) chunkRes {
	p := newProc(path, order, o, j.assumed)
	p.speculative = speculative
	p.begun, p.guess = j.begun, j.guess
	res := chunkRes{job: j}
	c.pos = j.start
	c.bufOff, c.n = 0, 0
	if j.start > c.base {
		// A line belongs to the chunk it starts in: skip the tail of the
		// line that straddles the boundary.
		c.pos = j.start - 1
		if err := c.skipLine(); err != nil {
			res.err = fmt.Errorf("w3clog: %s: %w", path, err)
			return res
		}
	}
	for c.pos < j.end {
		line, long, last, ok, err := c.next()
		if err != nil {
			res.err = fmt.Errorf("w3clog: %s: %w", path, err)
			return res
		}
		if !ok {
			break
		}
		feed(p, line, long, last)
		if p.err != nil {
			res.err = p.err
			return res
		}
	}
	res.prefixData = p.prefixData
	res.endLay = p.lay
	if !p.sawFields {
		res.endLay = nil // the chunk does not determine the layout
	}
	res.begun, res.endGuess = p.begun, p.guess
	p.lookahead = true
	for n := 0; p.qhead < len(p.queue); n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			res.err = ctx.Err()
			return res
		}
		line, long, last, ok, err := c.next()
		if err != nil {
			res.err = fmt.Errorf("w3clog: %s: %w", path, err)
			return res
		}
		if !ok {
			break
		}
		feed(p, line, long, last)
	}
	p.finish()
	res.t = p.t
	return res
}
