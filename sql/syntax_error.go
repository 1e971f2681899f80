package sql

import (
	"strings"
	"unicode/utf8"
)

// charPos converts a byte offset in src to PostgreSQL's 1-based character
// position.
func charPos(src string, off int) int {
	if off < 0 {
		return 0
	}
	if off > len(src) {
		off = len(src)
	}
	return utf8.RuneCountInString(src[:off]) + 1
}

// quoteNear renders a token for an "at or near" message. PostgreSQL quotes
// the token text as is.
func quoteNear(s string) string { return `"` + s + `"` }

// syntaxErrorAt is PostgreSQL's `syntax error at or near "tok"`.
func syntaxErrorAt(src string, off int, tok string) *Error {
	return syntaxErrorMsg(src, off, "syntax error at or near "+quoteNear(tok))
}

// syntaxErrorMsg is a 42601 error with a custom message at a byte offset.
func syntaxErrorMsg(src string, off int, msg string) *Error {
	return &Error{Code: CodeSyntax, Message: msg, Pos: charPos(src, off)}
}

// syntaxErrorTok reports a syntax error at token t: "at end of input" for
// the end of the query, else "at or near" the token's source text.
func syntaxErrorTok(src string, t token) *Error {
	if t.kind == tkEOF && t.val == "" {
		return syntaxErrorMsg(src, len(src), "syntax error at end of input")
	}
	return syntaxErrorAt(src, t.start, src[t.start:t.end])
}

// errorAt returns an *Error with a position at byte offset off of src.
func errorAt(src string, off int, code, format string, args ...any) *Error {
	e := Errorf(code, format, args...)
	e.Pos = charPos(src, off)
	return e
}

// notSupported is the 0A000 error naming an unsupported feature.
func notSupported(src string, off int, feature string) *Error {
	return errorAt(src, off, CodeFeatureNotSupported, "not supported: %s", feature)
}

// quoteLiteral renders s as a SQL string literal.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// quoteIdent renders an identifier, quoting it when it would not survive
// folding or is not a plain word.
func quoteIdent(s string) string {
	plain := s != ""
	for i, r := range s {
		if !(r == '_' || (r >= 'a' && r <= 'z') || (i > 0 && (r >= '0' && r <= '9' || r == '$'))) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func upper(s string) string { return strings.ToUpper(s) }
