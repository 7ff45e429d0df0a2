package report

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// Progress shows "files done / total" for a run of many scenario files on
// a terminal, rewriting one line in place, and writes nothing when its
// output is not a terminal (a CI log, a pipe, a file), so logs hold only
// results. It is safe for concurrent use: runs finish on several
// goroutines.
type Progress struct {
	mu       sync.Mutex
	out      io.Writer
	terminal bool
	total    int
	done     int
	width    int // of the last line written, to blank it out
}

// NewProgress returns the progress of total files written to out. out is a
// terminal when it is an *os.File on a character device (the test the
// standard library allows without a terminal package; /dev/null is one
// too, and nothing is lost writing there).
func NewProgress(out io.Writer, total int) *Progress {
	return newProgress(out, total, isTerminal(out))
}

func newProgress(out io.Writer, total int, terminal bool) *Progress {
	return &Progress{out: out, terminal: terminal, total: total}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// Done counts one more file done; name is the file just finished, shown
// after the count.
func (p *Progress) Done(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if !p.terminal {
		return
	}
	line := fmt.Sprintf("%d/%d files  %s", p.done, p.total, name)
	p.write(line)
}

// Finish clears the progress line so that what follows starts on a clean
// line.
func (p *Progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.terminal && p.width > 0 {
		p.write("")
		p.width = 0
	}
}

// write replaces the current line: carriage return, the text, and spaces
// over what is left of a longer previous line (no escape sequences, so any
// terminal shows it right).
func (p *Progress) write(line string) {
	pad := max(p.width-len(line), 0)
	fmt.Fprintf(p.out, "\r%s%*s\r%s", line, pad, "", line)
	if line == "" {
		fmt.Fprint(p.out, "\r")
	}
	p.width = len(line)
}
