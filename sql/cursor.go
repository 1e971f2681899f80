package sql

// cursor walks the tokens of one statement for the hand-written parsers.
// toks always ends with a tkEOF token (the statement's terminator).
type cursor struct {
	src  string
	toks []token
	i    int
}

func (c *cursor) peek() token { return c.toks[c.i] }

// peekN returns the token n ahead (0 is peek), or the terminator.
func (c *cursor) peekN(n int) token {
	if c.i+n >= len(c.toks) {
		return c.toks[len(c.toks)-1]
	}
	return c.toks[c.i+n]
}

func (c *cursor) next() token {
	t := c.toks[c.i]
	if t.kind != tkEOF {
		c.i++
	}
	return t
}

func (c *cursor) atEnd() bool { return c.peek().kind == tkEOF }

// textFrom returns the source from token t to the end of the statement's
// last token: whitespace and comments after it are not part of the text.
func (c *cursor) textFrom(t token) string {
	return c.src[t.start:c.toks[len(c.toks)-2].end]
}

// accept consumes the keyword kw if it is next.
func (c *cursor) accept(kw string) bool {
	if c.peek().is(kw) {
		c.i++
		return true
	}
	return false
}

// acceptSeq consumes the keywords kws if all of them are next.
func (c *cursor) acceptSeq(kws ...string) bool {
	for n, kw := range kws {
		if !c.peekN(n).is(kw) {
			return false
		}
	}
	c.i += len(kws)
	return true
}

func (c *cursor) acceptOp(op string) bool {
	if c.peek().isOp(op) {
		c.i++
		return true
	}
	return false
}

func (c *cursor) expect(kw string) error {
	if !c.accept(kw) {
		return c.errHere()
	}
	return nil
}

func (c *cursor) expectOp(op string) error {
	if !c.acceptOp(op) {
		return c.errHere()
	}
	return nil
}

// ident consumes an identifier (a name): quoted names keep their case.
func (c *cursor) ident() (string, error) {
	t := c.peek()
	if t.kind != tkIdent {
		return "", c.errHere()
	}
	c.i++
	return t.val, nil
}

// expectEnd fails unless every token has been consumed.
func (c *cursor) expectEnd() error {
	if !c.atEnd() {
		return c.errHere()
	}
	return nil
}

// errHere is a syntax error at the next token.
func (c *cursor) errHere() *Error { return syntaxErrorTok(c.src, c.peek()) }
