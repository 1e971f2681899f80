package state

// Contract with exec and cmd (implemented in store.go, catalog.go, keys.go).
//
//	type Options struct {
//	    Logger *slog.Logger // nil = discard; Pebble's log goes here, never to stderr
//	    InMemory bool       // vfs.NewMem, for tests
//	}
//	func Open(ctx context.Context, dir string, opts Options) (*Store, error)
//	func (s *Store) Close() error
//
// Catalog: opaque values by (kind, name); state knows nothing of SQL.
//
//	func (s *Store) PutCatalog(kind, name string, value []byte) error   // synced
//	func (s *Store) DeleteCatalog(kind, name string) error
//	func (s *Store) ListCatalog(kind string) ([]CatalogEntry, error)     // sorted by name
//	type CatalogEntry struct { Name string; Value []byte }
//
// Window state keys: order-preserving encoding of
// (query id, operator id, window end µs, window start µs, group key bytes)
// so that a range scan up to a watermark finds exactly the closed windows.
//
//	func AppendWindowKey(dst []byte, query string, op uint32, end, start int64, group []byte) []byte
//	func DecodeWindowKey(k []byte) (query string, op uint32, end, start int64, group []byte, err error)
//	func WindowKeyUpperBound(query string, op uint32, end int64) []byte // first key with window end > end
//
//	func (s *Store) NewBatch() *Batch; (*Batch).Set/Delete/DeleteRange; (*Batch).Commit(sync bool) error
//	func (s *Store) Get(key []byte) ([]byte, error) // ErrNotFound
//	func (s *Store) Scan(lo, hi []byte, fn func(k, v []byte) error) error
//
//	var ErrNotFound = errors.New("state: not found"); ErrCorrupt; ErrClosed
