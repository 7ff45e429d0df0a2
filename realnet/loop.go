package realnet

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// postQueue is how many posted closures may wait before Post blocks: socket
// readers then slow down instead of the loop buffering without bound.
const postQueue = 256

// Loop runs closures one at a time on one goroutine, the one that called
// Run. Cores are only touched from inside those closures.
type Loop struct {
	Log zerolog.Logger

	posts   chan func()
	done    chan struct{} // closed when Run begins shutting down
	wg      sync.WaitGroup
	mu      sync.Mutex // guards closers and closed (sockets register from any goroutine)
	closers []io.Closer
	// owned holds the connections' closers until each connection ends
	// (ownUntil): a long-running host whose peers come and go must not
	// keep one closer per connection it ever had.
	owned     map[uint64]io.Closer
	nextOwned uint64
	closed    bool
}

// NewLoop returns a loop that logs to log.
func NewLoop(log zerolog.Logger) *Loop {
	return &Loop{Log: log, posts: make(chan func(), postQueue), done: make(chan struct{})}
}

// Now is the wall clock, for the cores' now arguments.
func (l *Loop) Now() time.Time { return time.Now() }

// Done is closed when the loop shuts down.
func (l *Loop) Done() <-chan struct{} { return l.done }

// Post asks the loop to run fn. It is safe from any goroutine and reports
// false when the loop is shutting down (fn is then dropped). Code already
// on the loop calls what it wants directly: a Post from the loop goroutine
// would wait forever on a full queue.
func (l *Loop) Post(fn func()) bool {
	select {
	case <-l.done:
		return false
	default:
	}
	select {
	case l.posts <- fn:
		return true
	case <-l.done:
		return false
	}
}

// Go starts a goroutine that Run waits for on shutdown. fn must return once
// Done is closed (or the socket it reads is closed).
func (l *Loop) Go(fn func()) { l.wg.Go(fn) }

// own registers a socket that Run closes on shutdown; a socket registered
// after shutdown is closed at once.
func (l *Loop) own(c io.Closer) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		c.Close()
		return
	}
	l.closers = append(l.closers, c)
	l.mu.Unlock()
}

// ownUntil registers a connection that Run closes on shutdown unless the
// returned release was called first (the connection ended on its own).
func (l *Loop) ownUntil(c io.Closer) (release func()) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		c.Close()
		return func() {}
	}
	if l.owned == nil {
		l.owned = map[uint64]io.Closer{}
	}
	l.nextOwned++
	id := l.nextOwned
	l.owned[id] = c
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		delete(l.owned, id)
		l.mu.Unlock()
	}
}

// Run runs posted closures until ctx ends, then shuts down: it closes the
// sockets, drops pending closures, and waits for the loop's goroutines.
// It returns ctx's error cause.
func (l *Loop) Run(ctx context.Context) error {
	for {
		select {
		case fn := <-l.posts:
			fn()
		case <-ctx.Done():
			l.shutdown()
			return context.Cause(ctx)
		}
	}
}

func (l *Loop) shutdown() {
	close(l.done)
	l.mu.Lock()
	l.closed = true
	closers := l.closers
	for _, c := range l.owned {
		closers = append(closers, c)
	}
	l.closers, l.owned = nil, nil
	l.mu.Unlock()
	for _, c := range closers {
		if err := c.Close(); err != nil {
			l.Log.Debug().Err(err).Msg("close on shutdown")
		}
	}
	// Readers blocked in Post see done; drain so none waits on a full queue.
	waited := make(chan struct{})
	go func() { l.wg.Wait(); close(waited) }()
	for {
		select {
		case <-l.posts:
		case <-waited:
			return
		}
	}
}
