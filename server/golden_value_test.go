package server

import (
	"encoding/hex"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// goldenValue renders one value for golden files: NULL, RFC 3339 UTC
// timestamps with milliseconds (microseconds when they are not whole
// milliseconds), shortest round-trip floats, raw strings.
func goldenValue(col arrow.Array, i int) string {
	if col.IsNull(i) {
		return "NULL"
	}
	switch c := col.(type) {
	case *array.Timestamp:
		us := int64(c.Value(i))
		t := time.UnixMicro(us).UTC()
		if us%1000 != 0 {
			return t.Format("2006-01-02T15:04:05.000000Z")
		}
		return t.Format("2006-01-02T15:04:05.000Z")
	case *array.Date32:
		return c.Value(i).FormattedString()
	case *array.Float64:
		return strconv.FormatFloat(c.Value(i), 'g', -1, 64)
	case *array.Float32:
		return strconv.FormatFloat(float64(c.Value(i)), 'g', -1, 32)
	case *array.Binary:
		return `\x` + hex.EncodeToString(c.Value(i))
	case *array.String:
		if c.Value(i) == "" {
			return `""`
		}
		return c.Value(i)
	}
	return col.ValueStr(i)
}
