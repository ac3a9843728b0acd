// Command w3cbench generates deterministic W3C logs and times w3clog on
// them; scripts/bench-w3clog.sh drives it.
//
//	w3cbench gen -o FILE -size BYTES [-seed N]
//	w3cbench analyze [-stream] FILE
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/iiskerb/iiskerb/diagnose/w3clog"
	"github.com/iiskerb/iiskerb/diagnose/w3clog/internal/gen"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "w3cbench:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: w3cbench gen|analyze [flags]")
	}
	switch args[0] {
	case "gen":
		fs := flag.NewFlagSet("gen", flag.ContinueOnError)
		out := fs.String("o", "", "output file")
		size := fs.Int64("size", 1<<30, "approximate size in bytes")
		seed := fs.Uint64("seed", 1, "seed")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 4<<20)
		st, err := gen.Write(w, gen.Config{Seed: *seed, Size: *size, HeaderEvery: 256 << 20})
		if err == nil {
			err = w.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		fmt.Printf("generated %s: %d bytes, %d lines, %d requests, %d 401 (%d handshake, %d failed)\n",
			*out, st.Bytes, st.Lines, st.Requests, st.Status401, st.Handshake, st.Failed)
		return nil
	case "analyze":
		fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
		stream := fs.Bool("stream", false, "use the streaming path")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return errors.New("analyze needs one file")
		}
		ctx := context.Background()
		start := time.Now()
		var s *w3clog.Summary
		if *stream {
			f, err := os.Open(fs.Arg(0))
			if err != nil {
				return err
			}
			defer f.Close()
			a := w3clog.NewAnalyzer(nil)
			if err := a.Add(ctx, fs.Arg(0), f); err != nil {
				return err
			}
			s = a.Result()
		} else {
			var err error
			s, err = w3clog.AnalyzeFile(ctx, fs.Arg(0), nil)
			if err != nil {
				return err
			}
		}
		el := time.Since(start)
		fmt.Printf("analyzed: %d lines, %d requests, %d unread, %d 401 (%d handshake, %d failed), %d groups, %d warnings in %.3fs\n",
			s.Lines, s.Requests, s.Unread, s.Unauthorized, s.Handshake, s.Failed, len(s.Groups), s.WarningCount, el.Seconds())
		return nil
	}
	return fmt.Errorf("unknown command %q", args[0])
}
