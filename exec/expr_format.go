package exec

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// This file is PostgreSQL's to_char(timestamp, text) and
// to_timestamp(text, text) (formatting.c, as of PostgreSQL 15): the same
// template patterns, the same lenient input rules (separators and spaces
// match loosely outside FX mode, a number stops at the next separator or
// after its field's width) and the same error wording, so that client
// templates (Superset's 'YYYY-MM-DD HH24:MI:SS.US') give what PostgreSQL
// gives. Sluice's TimeZone is UTC: text without TZH/TZM is read as UTC, and
// timestamptz values print in UTC.

// fmtField is what a template pattern stands for; the spelling (its case,
// AM or PM) is in the node's key.
type fmtField uint8

const (
	fYYYY fmtField = iota
	fYYY
	fYY
	fY
	fYComma // Y,YYY
	fIYYY
	fIYY
	fIY
	fI
	fCC
	fQ
	fMM
	fMonth
	fMon
	fRM
	fWW
	fW
	fIW
	fDDD
	fIDDD
	fDD
	fD
	fID
	fDay
	fDy
	fJ
	fHH24
	fHH12
	fMI
	fSS
	fSSSS
	fMS
	fUS
	fFF
	fAM     // AM, PM
	fAMDots // A.M., P.M.
	fAD     // AD, BC
	fADDots // A.D., B.C.
	fTZ
	fTZH
	fTZM
	fOF
	fFX
)

// Letter case of a pattern whose output is words: MONTH, Month, month.
const (
	caseUpper uint8 = iota
	caseTitle
	caseLower
)

// fmtKey is one template pattern. digit is PostgreSQL's is_digit: whether
// the field reads digits, which decides whether a number before it must
// keep to its width.
type fmtKey struct {
	name  string
	field fmtField
	digit bool
	cas   uint8
	ff    int // the n of FFn
}

// fmtKeys are PostgreSQL's patterns, longest first so that a prefix
// match finds HH24 before HH and MONTH before MON. Every pattern has an
// upper- and a lower-case spelling; the word patterns also a title-case one.
var fmtKeys = buildFmtKeys()

func buildFmtKeys() []fmtKey {
	digits := map[string]fmtField{
		"YYYY": fYYYY, "YYY": fYYY, "YY": fYY, "Y": fY, "Y,YYY": fYComma,
		"IYYY": fIYYY, "IYY": fIYY, "IY": fIY, "I": fI, "CC": fCC, "Q": fQ,
		"MM": fMM, "WW": fWW, "W": fW, "IW": fIW, "DDD": fDDD, "IDDD": fIDDD,
		"DD": fDD, "D": fD, "ID": fID, "J": fJ, "HH24": fHH24, "HH12": fHH12,
		"HH": fHH12, "MI": fMI, "SS": fSS, "SSSS": fSSSS, "SSSSS": fSSSS,
		"MS": fMS, "US": fUS, "TZM": fTZM,
	}
	words := map[string]fmtField{
		"MONTH": fMonth, "MON": fMon, "DAY": fDay, "DY": fDy, "RM": fRM,
		"AM": fAM, "PM": fAM, "A.M.": fAMDots, "P.M.": fAMDots, "AD": fAD,
		"BC": fAD, "A.D.": fADDots, "B.C.": fADDots, "TZ": fTZ, "TZH": fTZH,
		"OF": fOF, "FX": fFX,
	}
	var keys []fmtKey
	add := func(name string, f fmtField, digit bool) {
		keys = append(keys, fmtKey{name: name, field: f, digit: digit, cas: caseUpper},
			fmtKey{name: strings.ToLower(name), field: f, digit: digit, cas: caseLower})
	}
	for name, f := range digits {
		add(name, f, true)
	}
	for name, f := range words {
		add(name, f, false)
	}
	for i := 1; i <= 6; i++ {
		add("FF"+strconv.Itoa(i), fFF, false)
		keys[len(keys)-1].ff, keys[len(keys)-2].ff = i, i
	}
	for _, name := range []string{"Month", "Mon", "Day", "Dy"} {
		keys = append(keys, fmtKey{name: name, field: words[strings.ToUpper(name)], cas: caseTitle})
	}
	sort.SliceStable(keys, func(i, j int) bool {
		if len(keys[i].name) != len(keys[j].name) {
			return len(keys[i].name) > len(keys[j].name)
		}
		return keys[i].name < keys[j].name
	})
	return keys
}

