package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// terminal draws a command's progress on stderr when stderr is a
// terminal: one line, redrawn in place, naming the phase (verifying,
// creating the venv, installing, resolving), the item it is at with a
// count, the bytes of a download and the time spent; cleared when the
// phase ends. Other lines written to stderr meanwhile (a warning, -v
// output) clear it first and redraw it after, so that nothing is written
// over. It is the engine's Reporter.
type terminal struct {
	mu     sync.Mutex
	w      io.Writer
	bar    *progressbar.ProgressBar
	phase  string
	total  int
	n      int
	item   string
	bytes  string
	drawn  time.Time // when Bytes last redrew
	ticker *time.Ticker
	done   chan struct{}
}

func newTerminal(w io.Writer) *terminal { return &terminal{w: w} }

// Start begins a phase: a bar with a count, or a spinner when the number
// of items is not known, so that a long step without items (a resolution,
// a venv's creation) still shows it is alive.
func (t *terminal) Start(phase string, total int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopLocked()
	t.phase, t.total, t.n, t.item, t.bytes = phase, total, 0, "", ""
	max := total
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(t.w),
		progressbar.OptionSetDescription(t.describe()),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(24),
	}
	if total > 0 {
		opts = append(opts, progressbar.OptionShowCount())
	} else {
		max = -1
		// The spinner turns when this terminal redraws it, never on a
		// clock of the bar's own, which would write past the lock that
		// keeps it off other lines.
		opts = append(opts, progressbar.OptionSpinnerType(14), progressbar.OptionSetSpinnerChangeInterval(0))
	}
	t.bar = progressbar.NewOptions(max, opts...)
	t.bar.RenderBlank()
	// Redrawn on a clock, so that the spinner turns and the elapsed time
	// moves between items.
	t.ticker, t.done = time.NewTicker(200*time.Millisecond), make(chan struct{})
	go func(bar *progressbar.ProgressBar, tick *time.Ticker, done chan struct{}) {
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				t.mu.Lock()
				if t.bar == bar {
					bar.RenderBlank()
				}
				t.mu.Unlock()
			}
		}
	}(t.bar, t.ticker, t.done)
}

// Item moves the phase to its next item.
func (t *terminal) Item(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.bar == nil {
		return
	}
	t.n++
	t.item, t.bytes = name, ""
	t.bar.Describe(t.describe())
	if t.total > 0 {
		t.bar.Set(min(t.n, t.total))
	} else {
		t.bar.Add(0)
	}
	t.drawn = time.Now()
}

// Bytes shows the download of the current item.
func (t *terminal) Bytes(done, total int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.bar == nil {
		return
	}
	t.bytes = humanBytes(done)
	if total > 0 {
		t.bytes += " / " + humanBytes(total)
	}
	// A download reports every buffer it reads: redraw at most every
	// 80 ms (the clock redraws the rest). Items are drawn as they come.
	if time.Since(t.drawn) < 80*time.Millisecond && done != total {
		return
	}
	t.drawn = time.Now()
	t.bar.Describe(t.describe())
}

// Stop ends the phase and clears its line.
func (t *terminal) Stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopLocked()
}

func (t *terminal) stopLocked() {
	if t.bar == nil {
		return
	}
	t.ticker.Stop()
	close(t.done)
	// Exit first: a spinner's own clock must not draw it again.
	t.bar.Exit()
	t.bar.Clear()
	t.bar = nil
}

func (t *terminal) describe() string {
	d := t.phase
	if t.item != "" {
		d += " " + Escape(t.item)
	}
	if t.bytes != "" {
		d += " (" + t.bytes + ")"
	}
	return d
}

// download is the engine's Progress: a writer counting a download's bytes
// into the current phase's line.
func (t *terminal) download(name string, total int64) io.Writer {
	return &byteCounter{t: t, total: total}
}

type byteCounter struct {
	t     *terminal
	n     int64
	total int64
	last  time.Time
}

func (c *byteCounter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	if now := time.Now(); now.Sub(c.last) > 100*time.Millisecond || c.n == c.total {
		c.last = now
		c.t.Bytes(c.n, c.total)
	}
	return len(p), nil
}

// Writer is w (stderr) made to share the line with the bar: each write
// clears the bar first and redraws it after.
func (t *terminal) Writer(w io.Writer) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.bar != nil {
			t.bar.Clear()
		}
		n, err := w.Write(p)
		if t.bar != nil && strings.HasSuffix(string(p), "\n") {
			t.bar.RenderBlank()
		}
		return n, err
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
