package sql

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind classifies a lexical token.
type tokKind int

const (
	tkEOF    tokKind = iota
	tkIdent          // identifier or keyword; val folded to lower case unless quoted
	tkString         // '…' or E'…'; val is the unescaped content
	tkNumber         // integer or decimal literal; val is the source text
	tkParam          // $n; val is the digits
	tkOp             // operator or punctuation; val is the operator text
)

// token is one lexical token of the original query. start and end are byte
// offsets into the whole query string, so positions survive statement
// splitting and SELECT rewriting.
type token struct {
	kind   tokKind
	val    string
	quoted bool // a "quoted identifier": case kept, never a keyword
	start  int
	end    int
}

// is reports whether t is the unquoted keyword kw (lower case).
func (t token) is(kw string) bool {
	return t.kind == tkIdent && !t.quoted && t.val == kw
}

// isOp reports whether t is the operator op.
func (t token) isOp(op string) bool { return t.kind == tkOp && t.val == op }

// multiCharOps are the operators lexed as one token; everything else is a
// single character. The list is PostgreSQL's common operators, not its full
// operator grammar: Sluice has no user-defined operators.
var multiCharOps = []string{"::", "||", "<>", "!=", "<=", ">=", "=>", ":="}

// lexer turns a query string into tokens with PostgreSQL's lexical rules.
type lexer struct {
	src  string
	pos  int
	toks []token
}

// lex tokenizes the whole query. The returned slice ends with a tkEOF token
// positioned at len(src).
func lex(src string) ([]token, error) {
	l := &lexer{src: src}
	for {
		if err := l.skipSpaceAndComments(); err != nil {
			return nil, err
		}
		if l.pos >= len(l.src) {
			l.toks = append(l.toks, token{kind: tkEOF, start: len(src), end: len(src)})
			return l.toks, nil
		}
		if err := l.next(); err != nil {
			return nil, err
		}
	}
}

func (l *lexer) skipSpaceAndComments() error {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.pos++
		case strings.HasPrefix(l.src[l.pos:], "--"):
			nl := strings.IndexByte(l.src[l.pos:], '\n')
			if nl < 0 {
				l.pos = len(l.src)
			} else {
				l.pos += nl + 1
			}
		case strings.HasPrefix(l.src[l.pos:], "/*"):
			if err := l.skipBlockComment(); err != nil {
				return err
			}
		default:
			return nil
		}
	}
	return nil
}

// skipBlockComment skips a /* */ comment; PostgreSQL nests them.
func (l *lexer) skipBlockComment() error {
	start := l.pos
	depth := 0
	for l.pos < len(l.src) {
		switch {
		case strings.HasPrefix(l.src[l.pos:], "/*"):
			depth++
			l.pos += 2
		case strings.HasPrefix(l.src[l.pos:], "*/"):
			depth--
			l.pos += 2
			if depth == 0 {
				return nil
			}
		default:
			l.pos++
		}
	}
	return syntaxErrorMsg(l.src, start, "unterminated /* comment")
}

func (l *lexer) next() error {
	c := l.src[l.pos]
	switch {
	case c == '\'':
		return l.lexString(l.pos, l.pos+1, false)
	case (c == 'e' || c == 'E') && l.pos+1 < len(l.src) && l.src[l.pos+1] == '\'':
		return l.lexString(l.pos, l.pos+2, true)
	case c == '"':
		return l.lexQuotedIdent()
	case c >= '0' && c <= '9', c == '.' && l.pos+1 < len(l.src) && isDigit(l.src[l.pos+1]):
		l.lexNumber()
		return nil
	case c == '$' && l.pos+1 < len(l.src) && isDigit(l.src[l.pos+1]):
		start := l.pos
		l.pos++
		for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			l.pos++
		}
		l.emit(tkParam, l.src[start+1:l.pos], start)
		return nil
	case c == '$':
		if ok, err := l.lexDollarString(); ok || err != nil {
			return err
		}
	case isIdentStart(l.src[l.pos:]):
		l.lexIdent()
		return nil
	}
	for _, op := range multiCharOps {
		if strings.HasPrefix(l.src[l.pos:], op) {
			start := l.pos
			l.pos += len(op)
			l.emit(tkOp, op, start)
			return nil
		}
	}
	if strings.IndexByte("+-*/%^<>=(),;.[]:~!@#&|?", c) >= 0 {
		start := l.pos
		l.pos++
		l.emit(tkOp, string(c), start)
		return nil
	}
	_, size := utf8.DecodeRuneInString(l.src[l.pos:])
	return syntaxErrorAt(l.src, l.pos, l.src[l.pos:l.pos+size])
}