func lookupFmtKey(s string) *fmtKey {
	for i := range fmtKeys {
		if strings.HasPrefix(s, fmtKeys[i].name) {
			return &fmtKeys[i]
		}
	}
	return nil
}

// fmtNode is one element of a parsed template: a pattern (key set) or one
// literal character, classified as PostgreSQL classifies it for input.
type fmtNode struct {
	key  *fmtKey
	text string // the character of a literal
	kind nodeKind
	fm   bool  // FM prefix: no padding on output, no fixed width on input
	th   uint8 // TH (1) or th (2) suffix: an ordinal suffix
}

type nodeKind uint8

const (
	nodeField nodeKind = iota
	nodeChar           // a letter, digit or quoted character
	nodeSpace          // white space
	nodeSep            // other printable ASCII
)

// parseTemplate splits a template into nodes. As in PostgreSQL, anything
// that is not a pattern is literal text, "…" quotes text (a backslash
// escapes the next character), and a prefix with no pattern after it is
// dropped.
func parseTemplate(f string) []fmtNode {
	var out []fmtNode
	for i := 0; i < len(f); {
		var n fmtNode
		if p := f[i:]; strings.HasPrefix(p, "FM") || strings.HasPrefix(p, "fm") {
			n.fm, i = true, i+2
		} else if strings.HasPrefix(p, "TM") || strings.HasPrefix(p, "tm") {
			i += 2 // translation mode: the C locale's names are the only ones
		}
		if k := lookupFmtKey(f[i:]); k != nil {
			n.key, i = k, i+len(k.name)
			n.th, i = templateSuffix(f, i)
			out = append(out, n)
			continue
		}
		if i >= len(f) {
			break
		}
		if f[i] == '"' {
			out, i = quotedText(out, f, i+1)
			continue
		}
		if f[i] == '\\' && i+1 < len(f) && f[i+1] == '"' {
			i++
		}
		_, size := utf8.DecodeRuneInString(f[i:])
		out = append(out, literalNode(f[i:i+size]))
		i += size
	}
	return out
}

// templateSuffix reads a TH, th or SP suffix at f[i:] (SP, spell mode, is
// accepted and ignored, as PostgreSQL does).
func templateSuffix(f string, i int) (uint8, int) {
	switch {
	case strings.HasPrefix(f[i:], "TH"):
		return 1, i + 2
	case strings.HasPrefix(f[i:], "th"):
		return 2, i + 2
	case strings.HasPrefix(f[i:], "SP"):
		return 0, i + 2
	}
	return 0, i
}

// quotedText appends the characters of a "…" literal starting after its
// opening quote; they are text even where they are spaces or separators.
func quotedText(out []fmtNode, f string, i int) ([]fmtNode, int) {
	for i < len(f) {
		if f[i] == '"' {
			return out, i + 1
		}
		if f[i] == '\\' && i+1 < len(f) {
			i++
		}
		_, size := utf8.DecodeRuneInString(f[i:])
		out = append(out, fmtNode{kind: nodeChar, text: f[i : i+size]})
		i += size
	}
	return out, i
}

func literalNode(c string) fmtNode {
	kind := nodeChar
	switch {
	case isSeparatorChar(c[0]):
		kind = nodeSep
	case isCSpace(c[0]):
		kind = nodeSpace
	}
	return fmtNode{kind: kind, text: c}
}

// isSeparatorChar is printable ASCII other than letters and digits.
func isSeparatorChar(c byte) bool {
	return c > 0x20 && c < 0x7f && !isASCIILetter(c) && !isDigit(c)
}

func isASCIILetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isDigit(c byte) bool       { return c >= '0' && c <= '9' }

// isCSpace is C's isspace, which PostgreSQL uses to skip input.
func isCSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

// templateCache keeps the parsed template of the previous row, so a
// constant template (the usual case) is parsed once per batch.
type templateCache struct {
	src   string
	nodes []fmtNode
	ok    bool
}

func (c *templateCache) get(f []byte) []fmtNode {
	if !c.ok || string(f) != c.src {
		c.src, c.nodes, c.ok = string(f), parseTemplate(string(f)), true
	}
	return c.nodes
}

var (
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
	monthAbbrevs = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	dayNames     = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	dayAbbrevs   = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	// romanMonths run from December to January, longest spelling first
	// for input: the month is 12 minus the index.
	romanMonths = []string{"XII", "XI", "X", "IX", "VIII", "VII", "VI", "V", "IV", "III", "II", "I"}
)

