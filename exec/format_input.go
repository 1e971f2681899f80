package exec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file reads input text for to_timestamp(text, text) against a
// parsed template, with PostgreSQL's lenient rules: separators and spaces
// match loosely outside FX mode, and a number stops at the next separator
// or after its field's width. The fields read are assembled into a
// timestamp in format_assemble.go.

// fromChar is what to_timestamp read (PostgreSQL's TmFromChar). Zero is
// "not given", as there: a month or day of 0 is ignored, not refused.
type fromChar struct {
	year, yysz, bc, cc, j, ww, w, d, dd, ddd, mm int
	hh, mi, ss, ssss, ms, us, ff, pm             int
	clock12                                      bool
	tzsign, tzh, tzm                             int
}

// tsParser reads one input string against a template.
type tsParser struct {
	s     string
	i     int
	fx    bool // FX: separators and spaces in the template match exactly one character
	extra int  // spaces skipped beyond those the template asked for
	c     fromChar
}

// parseFormatted is to_timestamp(s, template): µs since the epoch. Text
// without TZH/TZM is UTC, Sluice's only TimeZone.
func parseFormatted(s string, nodes []fmtNode) (int64, error) {
	p := tsParser{s: s}
	if err := p.run(nodes); err != nil {
		return 0, err
	}
	return p.timestamp()
}

// run walks the template. Outside FX, spaces before a field and after
// every field are skipped, a separator or space in the template matches
// one separator or space or nothing, and other template text skips one
// character. Parsing stops when the input ends: the rest of the template
// is ignored, as is the rest of the input when the template ends.
func (p *tsParser) run(nodes []fmtNode) error {
	for k := 0; k < len(nodes) && p.i < len(p.s); k++ {
		n := &nodes[k]
		if !p.fx && ((n.key == nil && k == 0) || (n.key != nil && n.key.field != fFX)) {
			p.skipSpaces()
		}
		if n.key == nil {
			p.literal(n)
			continue
		}
		if err := p.field(nodes, k); err != nil {
			return err
		}
		if !p.fx {
			p.extra = 0
			p.skipSpaces()
		}
	}
	return nil
}

func (p *tsParser) skipSpaces() {
	for p.i < len(p.s) && isCSpace(p.s[p.i]) {
		p.i++
		p.extra++
	}
}

// literal consumes input for template text. Text other than separators
// is not compared with the input, as in PostgreSQL; after extra skipped
// spaces it consumes nothing, since the input there may be a field.
func (p *tsParser) literal(n *fmtNode) {
	switch {
	case p.fx:
		p.i += p.charLen()
	case n.kind == nodeSpace || n.kind == nodeSep:
		p.extra--
		if p.i < len(p.s) && (isCSpace(p.s[p.i]) || isSeparatorChar(p.s[p.i])) {
			p.i++
			p.extra++
		}
	case p.extra > 0:
		p.extra--
	default:
		p.i += p.charLen()
	}
}

func (p *tsParser) charLen() int {
	_, size := utf8.DecodeRuneInString(p.s[p.i:])
	return size
}

// field reads one pattern.
func (p *tsParser) field(nodes []fmtNode, k int) error {
	n := &nodes[k]
	switch n.key.field {
	case fFX:
		p.fx = true
		return nil
	case fAM, fAMDots, fAD, fADDots, fMonth, fMon, fDay, fDy, fRM:
		return p.word(n)
	case fTZ, fOF:
		return &DetailedError{Err: ErrNotSupported,
			Msg: fmt.Sprintf("formatting field \"%s\" is only supported in to_char", n.key.name)}
	case fIYYY, fIYY, fIY, fI, fIW, fIDDD, fID:
		return &DetailedError{Err: ErrNotSupported,
			Msg: fmt.Sprintf("not supported: ISO week date field \"%s\" in to_timestamp", n.key.name)}
	case fYComma:
		return p.yearComma(n)
	case fTZH:
		p.tzSign()
	case fTZM:
		if p.c.tzsign == 0 {
			p.c.tzsign = 1
		}
	}
	if err := p.number(nodes, k); err != nil {
		return err
	}
	if n.th != 0 {
		p.skipSuffix()
	}
	return nil
}

// skipSuffix skips the two characters of an ordinal suffix (TH).
func (p *tsParser) skipSuffix() {
	for range 2 {
		if p.i < len(p.s) {
			p.i += p.charLen()
		}
	}
}

