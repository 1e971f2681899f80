package exec

import (
	"context"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
)

// outbox hands result batches from the driver to Query.Next in order. It
// is a queue rather than a channel so that its bound can depend on how the
// batch was triggered (see driver.deliver): batches run by the ticker wait
// while the queue holds bound batches (backpressure on the source), while
// batches run inside ProcessAllAvailable never wait, so a caller may call
// ProcessAllAvailable and then drain Next from one goroutine.
type outbox struct {
	// mu guards q, the queued batches; the outbox owns them until taken.
	mu struct {
		sync.Mutex
		q []arrow.RecordBatch
	}
	ready chan struct{} // capacity 1: signalled after a put
	taken chan struct{} // capacity 1: signalled after a take
}

func newOutbox() *outbox {
	return &outbox{ready: make(chan struct{}, 1), taken: make(chan struct{}, 1)}
}

// put queues b, taking ownership of it. With bound > 0 it first waits until
// fewer than bound batches are queued; if ctx ends meanwhile, put releases
// b and returns the ctx's cause.
func (o *outbox) put(ctx context.Context, b arrow.RecordBatch, bound int) error {
	for {
		o.mu.Lock()
		if bound <= 0 || len(o.mu.q) < bound {
			o.mu.q = append(o.mu.q, b)
			o.mu.Unlock()
			signal(o.ready)
			return nil
		}
		o.mu.Unlock()
		select {
		case <-o.taken:
		case <-ctx.Done():
			b.Release()
			return context.Cause(ctx)
		}
	}
}

// tryTake returns the oldest queued batch, which the caller then owns.
func (o *outbox) tryTake() (arrow.RecordBatch, bool) {
	o.mu.Lock()
	if len(o.mu.q) == 0 {
		o.mu.Unlock()
		return nil, false
	}
	b := o.mu.q[0]
	o.mu.q[0] = nil
	o.mu.q = o.mu.q[1:]
	o.mu.Unlock()
	signal(o.taken)
	return b, true
}

// len returns the number of queued batches.
func (o *outbox) len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.mu.q)
}

// drain releases every queued batch (after the query has ended, when no
// consumer will take them).
func (o *outbox) drain() {
	for {
		b, ok := o.tryTake()
		if !ok {
			return
		}
		b.Release()
	}
}

// signal wakes one waiter on c without blocking.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