func applyCase(s string, cas uint8) string {
	switch cas {
	case caseUpper:
		return strings.ToUpper(s)
	case caseLower:
		return strings.ToLower(s)
	}
	return s
}

// tmFields is a timestamp broken into the fields to_char prints.
type tmFields struct {
	t     time.Time
	us    int64 // microseconds within the second
	zoned bool  // timestamptz: TZ prints the zone's name
}

// appendToChar formats us (µs since the epoch, UTC) with a template.
func appendToChar(dst []byte, nodes []fmtNode, us int64, zoned bool) []byte {
	sec := floorDiv(us, microsPerSecond)
	tm := tmFields{t: time.Unix(sec, 0).UTC(), us: us - sec*microsPerSecond, zoned: zoned}
	for i := range nodes {
		n := &nodes[i]
		if n.key == nil {
			dst = append(dst, n.text...)
			continue
		}
		if n.key.digit {
			start := len(dst)
			dst = appendNumberField(dst, n, &tm)
			if n.th != 0 && n.key.field != fTZM {
				dst = appendOrdinal(dst, start, n.th == 1)
			}
			continue
		}
		dst = appendWordField(dst, n, &tm)
	}
	return dst
}

// pgYear is the year as PostgreSQL prints it: 1 BC is 1, not 0.
func pgYear(y int) int {
	if y <= 0 {
		return 1 - y
	}
	return y
}

// appendNumberField prints a numeric pattern, zero-padded to its width
// unless FM.
func appendNumberField(dst []byte, n *fmtNode, tm *tmFields) []byte {
	t := tm.t
	isoYear, isoWeek := t.ISOWeek()
	isoDay := (int(t.Weekday())+6)%7 + 1
	switch f := n.key.field; f {
	case fYYYY, fYYY, fYY, fY, fIYYY, fIYY, fIY, fI:
		return appendYear(dst, n, t.Year(), isoYear)
	case fYComma:
		y := pgYear(t.Year())
		return fmt.Appendf(dst, "%d,%03d", y/1000, y%1000)
	case fCC:
		return appendCentury(dst, n, t.Year())
	case fSSSS:
		return strconv.AppendInt(dst, int64(t.Hour()*3600+t.Minute()*60+t.Second()), 10)
	case fHH12:
		return appendPadded(dst, (t.Hour()+11)%12+1, 2, n.fm)
	case fJ:
		return strconv.AppendInt(dst, floorDiv(t.Unix(), 86400)+2440588, 10)
	default:
		v, width := numberValue(f, tm, isoWeek, isoDay)
		if width < 0 { // fractions keep their digits whatever FM says
			return fmt.Appendf(dst, "%0*d", -width, v)
		}
		return appendPadded(dst, v, width, n.fm)
	}
}

// numberValue is the value of a simple numeric field and its padded width
// (0: never padded; negative: a fraction of that many digits).
func numberValue(f fmtField, tm *tmFields, isoWeek, isoDay int) (int, int) {
	t := tm.t
	switch f {
	case fQ:
		return (int(t.Month())-1)/3 + 1, 0
	case fMM:
		return int(t.Month()), 2
	case fWW:
		return (t.YearDay()-1)/7 + 1, 2
	case fW:
		return (t.Day()-1)/7 + 1, 0
	case fIW:
		return isoWeek, 2
	case fDDD:
		return t.YearDay(), 3
	case fIDDD:
		return (isoWeek-1)*7 + isoDay, 3
	case fDD:
		return t.Day(), 2
	case fD:
		return int(t.Weekday()) + 1, 0
	case fID:
		return isoDay, 0
	case fHH24:
		return t.Hour(), 2
	case fMI:
		return t.Minute(), 2
	case fSS:
		return t.Second(), 2
	case fMS:
		return int(tm.us / 1000), -3
	case fUS:
		return int(tm.us), -6
	case fTZM:
		return 0, 2
	}
	return 0, 0
}

// appendYear prints YYYY…Y and IYYY…I: the last digits of the (ISO) year.
func appendYear(dst []byte, n *fmtNode, year, isoYear int) []byte {
	f := n.key.field
	if f >= fIYYY {
		year, f = isoYear, f-fIYYY
	}
	digits := 4 - int(f-fYYYY)
	width := digits
	if n.fm {
		width = 0
	}
	s := fmt.Sprintf("%0*d", width, pgYear(year))
	if digits < 4 && len(s) > digits {
		s = s[len(s)-digits:]
	}
	return append(dst, s...)
}

