package ingest

// This file holds Fetch's own broker connections. kgo reads every response
// into a fresh make([]byte, size) (readSizeAndBody in its broker.go); for
// fetches that buffer was 83% of the bytes the server allocated in the
// Nexmark benchmark, and walkBatches already reads records in place. A
// fetchConn keeps its read buffer from one fetch to the next, so a fetch of
// an uncompressed range allocates only the small structs of the decoded
// response. kgo still does everything else: metadata, offsets, produce.
//
// The connections are plaintext without SASL, which is parity: Options has
// neither TLS nor SASL, so kgo's connections are plaintext too. An option
// that adds either must cover dialFetchConn as well.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const (
	// fetchIOMargin is how long past fetchMaxWait a round trip (or a dial)
	// may take before the broker is deemed dead: kgo's default request
	// timeout overhead.
	fetchIOMargin = 10 * time.Second
	// fetchMaxResponse bounds a response's size prefix, as kgo's default
	// BrokerMaxReadBytes does. A response may exceed fetchMaxBytes: a
	// broker always returns a partition's first batch whole.
	fetchMaxResponse = 100 << 20
	// fetchKeepBuffer is the largest read buffer a connection keeps when
	// it goes back to the pool, which bounds idle memory per connection.
	fetchKeepBuffer = 8 << 20
	// fetchMinVersion is the oldest fetch a read committed reader can use:
	// v4 (Kafka 0.11) added the isolation level and aborted transactions.
	fetchMinVersion = 4
	// fetchMinBusyConns is the least number of fetches in flight per
	// broker the pool allows (see newFetchPool).
	fetchMinBusyConns = 64
)

var (
	// errFetchClosed is returned by Fetch once the Client is closed.
	errFetchClosed = errors.New("ingest: client closed")
	// errFetchUnsupported means the broker cannot serve read committed
	// fetches; retrying does not help.
	errFetchUnsupported = errors.New("ingest: broker too old: read committed fetch needs fetch v4 (Kafka 0.11)")
)

// fetchConn is one connection to one broker carrying one fetch at a time.
// Its buffers are reused: the response roundTrip returns, and the record
// batches in it, alias the read buffer and are valid only until the next
// roundTrip or the conn's return to the pool. Only the goroutine holding
// the conn uses it; fetchPool.close may close conn under it, which fails
// its I/O.
type fetchConn struct {
	node   int32
	addr   string
	conn   net.Conn
	format *kmsg.RequestFormatter // the pool's: carries the client ID
	// version is the highest fetch version both sides support.
	version int16
	corrID  int32
	// reused says the conn came from the idle pool, so the broker may
	// have closed it meanwhile (connections.max.idle.ms).
	reused bool
	// answered says a byte of the current response arrived: a failure
	// after that is not a stale connection.
	answered bool
	// broken says the conn saw an error or an interruption by ctx; it is
	// closed, never pooled.
	broken bool
	// busy is the pool's channel whose token the fetch using c holds.
	busy chan struct{}

	// Reused from one round trip to the next: the request's encoding,
	// the response's size prefix, body and decoded struct.
	wbuf []byte
	size [4]byte
	rbuf []byte
	resp kmsg.FetchResponse
}

// dialFetchConn connects to broker node at addr and negotiates the fetch
// version. The caller closes the conn.
func dialFetchConn(ctx context.Context, p *fetchPool, node int32, addr string) (*fetchConn, error) {
	nc, err := p.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ingest: dial broker %d at %s: %w", node, addr, err)
	}
	c := &fetchConn{node: node, addr: addr, conn: nc, format: p.format}
	if err := c.negotiate(ctx, p.timeout); err != nil {
		nc.Close()
		return nil, fmt.Errorf("ingest: broker %d at %s: %w", node, addr, err)
	}
	return c, nil
}

