package exec

import "time"

// Clock is the engine's source of time: idle-timeout watermarks, batch
// timing and statistics read it, never time.Now directly, so tests can
// drive time (a fake Clock, or testing/synctest with the wall clock).
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTicker returns a ticker that fires every d. The caller must Stop it.
	NewTicker(d time.Duration) Ticker
}

// Ticker delivers ticks like time.Ticker: a tick that the receiver is not
// ready for is dropped, so an overrunning batch is followed by at most one
// immediate tick rather than a burst.
type Ticker interface {
	// C returns the channel the ticks arrive on.
	C() <-chan time.Time
	// Stop turns the ticker off; no tick arrives after it returns.
	Stop()
}

// wallClock is the default Clock: package time.
type wallClock struct{}

var _ Clock = wallClock{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) NewTicker(d time.Duration) Ticker { return wallTicker{time.NewTicker(d)} }

type wallTicker struct{ t *time.Ticker }

func (w wallTicker) C() <-chan time.Time { return w.t.C }
func (w wallTicker) Stop()               { w.t.Stop() }

// Now is the engine clock's time; SQL's now() reads it, so tests with a
// fake Clock see a fixed now().
func (e *Engine) Now() time.Time { return e.opts.Clock.Now() }