// tzSign reads the sign of TZH; a '-' skipped as a separator just
// before it counts.
func (p *tsParser) tzSign() {
	c := &p.c
	switch {
	case p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-' || p.s[p.i] == ' '):
		c.tzsign = 1
		if p.s[p.i] == '-' {
			c.tzsign = -1
		}
		p.i++
	case p.extra > 0 && p.i > 0 && p.s[p.i-1] == '-':
		c.tzsign = -1
	default:
		c.tzsign = 1
	}
}

// word reads a name (month, day, meridian, era, roman month), matching
// without regard to case.
func (p *tsParser) word(n *fmtNode) error {
	c := &p.c
	v, err := p.seq(n, inputWords[n.key.field])
	if err != nil {
		return err
	}
	switch n.key.field {
	case fAM, fAMDots:
		c.clock12 = true
		return p.set(&c.pm, v, n)
	case fAD, fADDots:
		return p.set(&c.bc, v, n)
	case fMonth, fMon:
		return p.set(&c.mm, v+1, n)
	case fRM:
		return p.set(&c.mm, 12-v, n)
	}
	// The day of the week is read and checked but, as in PostgreSQL, does
	// not move the date.
	err = p.set(&c.d, v, n)
	c.d++
	return err
}

var inputWords = map[fmtField][]string{
	fAM: {"am", "pm"}, fAMDots: {"a.m.", "p.m."}, fAD: {"ad", "bc"}, fADDots: {"a.d.", "b.c."},
	fMonth: monthNames, fMon: monthAbbrevs, fDay: dayNames, fDy: dayAbbrevs, fRM: romanMonths,
}

// seq matches the input against words and returns the index of the first
// that matches.
func (p *tsParser) seq(n *fmtNode, words []string) (int, error) {
	rest := p.s[p.i:]
	for v, w := range words {
		if len(rest) >= len(w) && asciiEqualFold(rest[:len(w)], w) {
			p.i += len(w)
			return v, nil
		}
	}
	if j := strings.IndexAny(rest, " \t\n\r\f\v"); j >= 0 {
		rest = rest[:j]
	}
	return 0, invalidDatetime("The given value did not match any of the allowed values for this field.", "",
		"invalid value \"%s\" for \"%s\"", rest, n.key.name)
}