// negotiate asks the broker for its versions and picks the fetch version.
// It asks with ApiVersions v0, which brokers have always served; one that
// no longer does answers UNSUPPORTED_VERSION in the v0 format with the
// ApiVersions versions it serves, and negotiate asks again with the
// highest of those. An ApiVersions response header never has tags (even
// when the body is flexible).
func (c *fetchConn) negotiate(ctx context.Context, timeout time.Duration) error {
	resp, err := c.apiVersions(ctx, 0, timeout)
	if err != nil {
		return err
	}
	if resp.ErrorCode == kerr.UnsupportedVersion.Code {
		v := int16(-1)
		for _, k := range resp.ApiKeys {
			if k.ApiKey == resp.Key() {
				v = min(k.MaxVersion, resp.MaxVersion())
			}
		}
		if v > 0 {
			if resp, err = c.apiVersions(ctx, v, timeout); err != nil {
				return err
			}
		}
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return fmt.Errorf("api versions: %w", err)
	}
	fetch := kmsg.NewPtrFetchRequest()
	for _, k := range resp.ApiKeys {
		if k.ApiKey != fetch.Key() {
			continue
		}
		v := min(k.MaxVersion, fetch.MaxVersion())
		if v < fetchMinVersion || k.MinVersion > v {
			return fmt.Errorf("%w: it serves fetch v%d to v%d", errFetchUnsupported, k.MinVersion, k.MaxVersion)
		}
		c.version = v
		return nil
	}
	return fmt.Errorf("%w: it lists no fetch versions", errFetchUnsupported)
}

// apiVersions sends ApiVersions at version v and decodes the response,
// whatever its error code.
func (c *fetchConn) apiVersions(ctx context.Context, v int16, timeout time.Duration) (*kmsg.ApiVersionsResponse, error) {
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = v
	req.ClientSoftwareName, req.ClientSoftwareVersion = "sluice", "1" // v3+
	body, err := c.exchange(ctx, req, false, timeout)
	if err != nil {
		return nil, fmt.Errorf("api versions: %w", err)
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = v
	if err := resp.ReadFrom(body); err != nil {
		// A broker refusing v answers in the v0 format.
		resp = kmsg.NewPtrApiVersionsResponse()
		if err0 := resp.ReadFrom(body); err0 != nil || resp.ErrorCode == 0 {
			return nil, fmt.Errorf("api versions response: %w", err)
		}
	}
	return resp, nil
}

// roundTrip sends req and reads the response. req.Version is the highest
// version the caller can send; roundTrip lowers it to c.version. The
// response aliases c's read buffer: see fetchConn.
func (c *fetchConn) roundTrip(ctx context.Context, req *kmsg.FetchRequest, timeout time.Duration) (*kmsg.FetchResponse, error) {
	req.Version = min(req.Version, c.version)
	body, err := c.exchange(ctx, req, req.IsFlexible(), timeout)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("ingest: fetch from broker %d at %s: %w", c.node, c.addr, err)
	}
	c.resp = kmsg.FetchResponse{Version: req.Version}
	if err := c.resp.ReadFrom(body); err != nil {
		c.broken = true
		return nil, fmt.Errorf("ingest: fetch response from broker %d at %s: %w", c.node, c.addr, err)
	}
	return &c.resp, nil
}

// exchange writes req and returns the body of its response (past the
// response header) in c's read buffer. It returns by timeout at the latest
// and promptly once ctx is done: ctx's end moves the deadline into the
// past, which fails the blocked read or write.
func (c *fetchConn) exchange(ctx context.Context, req kmsg.Request, flexible bool, timeout time.Duration) ([]byte, error) {
	c.corrID++
	c.wbuf = c.format.AppendRequest(c.wbuf[:0], req, c.corrID)
	c.answered = false
	if err := c.conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, c.fail(ctx, err)
	}
	var body []byte
	var err error
	if ctx.Done() == nil {
		body, err = c.writeRead(flexible)
	} else {
		stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
		body, err = c.writeRead(flexible)
		if !stop() {
			// The interrupt ran or is running, so its deadline may
			// land after we return: the conn cannot be reused.
			c.broken = true
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, c.fail(ctx, err)
	}
	return body, nil
}

