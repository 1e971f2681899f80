package exec

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// rowString maps one non-NULL input row to an output string; ok=false
// yields NULL.
type rowString func(ops []operand, i int, dst []byte) (out []byte, ok bool, err error)

// stringRows builds a string column row by row from f; a row is NULL when
// any operand is NULL unless skipNullCheck.
func stringRows(f rowString, skipNullCheck bool) kernelFunc {
	return func(_ context.Context, mem memory.Allocator, ops []operand, n int) (arrow.Array, error) {
		bb := array.NewBinaryBuilder(mem, arrow.BinaryTypes.String)
		defer bb.Release()
		bb.Reserve(n)
		var scratch []byte
		for i := range n {
			if !skipNullCheck && !allValid(ops, i) {
				bb.AppendNull()
				continue
			}
			out, ok, err := f(ops, i, scratch[:0])
			if err != nil {
				return nil, err
			}
			if !ok {
				bb.AppendNull()
				continue
			}
			bb.Append(out)
			scratch = out
		}
		return finishBinary(bb), nil
	}
}

func allValid(ops []operand, i int) bool {
	for _, o := range ops {
		if !o.valid(i) {
			return false
		}
	}
	return true
}

func strAt(o operand, i int) []byte { return bytesGetter(o)(i) }

func int64At(o operand, i int) int64 {
	v, s := fixedVals[int64](o)
	return v[i*s]
}

func newStringFunc(fn string, args []Expr) (Expr, error) {
	if fn == "concat" {
		return newConcat(args)
	}
	if len(args) == 0 || (args[0].DataType().ID() != arrow.STRING && !(fn == "length" && args[0].DataType().ID() == arrow.BINARY)) {
		return nil, fmt.Errorf("first argument must be text")
	}
	switch fn {
	case "lower", "upper":
		if err := wantArgs(args, 1); err != nil {
			return nil, err
		}
		conv := strings.ToLower
		if fn == "upper" {
			conv = strings.ToUpper
		}
		k := stringRows(func(ops []operand, i int, dst []byte) ([]byte, bool, error) {
			return append(dst, conv(string(strAt(ops[0], i)))...), true, nil
		}, false)
		return &callExpr{fn: fn, t: arrow.BinaryTypes.String, args: args, kernel: k}, nil
	case "length":
		if err := wantArgs(args, 1); err != nil {
			return nil, err
		}
		return &callExpr{fn: fn, t: arrow.PrimitiveTypes.Int32, args: args, kernel: lengthKernel}, nil
	}
	return newSubstring(args)
}

// lengthKernel counts characters of text (bytes of bytea), like PostgreSQL.
func lengthKernel(_ context.Context, mem memory.Allocator, ops []operand, n int) (arrow.Array, error) {
	o := ops[0]
	if o.nullLit() {
		return array.MakeArrayOfNull(mem, arrow.PrimitiveTypes.Int32, n), nil
	}
	get := bytesGetter(o)
	chars := o.isLit || o.arr.DataType().ID() == arrow.STRING
	if o.isLit {
		_, chars = o.lit.(string)
	}
	valid, nulls := combineValidity(mem, n, o)
	buf, out := newFixedBuf[int32](mem, n)
	for i := range out {
		s := get(i)
		if chars {
			out[i] = int32(utf8.RuneCount(s))
		} else {
			out[i] = int32(len(s))
		}
	}
	return makeArray(arrow.PrimitiveTypes.Int32, n, nulls, valid, buf), nil
}

