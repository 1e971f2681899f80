package ingest

// Contract with exec and cmd (implemented in client.go, offsets.go,
// fetch.go, produce.go, decode*.go, broker.go, nexmark/).
//
// Client — a franz-go client plus kadm admin. It never joins a consumer
// group and never commits offsets: offsets belong to exec's checkpoints.
//
//	type Options struct { Brokers []string; Logger *slog.Logger; ClientID string }
//	func NewClient(ctx context.Context, opts Options) (*Client, error)
//	func (c *Client) Close()
//	func (c *Client) EnsureTopic(ctx context.Context, topic string, partitions int32) (int32, error) // creates if missing; returns actual partition count
//	func (c *Client) Partitions(ctx context.Context, topic string) (int32, error)     // ErrUnknownTopic
//	func (c *Client) EndOffsets(ctx context.Context, topic string) ([]int64, error)   // high watermark per partition, index = partition
//	func (c *Client) StartOffsets(ctx context.Context, topic string) ([]int64, error) // log start per partition
//	// Fetch reads exactly the records with offsets in [r.Start, r.End) of every
//	// range (all of one topic), calling fn in offset order within a partition.
//	// Records passed to fn are only valid during the call. Returns when every
//	// range is complete, or on ctx/fetch error. Transaction control records and
//	// aborted records are skipped (offsets may have gaps).
//	func (c *Client) Fetch(ctx context.Context, topic string, ranges []Range, fn func(*Record) error) error
//	func (c *Client) Produce(ctx context.Context, topic string, recs []*Record) error // synchronous, acks=all; Partition <0 means key-hash/round-robin
//
//	type Range struct { Partition int32; Start, End int64 }
//	type Record struct { Partition int32; Offset int64; Timestamp time.Time; Key, Value []byte }
//
// Decoder — JSON records into Arrow, specialised to a schema.
//
//	func NewDecoder(mem memory.Allocator, schema *arrow.Schema) (*Decoder, error)
//	// schema fields: user columns by JSON field name (case-sensitive first, then
//	// case-insensitive), or pseudo-columns _partition/_offset/_timestamp/_key.
//	func (d *Decoder) Append(r *Record) error // on error nothing is appended; error wraps ErrDecode and says why
//	func (d *Decoder) Len() int
//	func (d *Decoder) NewRecordBatch() arrow.RecordBatch // resets the builders; caller releases
//	func (d *Decoder) Release()
//	func EncodeJSON(b arrow.RecordBatch, row int, dst []byte) []byte // one row as a JSON object
//
// Accepted JSON for each Arrow type: numbers for ints/floats (ints must be
// integral and in range), strings holding numbers too; true/false; strings;
// timestamps as RFC 3339 strings, "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC), or
// integer epoch milliseconds; dates as "YYYY-MM-DD"; bytea as base64 or
// "\x…" hex; JSONB as any JSON value kept as its text; missing or null → NULL.
//
// Embedded broker — kfake, topics persisted in a directory.
//
//	func StartBroker(ctx context.Context, addr, dataDir string, logger *slog.Logger) (*Broker, error)
//	func (b *Broker) Addrs() []string
//	func (b *Broker) Close()
