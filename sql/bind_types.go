package sql

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"
)

// numRank orders the numeric types for promotion, as PostgreSQL does:
// smallint < integer < bigint < numeric < real < double precision.
func numRank(t arrow.DataType) int {
	if t == nil {
		return 0
	}
	switch t.ID() {
	case arrow.INT16:
		return 1
	case arrow.INT32:
		return 2
	case arrow.INT64:
		return 3
	case arrow.DECIMAL128:
		return 4
	case arrow.FLOAT32:
		return 5
	case arrow.FLOAT64:
		return 6
	}
	return 0
}

func isNumeric(t arrow.DataType) bool { return numRank(t) > 0 }
func isInteger(t arrow.DataType) bool { r := numRank(t); return r >= 1 && r <= 3 }
func isText(t arrow.DataType) bool    { return t != nil && t.ID() == arrow.STRING }
func isBool(t arrow.DataType) bool    { return t != nil && t.ID() == arrow.BOOL }

// temporalRank orders date < timestamp < timestamptz (0: not temporal).
func temporalRank(t arrow.DataType) int {
	if t == nil {
		return 0
	}
	switch t.ID() {
	case arrow.DATE32:
		return 1
	case arrow.TIMESTAMP:
		if t.(*arrow.TimestampType).TimeZone == "" {
			return 2
		}
		return 3
	}
	return 0
}

// sameType is arrow.TypeEqual that treats nil as unknown.
func sameType(a, b arrow.DataType) bool {
	return a != nil && b != nil && arrow.TypeEqual(a, b)
}

// mergeTypes returns the common supertype of two typed operands, or nil.
func mergeTypes(a, b arrow.DataType) arrow.DataType {
	switch {
	case sameType(a, b):
		return a
	case isNumeric(a) && isNumeric(b):
		if a.ID() == arrow.DECIMAL128 && b.ID() == arrow.DECIMAL128 {
			s := max(a.(*arrow.Decimal128Type).Scale, b.(*arrow.Decimal128Type).Scale)
			return &arrow.Decimal128Type{Precision: 38, Scale: s}
		}
		if numRank(a) >= numRank(b) {
			return a
		}
		return b
	case temporalRank(a) > 0 && temporalRank(b) > 0:
		if temporalRank(a) >= temporalRank(b) {
			return a
		}
		return b
	}
	return nil
}

// operandKind classifies an operand for type unification.
type operandKind int

const (
	kindTyped   operandKind = iota
	kindUnknown             // NULL, an untyped string literal or an untyped parameter: adopts any type
	kindNumLit              // an untyped numeric literal: adopts numeric types it fits
)

func (b *binder) kindOf(e Expr) operandKind {
	switch x := e.(type) {
	case *Param:
		if x.T == nil {
			return kindUnknown
		}
	case *Literal:
		if x.Value == nil && x.T.ID() == arrow.NULL {
			return kindUnknown
		}
		if b.untyped[x] {
			if isText(x.T) {
				return kindUnknown
			}
			return kindNumLit
		}
	}
	return kindTyped
}

// commonType finds the type operands are unified to, as PostgreSQL resolves
// CASE, IN and binary operators: typed operands promote, numeric literals
// adopt a numeric type they fit, unknown literals adopt anything. ok is
// false when the typed operands cannot be matched.
func (b *binder) commonType(es []Expr) (arrow.DataType, bool) {
	var t arrow.DataType
	for _, e := range es {
		if b.kindOf(e) != kindTyped {
			continue
		}
		if t == nil {
			t = e.Type()
		} else if t = mergeTypes(t, e.Type()); t == nil {
			return nil, false
		}
	}
	for _, e := range es {
		if b.kindOf(e) != kindNumLit {
			continue
		}
		lit := e.(*Literal)
		switch {
		case t == nil:
			t = lit.T
		case !isNumeric(t):
			return nil, false
		case !literalFits(lit, t):
			t = mergeTypes(t, lit.T)
		}
	}
	if t == nil {
		t = typeText
	}
	return t, true
}

// literalFits reports whether a numeric literal can take type t unchanged.
func literalFits(l *Literal, t arrow.DataType) bool {
	switch v := l.Value.(type) {
	case int64:
		switch t.ID() {
		case arrow.INT16:
			return v >= math.MinInt16 && v <= math.MaxInt16
		case arrow.INT32:
			return v >= math.MinInt32 && v <= math.MaxInt32
		}
		return isNumeric(t)
	case float64:
		return numRank(t) >= 4
	}
	return false
}

// coerce converts e to type t: untyped literals are converted now (errors
// are 22P02/22007/22003), untyped parameters take t, typed expressions get
// an implicit Cast when PostgreSQL would insert one. ok is false when no
// implicit conversion exists.
func (b *binder) coerce(e Expr, t arrow.DataType) (Expr, bool, error) {
	if sameType(e.Type(), t) {
		return e, true, nil
	}
	switch x := e.(type) {
	case *Param:
		if x.T == nil {
			return x, true, b.setParamType(x, t)
		}
	case *Literal:
		if b.kindOf(x) != kindTyped {
			l, err := convertLiteral(x, t)
			if err != nil {
				return nil, false, err
			}
			b.untyped[l] = false
			return l, true, nil
		}
	}
	if implicitCast(e.Type(), t) {
		return &Cast{Expr: e, T: t}, true, nil
	}
	return nil, false, nil
}

// implicitCast reports whether PostgreSQL converts from to to silently.
func implicitCast(from, to arrow.DataType) bool {
	switch {
	case isNumeric(from) && isNumeric(to):
		return numRank(from) <= numRank(to)
	case temporalRank(from) > 0 && temporalRank(to) > 0:
		return temporalRank(from) <= temporalRank(to)
	}
	return false
}

// setParamType records the inferred type of a parameter. A parameter the
// client declared keeps its declared type.
func (b *binder) setParamType(p *Param, t arrow.DataType) error {
	if cur := b.paramT[p.Index]; cur != nil {
		p.T = cur
		return nil
	}
	b.paramT[p.Index] = t
	for _, q := range b.params[p.Index] {
		q.T = t
	}
	return nil
}

// unifyAll coerces every operand to their common type. what names the
// construct for the 42804 message ("CASE", "IN", "COALESCE").
func (b *binder) unifyAll(es []Expr, what string) ([]Expr, arrow.DataType, error) {
	t, ok := b.commonType(es)
	if !ok {
		return nil, nil, Errorf(CodeDatatypeMismatch, "%s types %s cannot be matched", what, typeList(es))
	}
	out := make([]Expr, len(es))
	for i, e := range es {
		c, ok, err := b.coerce(e, t)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, Errorf(CodeDatatypeMismatch, "%s types %s and %s cannot be matched",
				what, PGTypeName(e.Type()), PGTypeName(t))
		}
		out[i] = c
	}
	return out, t, nil
}

func typeList(es []Expr) string {
	s := ""
	for i, e := range es {
		if i > 0 {
			s += " and "
		}
		s += PGTypeName(e.Type())
	}
	return s
}