func (l *lexer) emit(k tokKind, val string, start int) {
	l.toks = append(l.toks, token{kind: k, val: val, start: start, end: l.pos})
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentStart(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r == '_' || unicode.IsLetter(r)
}

func isIdentPart(r rune) bool {
	return r == '_' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// lexIdent reads an unquoted identifier and folds it to lower case, as
// PostgreSQL does.
func (l *lexer) lexIdent() {
	start := l.pos
	for l.pos < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.pos:])
		if !isIdentPart(r) {
			break
		}
		l.pos += size
	}
	l.emit(tkIdent, strings.ToLower(l.src[start:l.pos]), start)
}

func (l *lexer) lexQuotedIdent() error {
	start := l.pos
	var b strings.Builder
	l.pos++
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c == '"' {
			if l.pos+1 < len(l.src) && l.src[l.pos+1] == '"' {
				b.WriteByte('"')
				l.pos += 2
				continue
			}
			l.pos++
			if b.Len() == 0 {
				return syntaxErrorMsg(l.src, start, "zero-length delimited identifier at or near \"\"\"\"")
			}
			l.toks = append(l.toks, token{kind: tkIdent, val: b.String(), quoted: true, start: start, end: l.pos})
			return nil
		}
		b.WriteByte(c)
		l.pos++
	}
	return syntaxErrorMsg(l.src, start, "unterminated quoted identifier at or near "+quoteNear(l.src[start:]))
}

// lexString reads a string literal whose body starts at body. Doubled quotes
// escape a quote; in E'…' strings backslash escapes apply too.
func (l *lexer) lexString(start, body int, escapes bool) error {
	var b strings.Builder
	l.pos = body
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '\'' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '\'':
			b.WriteByte('\'')
			l.pos += 2
		case c == '\'':
			l.pos++
			l.emit(tkString, b.String(), start)
			return nil
		case c == '\\' && escapes && l.pos+1 < len(l.src):
			b.WriteString(unescapeChar(l.src[l.pos+1]))
			l.pos += 2
		default:
			b.WriteByte(c)
			l.pos++
		}
	}
	return syntaxErrorMsg(l.src, start, "unterminated quoted string at or near "+quoteNear(l.src[start:]))
}

// unescapeChar maps the character after a backslash in an E'…' string.
func unescapeChar(c byte) string {
	switch c {
	case 'n':
		return "\n"
	case 't':
		return "\t"
	case 'r':
		return "\r"
	case 'b':
		return "\b"
	case 'f':
		return "\f"
	}
	return string(c)
}

// lexNumber reads 123, 1.5, .5, 1e10, 1.5E-3.
func (l *lexer) lexNumber() {
	start := l.pos
	for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
		l.pos++
	}
	if l.pos < len(l.src) && l.src[l.pos] == '.' && !strings.HasPrefix(l.src[l.pos:], "..") {
		l.pos++
		for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			l.pos++
		}
	}
	if l.pos < len(l.src) && (l.src[l.pos] == 'e' || l.src[l.pos] == 'E') {
		p := l.pos + 1
		if p < len(l.src) && (l.src[p] == '+' || l.src[p] == '-') {
			p++
		}
		if p < len(l.src) && isDigit(l.src[p]) {
			for p < len(l.src) && isDigit(l.src[p]) {
				p++
			}
			l.pos = p
		}
	}
	l.emit(tkNumber, l.src[start:l.pos], start)
}

// lexDollarString reads a dollar-quoted string, $$…$$ or $tag$…$tag$ (the
// body of DO and CREATE FUNCTION); ok is false when no tag starts here.
func (l *lexer) lexDollarString() (ok bool, err error) {
	start := l.pos
	end := start + 1
	for end < len(l.src) && l.src[end] != '$' {
		r, size := utf8.DecodeRuneInString(l.src[end:])
		if !isIdentPart(r) || r == '$' || end == start+1 && isDigit(l.src[end]) {
			return false, nil
		}
		end += size
	}
	if end >= len(l.src) {
		return false, nil
	}
	tag := l.src[start : end+1]
	body := end + 1
	closeAt := strings.Index(l.src[body:], tag)
	if closeAt < 0 {
		return true, syntaxErrorMsg(l.src, start, "unterminated dollar-quoted string at or near "+quoteNear(l.src[start:]))
	}
	l.pos = body + closeAt + len(tag)
	l.toks = append(l.toks, token{kind: tkString, val: l.src[body : body+closeAt], start: start, end: l.pos})
	return true, nil
}