// appendCentury prints CC: century 21 is 2001–2100, 1 BC is in century -1.
func appendCentury(dst []byte, n *fmtNode, year int) []byte {
	c := year/100 - 1
	if year > 0 {
		c = (year-1)/100 + 1
	}
	if c > 99 || c < -99 {
		return strconv.AppendInt(dst, int64(c), 10)
	}
	width := 2
	if c < 0 {
		width = 3
	}
	return appendPadded(dst, c, width, n.fm)
}

// appendPadded is C's "%0*d" with width 0 under FM.
func appendPadded(dst []byte, v, width int, fm bool) []byte {
	if fm {
		width = 0
	}
	return fmt.Appendf(dst, "%0*d", width, v)
}

// appendOrdinal adds st, nd, rd or th after the number at dst[start:]
// (11th to 13th, and every teen, take th).
func appendOrdinal(dst []byte, start int, upper bool) []byte {
	num := dst[start:]
	suffix := "th"
	if len(num) > 0 && (len(num) < 2 || num[len(num)-2] != '1') {
		switch num[len(num)-1] {
		case '1':
			suffix = "st"
		case '2':
			suffix = "nd"
		case '3':
			suffix = "rd"
		}
	}
	if upper {
		suffix = strings.ToUpper(suffix)
	}
	return append(dst, suffix...)
}

// appendWordField prints the patterns that are not plain numbers: names
// (blank-padded to 9 characters, or 4 for RM, unless FM), meridian and era
// indicators, the zone and fractions of a second.
func appendWordField(dst []byte, n *fmtNode, tm *tmFields) []byte {
	t, k := tm.t, n.key
	padded := func(s string, width int) []byte {
		if n.fm {
			width = 0
		}
		return fmt.Appendf(dst, "%-*s", width, s)
	}
	switch k.field {
	case fMonth:
		return padded(applyCase(monthNames[t.Month()-1], k.cas), 9)
	case fMon:
		return append(dst, applyCase(monthAbbrevs[t.Month()-1], k.cas)...)
	case fDay:
		return padded(applyCase(dayNames[t.Weekday()], k.cas), 9)
	case fDy:
		return append(dst, applyCase(dayAbbrevs[t.Weekday()], k.cas)...)
	case fRM:
		return padded(applyCase(romanMonths[12-int(t.Month())], k.cas), 4)
	case fAM, fAMDots:
		return append(dst, applyCase(meridian(t.Hour() >= 12, k.field == fAMDots), k.cas)...)
	case fAD, fADDots:
		return append(dst, applyCase(era(t.Year() <= 0, k.field == fADDots), k.cas)...)
	case fTZ:
		if tm.zoned {
			return append(dst, applyCase("UTC", k.cas)...)
		}
		return dst
	case fTZH:
		return append(dst, "+00"...)
	case fOF:
		return appendPadded(append(dst, '+'), 0, 2, n.fm)
	case fFF:
		return fmt.Appendf(dst, "%0*d", k.ff, tm.us/int64(math.Pow10(6-k.ff)))
	}
	return dst // FX only matters on input
}

func meridian(pm, dots bool) string {
	switch {
	case pm && dots:
		return "P.M."
	case pm:
		return "PM"
	case dots:
		return "A.M."
	}
	return "AM"
}

func era(bc, dots bool) string {
	switch {
	case bc && dots:
		return "B.C."
	case bc:
		return "BC"
	case dots:
		return "A.D."
	}
	return "AD"
}

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

// Which date fields were given, for validation.
const (
	maskYear uint8 = 1 << iota
	maskMonth
	maskDay
	maskDate = maskYear | maskMonth | maskDay
)

// The range of timestamps: PostgreSQL's lower bound (4714-11-24 BC), and
// the largest second whose microseconds fit Sluice's int64.
const (
	minTimestampSec = -210866803200
	maxTimestampSec = math.MaxInt64/microsPerSecond - 1
	pgEpochMicros   = 946684800 * microsPerSecond // 2000-01-01, where PostgreSQL rounds from
)