// newSubstring implements substring(s, start [, count]) with PostgreSQL's
// 1-based character positions; a start before 1 shortens the result.
func newSubstring(args []Expr) (Expr, error) {
	if len(args) != 2 && len(args) != 3 {
		return nil, fmt.Errorf("expected 2 or 3 arguments, got %d", len(args))
	}
	cargs := []Expr{args[0]}
	for _, a := range args[1:] {
		c, err := Cast(a, arrow.PrimitiveTypes.Int64)
		if err != nil {
			return nil, err
		}
		cargs = append(cargs, c)
	}
	k := stringRows(func(ops []operand, i int, dst []byte) ([]byte, bool, error) {
		s := strAt(ops[0], i)
		start := int64At(ops[1], i)
		end := int64(1) << 62
		if len(ops) == 3 {
			cnt := int64At(ops[2], i)
			if cnt < 0 {
				return nil, false, fmt.Errorf("%w: negative substring length not allowed", ErrInvalidValue)
			}
			end = start + cnt
		}
		pos := int64(1)
		for len(s) > 0 && pos < end {
			_, size := utf8.DecodeRune(s)
			if pos >= start {
				dst = append(dst, s[:size]...)
			}
			s = s[size:]
			pos++
		}
		return dst, true, nil
	}, false)
	return &callExpr{fn: "substring", t: arrow.BinaryTypes.String, args: cargs, kernel: k}, nil
}

// newConcat implements PostgreSQL's concat(): NULL arguments are skipped.
// Non-text arguments are cast to text.
func newConcat(args []Expr) (Expr, error) {
	cargs := make([]Expr, len(args))
	for i, a := range args {
		c, err := Cast(a, arrow.BinaryTypes.String)
		if err != nil {
			return nil, err
		}
		cargs[i] = c
	}
	k := stringRows(func(ops []operand, i int, dst []byte) ([]byte, bool, error) {
		for _, o := range ops {
			if o.valid(i) {
				dst = append(dst, strAt(o, i)...)
			}
		}
		return dst, true, nil
	}, true)
	return &callExpr{fn: "concat", t: arrow.BinaryTypes.String, args: cargs, kernel: k}, nil
}

// likeRegexp translates a LIKE pattern (% any run, _ one character,
// backslash escapes the next character) to an anchored regexp.
func likeRegexp(pattern string, fold bool) (*regexp.Regexp, error) {
	var sb strings.Builder
	sb.WriteString("^(?s")
	if fold {
		sb.WriteString("i")
	}
	sb.WriteString(")")
	for i := 0; i < len(pattern); {
		r, size := utf8.DecodeRuneInString(pattern[i:])
		i += size
		switch r {
		case '%':
			sb.WriteString(".*")
		case '_':
			sb.WriteString(".")
		case '\\':
			if i >= len(pattern) {
				return nil, fmt.Errorf("%w: LIKE pattern must not end with escape character", ErrInvalidValue)
			}
			r, size = utf8.DecodeRuneInString(pattern[i:])
			i += size
			sb.WriteString(regexp.QuoteMeta(string(r)))
		default:
			sb.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	sb.WriteString("$")
	return regexp.Compile(sb.String())
}

// newLike compiles a literal pattern once; other patterns are compiled per
// distinct value as rows arrive.
func newLike(fn string, args []Expr) (Expr, error) {
	if err := wantArgs(args, 2); err != nil {
		return nil, err
	}
	if args[0].DataType().ID() != arrow.STRING || args[1].DataType().ID() != arrow.STRING {
		return nil, fmt.Errorf("arguments must be text")
	}
	fold := fn == "ilike" || fn == "not_ilike"
	negate := fn == "not_like" || fn == "not_ilike"
	var fixed *regexp.Regexp
	if l, ok := args[1].(*litExpr); ok && l.v != nil {
		re, err := likeRegexp(l.v.(string), fold)
		if err != nil {
			return nil, err
		}
		fixed = re
	}
	k := func(_ context.Context, mem memory.Allocator, ops []operand, n int) (arrow.Array, error) {
		re, lastPat := fixed, ""
		get, pget := bytesGetter(ops[0]), bytesGetter(ops[1])
		var err error
		out := boolRows(mem, n, func(i int) (bool, bool) {
			if err != nil || !ops[0].valid(i) || !ops[1].valid(i) {
				return false, false
			}
			if fixed == nil {
				if p := pget(i); re == nil || string(p) != lastPat {
					lastPat = string(p)
					if re, err = likeRegexp(lastPat, fold); err != nil {
						return false, false
					}
				}
			}
			return re.Match(get(i)) != negate, true
		})
		if err != nil {
			out.Release()
			return nil, err
		}
		return out, nil
	}
	return &callExpr{fn: fn, t: boolType, args: args, kernel: k}, nil
}