func asciiEqualFold(a, b string) bool {
	for i := range len(a) {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// set records a field, refusing a second, different value for it.
func (p *tsParser) set(dst *int, v int, n *fmtNode) error {
	if *dst != 0 && *dst != v {
		return invalidDatetime("This value contradicts a previous setting for the same field type.", "",
			"conflicting values for \"%s\" field in formatting string", n.key.name)
	}
	*dst = v
	return nil
}

const fmHint = "If your source string is not fixed-width, try using the \"FM\" modifier."

func invalidDatetime(detail, hint, format string, args ...any) error {
	return &DetailedError{Err: ErrInvalidDatetime, Msg: fmt.Sprintf(format, args...), Detail: detail, Hint: hint}
}

// number reads a numeric pattern and applies its scaling: a fraction's
// digits are read as the leading ones ("25" for MS is 250 ms), and two
// or three year digits are taken to mean the year nearest 2020.
func (p *tsParser) number(nodes []fmtNode, k int) error {
	n, c := &nodes[k], &p.c
	if n.key.field == fFF {
		c.ff = n.key.ff
	}
	dst, width := c.target(n.key)
	l, err := p.parseInt(dst, width, n, nextIsSeparator(nodes, k))
	if err != nil {
		return err
	}
	switch f := n.key.field; f {
	case fHH12:
		c.clock12 = true
	case fMS:
		c.ms *= int(math.Pow10(max(0, 3-l)))
	case fUS, fFF:
		c.us *= int(math.Pow10(max(0, 6-l)))
	case fYYYY, fYYY, fYY, fY:
		if f != fYYYY && l < 4 {
			c.year = nearest2020(c.year)
		}
		c.yysz = 4 - int(f-fYYYY)
	}
	return nil
}

// target is where a numeric pattern's value goes (nil: read and ignored)
// and the width it takes when it must keep to its width.
func (c *fromChar) target(k *fmtKey) (*int, int) {
	w := len(k.name)
	switch k.field {
	case fYYYY, fYYY, fYY, fY:
		return &c.year, w
	case fCC:
		return &c.cc, w
	case fMM:
		return &c.mm, w
	case fWW:
		return &c.ww, w
	case fW:
		return &c.w, w
	case fDDD:
		return &c.ddd, w
	case fDD:
		return &c.dd, w
	case fD:
		return &c.d, w
	case fJ:
		return &c.j, w
	}
	return c.timeTarget(k)
}

func (c *fromChar) timeTarget(k *fmtKey) (*int, int) {
	switch k.field {
	case fHH24, fHH12:
		return &c.hh, 2
	case fMI:
		return &c.mi, 2
	case fSS:
		return &c.ss, 2
	case fSSSS:
		return &c.ssss, len(k.name)
	case fMS:
		return &c.ms, 3
	case fUS:
		return &c.us, 6
	case fFF:
		return &c.us, k.ff
	case fTZH:
		return &c.tzh, 2
	case fTZM:
		return &c.tzm, 2
	}
	return nil, len(k.name) // Q
}

// nextIsSeparator reports whether what follows node k cannot be a digit,
// so that the number may take every digit there is.
func nextIsSeparator(nodes []fmtNode, k int) bool {
	if nodes[k].th != 0 || k+1 >= len(nodes) {
		return true
	}
	next := nodes[k+1]
	if next.key != nil {
		return !next.key.digit
	}
	return len(next.text) != 1 || !isDigit(next.text[0])
}

// nearest2020 completes a two- or three-digit year: 70–99 are 19xx, 0–69
// 20xx, 100–519 2100–2519 and 520–999 1520–1999.
func nearest2020(y int) int {
	switch {
	case y < 70:
		return y + 2000
	case y < 100:
		return y + 1900
	case y < 520:
		return y + 2000
	case y < 1000:
		return y + 1000
	}
	return y
}

// parseInt reads an integer after optional spaces (PostgreSQL's
// from_char_parse_int_len). Under FM, or before a non-digit, it takes
// every digit there is; otherwise exactly width characters. It returns
// the characters consumed, spaces included, as PostgreSQL counts them.
func (p *tsParser) parseInt(dst *int, width int, n *fmtNode, nextSep bool) (int, error) {
	init := p.i
	for p.i < len(p.s) && isCSpace(p.s[p.i]) {
		p.i++
	}
	rest := p.s[p.i:]
	field := rest[:min(width, len(rest))]
	var v int64
	var big bool
	if n.fm || nextSep {
		var used int
		v, used, big = strtol(p.s[init:])
		p.i = init + used
	} else {
		if len(rest) < width {
			return 0, invalidDatetime(fmt.Sprintf("Field requires %d characters, but only %d remain.", width, len(rest)),
				fmHint, "source string too short for \"%s\" formatting field", n.key.name)
		}
		var used int
		v, used, big = strtol(field)
		if used > 0 && used < width {
			return 0, invalidDatetime(fmt.Sprintf("Field requires %d characters, but only %d could be parsed.", width, used),
				fmHint, "invalid value \"%s\" for \"%s\"", field, n.key.name)
		}
		p.i += used
	}
	if p.i == init {
		return 0, invalidDatetime("Value must be an integer.", "", "invalid value \"%s\" for \"%s\"", field, n.key.name)
	}
	if big {
		return 0, &DetailedError{Err: ErrDatetimeOverflow,
			Msg:    fmt.Sprintf("value for \"%s\" in source string is out of range", n.key.name),
			Detail: fmt.Sprintf("Value must be in the range %d to %d.", math.MinInt32, math.MaxInt32)}
	}
	if dst != nil {
		if err := p.set(dst, int(v), n); err != nil {
			return 0, err
		}
	}
	return p.i - init, nil
}

// strtol is C's strtol in base 10: spaces, a sign, digits. used is 0 when
// there are no digits; big reports a value outside the int range.
func strtol(s string) (v int64, used int, big bool) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := i < len(s) && s[i] == '-'
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	for ; i < len(s) && isDigit(s[i]); i++ {
		if v <= math.MaxInt32+1 {
			v = v*10 + int64(s[i]-'0')
		}
	}
	if i == start {
		return 0, 0, false
	}
	if neg {
		v = -v
	}
	return v, i, v > math.MaxInt32 || v < math.MinInt32
}

// yearComma reads Y,YYY: thousands, a comma and up to three digits.
func (p *tsParser) yearComma(n *fmtNode) error {
	rest := p.s[p.i:]
	thousands, used, big := strtol(rest)
	if used == 0 || big || used >= len(rest) || rest[used] != ',' {
		return invalidDatetime("", "", "invalid input string for \"Y,YYY\"")
	}
	end := used + 1
	for end < len(rest) && end < used+4 && isDigit(rest[end]) {
		end++
	}
	if end == used+1 {
		return invalidDatetime("", "", "invalid input string for \"Y,YYY\"")
	}
	units, _ := strconv.Atoi(rest[used+1 : end])
	if err := p.set(&p.c.year, int(thousands)*1000+units, n); err != nil {
		return err
	}
	p.c.yysz = 4
	p.i += end
	if n.th != 0 {
		p.skipSuffix()
	}
	return nil
}
