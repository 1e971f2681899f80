package ingest

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// maxMantissaDigits is how many significant digits fit the uint64 fast
// path; longer numbers go through arrow's (allocating) string parser.
const maxMantissaDigits = 19

// parseDecimal converts a number token, or a string holding one, to a
// Decimal128 with the given precision and scale, rounding extra fraction
// digits half away from zero (as PostgreSQL does) and rejecting values
// that do not fit the precision.
func parseDecimal(tok []byte, prec, scale int32) (decimal128.Num, error) {
	end, _, ok := numberEnd(tok, 0)
	if !ok || end != len(tok) {
		return decimal128.Num{}, fmt.Errorf("invalid numeric %q", tok)
	}
	neg, mant, nd, frac, exp, ok := splitDecimal(tok)
	if !ok {
		n, err := decimal128.FromString(string(tok), prec, scale)
		if err != nil || !n.FitsInPrecision(prec) {
			return decimal128.Num{}, fmt.Errorf("numeric %s out of range for precision %d", tok, prec)
		}
		return n, nil
	}
	n, err := scaleMantissa(mant, nd, int64(scale)+exp-int64(frac), prec)
	if err != nil {
		return n, fmt.Errorf("numeric %s %w", tok, err)
	}
	if neg {
		n = n.Negate()
	}
	return n, nil
}

// splitDecimal splits a valid JSON number into sign, significant digits
// (as an integer with nd digits), the count of fraction digits, and the
// exponent. ok is false when the digits do not fit a uint64 or the
// exponent is absurd.
func splitDecimal(tok []byte) (neg bool, mant uint64, nd, frac int, exp int64, ok bool) {
	i := 0
	if tok[0] == '-' {
		neg, i = true, 1
	}
	inFrac := false
	for ; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c == '.':
			inFrac = true
			continue
		case c == 'e' || c == 'E':
			e, eok := atoi(trimPlus(tok[i+1:]))
			if !eok || e > 1000 || e < -1000 {
				return neg, 0, 0, 0, 0, false
			}
			return neg, mant, nd, frac, e, true
		}
		if inFrac {
			frac++
		}
		if mant == 0 && c == '0' {
			continue // leading zeros are not significant
		}
		if nd == maxMantissaDigits {
			return neg, 0, 0, 0, 0, false
		}
		mant = mant*10 + uint64(c-'0')
		nd++
	}
	return neg, mant, nd, frac, 0, true
}

func trimPlus(b []byte) []byte {
	if len(b) > 0 && b[0] == '+' {
		return b[1:]
	}
	return b
}

var errDecimalRange = errors.New("out of range for the column's precision")

// scaleMantissa returns mant × 10^shift as a Decimal128 of precision prec,
// rounding half away from zero when shift is negative.
func scaleMantissa(mant uint64, nd int, shift int64, prec int32) (decimal128.Num, error) {
	if mant == 0 {
		return decimal128.Num{}, nil
	}
	if shift < 0 {
		if -shift > maxMantissaDigits {
			return decimal128.Num{}, nil // rounds to zero
		}
		div := pow10u64[-shift]
		q, r := mant/div, mant%div
		if r >= div-r { // r ≥ div/2 without overflow
			q++
		}
		n := decimal128.FromU64(q)
		if !n.FitsInPrecision(prec) {
			return n, errDecimalRange
		}
		return n, nil
	}
	if int64(nd)+shift > int64(prec) {
		return decimal128.Num{}, errDecimalRange
	}
	m := decimal128.GetScaleMultiplier(int(shift))
	hi, lo := bits.Mul64(mant, m.LowBits())
	hi += mant * uint64(m.HighBits())
	return decimal128.New(int64(hi), lo), nil
}

var pow10u64 = [...]uint64{
	1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
}