// fail marks c broken and returns err, or ctx's error if ctx ended.
func (c *fetchConn) fail(ctx context.Context, err error) error {
	c.broken = true
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// writeRead writes c.wbuf and reads one response into c.rbuf, checking its
// size and correlation id and skipping a flexible header's tags.
func (c *fetchConn) writeRead(flexible bool) ([]byte, error) {
	if _, err := c.conn.Write(c.wbuf); err != nil {
		return nil, fmt.Errorf("write request: %w", err)
	}
	n, err := io.ReadFull(c.conn, c.size[:])
	c.answered = n > 0
	if err != nil {
		return nil, fmt.Errorf("read response size: %w", err)
	}
	size := int32(binary.BigEndian.Uint32(c.size[:]))
	if size < 4 || size > fetchMaxResponse {
		return nil, fmt.Errorf("response size %d outside [4, %d]", size, fetchMaxResponse)
	}
	if cap(c.rbuf) < int(size) {
		// An eighth of headroom: the next response of a range is
		// rarely exactly as big, and each growth is a fresh buffer.
		c.rbuf = make([]byte, int(size)+int(size)/8)
	}
	body := c.rbuf[:size]
	if _, err := io.ReadFull(c.conn, body); err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if id := int32(binary.BigEndian.Uint32(body)); id != c.corrID {
		return nil, fmt.Errorf("response correlation id %d, want %d", id, c.corrID)
	}
	if !flexible {
		return body[4:], nil
	}
	b := kbin.Reader{Src: body[4:]}
	kmsg.SkipTags(&b)
	if err := b.Complete(); err != nil {
		return nil, fmt.Errorf("response header: %w", err)
	}
	return b.Src, nil
}

// fetchPool holds Fetch's connections per broker node: the idle ones, and
// a bound on the fetches in flight. It starts no goroutines; the only one
// its conns cause is context.AfterFunc's, which runs briefly when a ctx
// ends during a round trip. close closes every conn, idle or in use.
type fetchPool struct {
	dialer net.Dialer
	format *kmsg.RequestFormatter
	// timeout bounds a dial and each round trip, whatever the ctx.
	timeout time.Duration
	// maxIdle bounds the idle conns per node, maxBusy the conns in use
	// (so at most maxIdle+maxBusy are open). keepBuffer is the largest
	// read buffer an idle conn keeps. Tests lower them.
	maxIdle, maxBusy, keepBuffer int
	// done is closed by close, waking fetches that wait for a turn.
	done chan struct{}

	// mu guards the conns' bookkeeping; it is never held across I/O.
	mu struct {
		sync.Mutex
		closed bool
		idle   map[int32][]*fetchConn // most recently returned last
		open   map[*fetchConn]struct{}
		// busy holds a token per conn of a node in use: a fetch
		// takes one before it takes a conn, and put gives it back.
		busy map[int32]chan struct{}
	}
}

// newFetchPool returns an empty pool. Up to 2×GOMAXPROCS idle conns per
// broker cover one query's decode workers (exec reads a batch's ranges
// with up to GOMAXPROCS concurrent Fetches); the busy bound keeps many
// concurrent queries from opening a connection each (kgo, before this,
// serialised every fetch to a broker on one connection).
func newFetchPool(clientID string) *fetchPool {
	procs := runtime.GOMAXPROCS(0)
	p := &fetchPool{
		dialer:     net.Dialer{Timeout: fetchIOMargin},
		format:     kmsg.NewRequestFormatter(kmsg.FormatterClientID(clientID)),
		timeout:    fetchMaxWait + fetchIOMargin,
		maxBusy:    max(fetchMinBusyConns, 4*procs),
		keepBuffer: fetchKeepBuffer,
		done:       make(chan struct{}),
	}
	p.maxIdle = min(2*procs, p.maxBusy)
	p.mu.idle = make(map[int32][]*fetchConn)
	p.mu.open = make(map[*fetchConn]struct{})
	p.mu.busy = make(map[int32]chan struct{})
	return p
}

// roundTrip sends req to broker node at addr on an idle conn, or a new one,
// and returns the conn with the response, which aliases the conn's buffer:
// the caller must be done with the response when it calls put(conn). On
// error there is no conn to put.
func (p *fetchPool) roundTrip(ctx context.Context, node int32, addr string, req *kmsg.FetchRequest) (*fetchConn, *kmsg.FetchResponse, error) {
	busy, err := p.turn(ctx, node)
	if err != nil {
		return nil, nil, err
	}
	c, resp, err := p.roundTripOnce(ctx, node, addr, req)
	if err != nil {
		<-busy
		return nil, nil, err
	}
	c.busy = busy
	return c, resp, nil
}

// roundTripOnce is roundTrip once the caller has its turn.
func (p *fetchPool) roundTripOnce(ctx context.Context, node int32, addr string, req *kmsg.FetchRequest) (*fetchConn, *kmsg.FetchResponse, error) {
	c, err := p.get(ctx, node, addr)
	if err != nil {
		return nil, nil, err
	}
	resp, err := c.roundTrip(ctx, req, p.timeout)
	if err != nil && c.reused && !c.answered && ctx.Err() == nil {
		// The broker may have closed the conn while it was idle: one
		// fresh connection before this counts as a failure.
		p.discard(c)
		if c, err = p.dial(ctx, node, addr); err != nil {
			return nil, nil, err
		}
		resp, err = c.roundTrip(ctx, req, p.timeout)
	}
	if err != nil {
		p.discard(c)
		return nil, nil, err
	}
	return c, resp, nil
}

// turn waits until fewer than maxBusy conns to node are in use and takes
// a token from the returned channel, which the caller gives back.
func (p *fetchPool) turn(ctx context.Context, node int32) (chan struct{}, error) {
	p.mu.Lock()
	if p.mu.closed {
		p.mu.Unlock()
		return nil, errFetchClosed
	}
	busy := p.mu.busy[node]
	if busy == nil {
		busy = make(chan struct{}, p.maxBusy)
		p.mu.busy[node] = busy
	}
	p.mu.Unlock()
	select {
	case busy <- struct{}{}:
		return busy, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.done:
		return nil, errFetchClosed
	}
}

// get returns the most recently used idle conn to node at addr, or dials.
func (p *fetchPool) get(ctx context.Context, node int32, addr string) (*fetchConn, error) {
	var stale []*fetchConn
	p.mu.Lock()
	if p.mu.closed {
		p.mu.Unlock()
		return nil, errFetchClosed
	}
	idle := p.mu.idle[node]
	for len(idle) > 0 {
		c := idle[len(idle)-1]
		idle[len(idle)-1] = nil
		idle = idle[:len(idle)-1]
		if c.addr == addr {
			p.mu.idle[node] = idle
			p.mu.Unlock()
			p.discardAll(stale)
			return c, nil
		}
		stale = append(stale, c) // the node moved
	}
	p.mu.idle[node] = idle
	p.mu.Unlock()
	p.discardAll(stale)
	return p.dial(ctx, node, addr)
}

// dial opens a conn to node and tracks it for close.
func (p *fetchPool) dial(ctx context.Context, node int32, addr string) (*fetchConn, error) {
	select {
	case <-p.done:
		return nil, errFetchClosed
	default:
	}
	c, err := dialFetchConn(ctx, p, node, addr)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	closed := p.mu.closed
	if !closed {
		p.mu.open[c] = struct{}{}
	}
	p.mu.Unlock()
	if closed {
		c.conn.Close()
		return nil, errFetchClosed
	}
	return c, nil
}

// put returns c, taken by roundTrip, to the idle pool, or closes it if it
// is broken or the pool is full or closed, and ends its fetch's turn. nil
// is a no-op.
func (p *fetchPool) put(c *fetchConn) {
	if c == nil {
		return
	}
	busy := c.busy
	if busy == nil {
		panic("ingest: fetch conn put back twice")
	}
	c.busy = nil
	p.keep(c)
	<-busy
}

// keep makes c idle, unless it is broken or the pool is full or closed.
func (p *fetchPool) keep(c *fetchConn) {
	if c.broken {
		p.discard(c)
		return
	}
	// Drop the response's references into the buffer, and a buffer too
	// big to keep idle.
	c.resp = kmsg.FetchResponse{}
	if cap(c.rbuf) > p.keepBuffer {
		c.rbuf = nil
	}
	c.reused = true
	p.mu.Lock()
	pooled := !p.mu.closed && len(p.mu.idle[c.node]) < p.maxIdle
	if pooled {
		p.mu.idle[c.node] = append(p.mu.idle[c.node], c)
	}
	p.mu.Unlock()
	if !pooled {
		p.discard(c)
	}
}

// discard closes c, which is not idle.
func (p *fetchPool) discard(c *fetchConn) {
	c.conn.Close()
	p.mu.Lock()
	delete(p.mu.open, c)
	p.mu.Unlock()
}

func (p *fetchPool) discardAll(conns []*fetchConn) {
	for _, c := range conns {
		p.discard(c)
	}
}

// close closes every conn, failing the round trips in progress, and makes
// later calls fail with errFetchClosed. It is idempotent.
func (p *fetchPool) close() {
	p.mu.Lock()
	if p.mu.closed {
		p.mu.Unlock()
		return
	}
	p.mu.closed = true
	close(p.done)
	open := p.mu.open
	p.mu.open, p.mu.idle = nil, nil
	p.mu.Unlock()
	for c := range open {
		c.conn.Close()
	}
}