// timestamp assembles what was read, as PostgreSQL's do_to_timestamp:
// fields not given default to 0001-01-01 BC 00:00:00.
func (p *tsParser) timestamp() (int64, error) {
	c := &p.c
	h, mi, s := 0, 0, 0
	if c.ssss != 0 {
		h, mi, s = c.ssss/3600, c.ssss%3600/60, c.ssss%60
	}
	h, mi, s = cmp.Or(c.hh, h), cmp.Or(c.mi, mi), cmp.Or(c.ss, s)
	if c.clock12 {
		if h < 1 || h > 12 {
			return 0, invalidDatetime("", "Use the 24-hour clock, or give an hour between 1 and 12.",
				"hour \"%d\" is invalid for the 12-hour clock", h)
		}
		h = h%12 + 12*c.pm
	}
	y, m, d, mask, err := c.date()
	if err != nil {
		return 0, err
	}
	fsec := int64(c.ms)*1000 + int64(c.us)
	if (mask != 0 && !validDate(y, m, d, mask)) || h < 0 || h >= 24 || mi < 0 || mi >= 60 ||
		s < 0 || s >= 60 || fsec < 0 || fsec >= microsPerSecond {
		return 0, p.overflow("date/time field value out of range")
	}
	off := 0
	if c.tzsign != 0 {
		if c.tzh < 0 || c.tzh > 15 || c.tzm < 0 || c.tzm >= 60 {
			return 0, p.overflow("time zone displacement out of range")
		}
		off = c.tzsign * (c.tzh*3600 + c.tzm*60)
	}
	return assembleTimestamp(y, m, d, h*3600+mi*60+s-off, fsec, c.ff)
}

func (p *tsParser) overflow(msg string) error {
	return &DetailedError{Err: ErrDatetimeOverflow, Msg: fmt.Sprintf("%s: \"%s\"", msg, p.s)}
}

// assembleTimestamp is the date plus secs seconds and fsec µs, rounded
// to ff fractional digits when FFn was read.
func assembleTimestamp(y, m, d, secs int, fsec int64, ff int) (int64, error) {
	tooBig := &DetailedError{Err: ErrDatetimeOverflow, Msg: "timestamp out of range"}
	if y < -4713 || (y == -4713 && m < 11) || y > 294277 {
		return 0, tooBig
	}
	sec := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() + int64(secs)
	if sec < minTimestampSec || sec > maxTimestampSec {
		return 0, tooBig
	}
	us := sec*microsPerSecond + fsec
	if ff > 0 && ff < 6 {
		scale := int64(math.Pow10(6 - ff))
		pg := us - pgEpochMicros
		if pg >= 0 {
			pg = (pg + scale/2) / scale * scale
		} else {
			pg = -((-pg + scale/2) / scale * scale)
		}
		us = pg + pgEpochMicros
	}
	return us, nil
}

// date is the year, month and day the fields give, and which were given.
func (c *fromChar) date() (y, m, d int, mask uint8, err error) {
	y, m, d = c.fullYear(), 1, 1
	if c.year != 0 || c.cc != 0 {
		mask |= maskYear
	}
	if c.j != 0 {
		t := time.Unix((int64(c.j)-2440588)*86400, 0).UTC()
		y, m, d, mask = t.Year(), int(t.Month()), t.Day(), maskDate
	}
	ddd, dd := c.ddd, c.dd
	if c.ww != 0 {
		ddd = (c.ww-1)*7 + 1
	}
	if c.w != 0 {
		dd = (c.w-1)*7 + 1
	}
	if dd != 0 {
		d, mask = dd, mask|maskDay
	}
	if c.mm != 0 {
		m, mask = c.mm, mask|maskMonth
	}
	if ddd != 0 && (m <= 1 || d <= 1) {
		if y == 0 && c.bc == 0 {
			return 0, 0, 0, 0, invalidDatetime("", "", "cannot calculate day of year without year information")
		}
		dm, dday := monthDayOfYear(y, ddd)
		if m <= 1 {
			m = dm
		}
		if d <= 1 {
			d = dday
		}
		mask |= maskMonth | maskDay
	}
	return y, m, d, mask, nil
}

// fullYear is the year (0 is 1 BC) from YYYY…Y, CC and BC. With CC, a
// year of one or two digits is the year within that century.
func (c *fromChar) fullYear() int {
	cc := c.cc
	if c.bc != 0 {
		cc = -cc
	}
	switch {
	case c.year != 0 && c.cc != 0 && c.yysz <= 2:
		yy := c.year % 100
		switch {
		case yy == 0 && cc >= 0:
			return cc * 100
		case yy == 0:
			return cc*100 + 1
		case cc >= 0:
			return yy + (cc-1)*100
		}
		return (cc+1)*100 - yy + 1
	case c.year != 0:
		y := c.year
		if c.bc != 0 {
			y = -y
		}
		if y < 0 {
			y++
		}
		return y
	case c.cc != 0 && cc >= 0:
		return (cc-1)*100 + 1
	case c.cc != 0:
		return cc*100 + 1
	}
	return 0
}

