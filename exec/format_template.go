package exec

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file parses to_char and to_timestamp templates into nodes, as
// PostgreSQL's formatting.c does: the pattern table, the FM and TM
// prefixes and TH/SP suffixes, "…" quoted text and the classification of
// literal characters, and the cache that parses a constant template once
// per batch. It also holds the month and day names both directions share.

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