// monthDayOfYear turns a day of the year into a month and day; past the
// year's end the month is 13, which validation refuses.
func monthDayOfYear(y, ddd int) (int, int) {
	sums := [13]int{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365}
	if isLeap(y) {
		sums = [13]int{0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366}
	}
	m := 1
	for m <= 12 && ddd > sums[m] {
		m++
	}
	return m, ddd - sums[m-1]
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// validDate is PostgreSQL's ValidateDate for the fields given: the day is
// checked against its month only when year, month and day were all given.
func validDate(y, m, d int, mask uint8) bool {
	if mask&maskMonth != 0 && (m < 1 || m > 12) {
		return false
	}
	if mask&maskDay != 0 && (d < 1 || d > 31) {
		return false
	}
	if mask == maskDate {
		return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	}
	return true
}

// newFormatFunc builds to_timestamp(text, text) and
// to_char(timestamp[tz], text); to_timestamp(double precision) is
// newToTimestamp. With two constant arguments the value is computed
// here, unless that fails: then the error is left for evaluation, as a
// query over no rows must not fail.
func newFormatFunc(fn string, t arrow.DataType, args []Expr) (Expr, error) {
	if fn == "to_timestamp" && len(args) == 1 {
		return newToTimestamp(t, args)
	}
	if err := wantArgs(args, 2); err != nil {
		return nil, err
	}
	if args[1].DataType().ID() != arrow.STRING {
		return nil, fmt.Errorf("template of type %s, want text", args[1].DataType())
	}
	c := &callExpr{fn: fn, args: args}
	switch in := args[0].DataType(); {
	case fn == "to_char" && in.ID() == arrow.TIMESTAMP:
		c.t, c.kernel = arrow.BinaryTypes.String, toCharKernel(in.(*arrow.TimestampType).TimeZone != "")
	case fn == "to_timestamp" && in.ID() == arrow.STRING:
		c.t = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
		c.kernel = toTimestampKernel(c.t)
	default:
		return nil, fmt.Errorf("argument of type %s is not supported", in)
	}
	return foldConstant(c), nil
}

// foldConstant evaluates a call whose arguments are all literals.
func foldConstant(c *callExpr) Expr {
	ops := make([]operand, len(c.args))
	for i, a := range c.args {
		l, ok := a.(*litExpr)
		if !ok || l.err != nil {
			return c
		}
		ops[i] = operand{lit: l.v, isLit: true}
	}
	mem := memory.NewGoAllocator()
	out, err := c.kernel(context.Background(), mem, ops, 1)
	if err != nil {
		return c
	}
	defer out.Release()
	v := scalarAt(out, 0)
	if s, ok := v.(string); ok {
		v = strings.Clone(s) // it shares the array's buffer
	}
	return Lit(v, c.t)
}

// toCharKernel formats each timestamp with its row's template; an empty
// template gives NULL, as in PostgreSQL. The template cache is per call:
// a query's expressions may be evaluated on several goroutines.
func toCharKernel(zoned bool) kernelFunc {
	return func(ctx context.Context, mem memory.Allocator, ops []operand, n int) (arrow.Array, error) {
		var cache templateCache
		return stringRows(func(ops []operand, i int, dst []byte) ([]byte, bool, error) {
			f := strAt(ops[1], i)
			if len(f) == 0 {
				return nil, false, nil
			}
			return appendToChar(dst, cache.get(f), int64At(ops[0], i), zoned), true, nil
		}, false)(ctx, mem, ops, n)
	}
}

// toTimestampKernel parses each text with its row's template.
func toTimestampKernel(t arrow.DataType) kernelFunc {
	return func(_ context.Context, mem memory.Allocator, ops []operand, n int) (arrow.Array, error) {
		if ops[0].nullLit() || ops[1].nullLit() {
			return array.MakeArrayOfNull(mem, t, n), nil
		}
		var cache templateCache
		text, format := bytesGetter(ops[0]), bytesGetter(ops[1])
		valid, nulls := combineValidity(mem, n, ops...)
		buf, dst := newFixedBuf[int64](mem, n)
		for i := range dst {
			if nulls > 0 && !isRowValid(valid, i) {
				continue
			}
			v, err := parseFormatted(string(text(i)), cache.get(format(i)))
			if err != nil {
				buf.Release()
				if valid != nil {
					valid.Release()
				}
				return nil, err
			}
			dst[i] = v
		}
		return makeArray(t, n, nulls, valid, buf), nil
	}
}
