package sql

import (
	"errors"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// outTok is one token of the rewritten (TiDB) text, with the byte range of
// the original token it came from so errors point into the user's text.
type outTok struct {
	text    string
	orig    int
	origEnd int
}

// castTarget is the real target type of a rewritten cast: TiDB's CAST knows
// only MySQL types, so casts become sluice_cast(x, i) with i indexing these.
type castTarget struct {
	T    arrow.DataType
	Name string // the canonical SQL name
}

// parenFrame is one open parenthesis; cast marks the "(" of CAST(. In
// catalog queries (pg_rewrite.go) a frame may also be a "[" (bracket), and
// close is extra text its closing token emits.
type parenFrame struct {
	cast, sawAs bool
	bracket     bool
	close       string
}

// inCast reports whether the innermost parenthesis is CAST's.
func (r *rewriter) inCast() bool {
	return len(r.frames) > 0 && r.frames[len(r.frames)-1].cast
}

// rewriter turns the tokens of one SELECT into text the TiDB parser accepts
// (see doc.go for the list of rewrites) and captures the streaming clauses.
type rewriter struct {
	c          *cursor
	out        []outTok
	frames     []parenFrame
	casts      []castTarget
	params     map[int]int // index in out of a "?" → n of $n
	emit       EmitMode
	inOrderBy  bool
	orderItem  int
	nullsFirst map[int]bool
	pg         pgState // catalog-query rewrites; off for ordinary SELECTs
}

// Internal function names the rewriter emits; the binder recognises them.
const (
	fnCast     = "sluice_cast"
	fnInterval = "sluice_interval"
	fnBool     = "sluice_bool"
	fnExtract  = "sluice_extract"
	fnTumble   = "sluice_tumble"
	fnHop      = "sluice_hop"
	fnSession  = "sluice_session"
)

func newRewriter(c *cursor) *rewriter {
	return &rewriter{c: c, params: map[int]int{}, nullsFirst: map[int]bool{}}
}

// put appends rewritten tokens that stand for original token t.
func (r *rewriter) put(t token, texts ...string) {
	for _, s := range texts {
		r.out = append(r.out, outTok{text: s, orig: t.start, origEnd: t.end})
	}
}

// run rewrites every token up to the statement's end.
func (r *rewriter) run() error {
	for !r.c.atEnd() {
		t := r.c.next()
		var err error
		switch t.kind {
		case tkString:
			r.put(t, quoteLiteral(t.val))
		case tkNumber:
			r.put(t, numberText(t.val))
		case tkParam:
			n, ok := smallInt(t.val)
			if !ok || n == 0 {
				return errorAt(r.c.src, t.start, CodeSyntax, "invalid parameter number $%s", t.val)
			}
			r.params[len(r.out)] = n
			r.put(t, "?")
		case tkIdent:
			err = r.ident(t)
		case tkOp:
			err = r.op(t)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *rewriter) ident(t token) error {
	if strings.HasPrefix(t.val, "sluice_") && r.c.peek().isOp("(") {
		// The internal functions are reserved for the rewriter's output.
		return errorAt(r.c.src, t.start, CodeUndefinedFunction, "function %s does not exist", t.val)
	}
	if t.quoted {
		r.put(t, "`"+strings.ReplaceAll(t.val, "`", "``")+"`")
		return nil
	}
	if r.pg.on {
		if done, err := r.pgIdent(t); done {
			return err
		}
	}
	next := r.c.peek()
	depth0 := len(r.frames) == 0
	switch {
	case t.val == "interval":
		return r.interval(t)
	case t.val == "cast" && next.isOp("("):
		r.c.next()
		r.frames = append(r.frames, parenFrame{cast: true})
		r.put(t, fnCast, "(")
	case t.val == "as" && r.inCast() && !r.frames[len(r.frames)-1].sawAs:
		return r.castAs(t)
	case t.val == "extract" && next.isOp("("):
		return r.extract(t)
	case (t.val == "tumble" || t.val == "hop" || t.val == "session") && next.isOp("("):
		r.put(t, "sluice_"+t.val)
	case (t.val == "timestamp" || t.val == "timestamptz" || t.val == "date") && next.kind == tkString:
		return r.typedLiteral(t)
	case (t.val == "true" || t.val == "false") && !r.afterIs():
		v := "0"
		if t.val == "true" {
			v = "1"
		}
		r.put(t, fnBool, "(", v, ")")
	case t.val == "emit" && depth0:
		return r.emitClause(t)
	case t.val == "nulls" && depth0 && r.inOrderBy && (next.is("first") || next.is("last")):
		r.nullsFirst[r.orderItem] = r.c.next().val == "first"
	case t.val == "order" && depth0 && next.is("by"):
		r.inOrderBy, r.orderItem = true, 0
		r.put(t, t.val)
	case sqlKeywords[t.val] || next.isOp("("):
		if depth0 && (t.val == "limit" || t.val == "offset") {
			r.inOrderBy = false
		}
		r.put(t, t.val)
	default:
		// Any other word is a name: quote it so that words MySQL reserves
		// but PostgreSQL does not (key, range, status, …) stay names.
		r.put(t, "`"+t.val+"`")
	}
	return nil
}

// sqlKeywords are the words of the SELECT grammar that must reach TiDB
// unquoted. Every other unquoted word is a name.
var sqlKeywords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`select from where group by having order limit offset as and or not
		in is null like ilike between case when then else end distinct all asc desc on join left right
		inner outer cross full natural using exists any some union intersect except with over partition
		escape window for update lateral true false unknown collate current_timestamp current_date
		current_time localtime localtimestamp current_user session_user user array row into nulls
		recursive interval cast extract both leading trailing`) {
		sqlKeywords[w] = true
	}
}

// afterIs reports whether the previous tokens are IS or IS NOT, where TRUE
// and FALSE are part of the IS TRUE predicate rather than literals.
func (r *rewriter) afterIs() bool {
	n := len(r.out)
	return n > 0 && (r.out[n-1].text == "is" || (r.out[n-1].text == "not" && n > 1 && r.out[n-2].text == "is"))
}

func (r *rewriter) op(t token) error {
	if r.pg.on {
		if done, err := r.pgOp(t); done {
			return err
		}
	}
	switch t.val {
	case "(":
		r.frames = append(r.frames, parenFrame{})
	case ")":
		if r.inCast() && !r.frames[len(r.frames)-1].sawAs {
			return syntaxErrorAt(r.c.src, t.start, t.val)
		}
		if len(r.frames) > 0 {
			r.frames = r.frames[:len(r.frames)-1]
		}
	case "::":
		return r.postfixCast(t)
	case ",":
		if r.inCast() {
			return syntaxErrorAt(r.c.src, t.start, t.val)
		}
		if len(r.frames) == 0 && r.inOrderBy {
			r.orderItem++
		}
	case "[":
		return notSupported(r.c.src, t.start, "array subscripts")
	case "?", ":=", "=>", "@", "#", "&", "|", "~", "!", "^", ":":
		return syntaxErrorAt(r.c.src, t.start, t.val)
	}
	r.put(t, t.val)
	return nil
}

// interval rewrites INTERVAL '10 seconds', INTERVAL '10' SECOND and
// INTERVAL 10 SECOND to sluice_interval(<microseconds>), and an interval
// with a month part to sluice_interval(<microseconds>, <months>).
func (r *rewriter) interval(t token) error {
	v := r.c.peek()
	if v.kind != tkString && v.kind != tkNumber {
		return r.c.errHere()
	}
	r.c.next()
	unit := ""
	if u := r.c.peek(); u.kind == tkIdent && !u.quoted && len(u.val) > 2 && isTrailingUnit(u.val) {
		unit = u.val
		r.c.next()
	} else if v.kind == tkNumber {
		return r.c.errHere()
	}
	iv, ok := parseCalendarInterval(v.val, unit)
	if !ok {
		return badInterval(r.c.src, v)
	}
	if iv.Months == 0 {
		r.put(t, fnInterval, "(", strconv.FormatInt(iv.Micros, 10), ")")
	} else {
		r.put(t, fnInterval, "(", strconv.FormatInt(iv.Micros, 10), ",", strconv.FormatInt(iv.Months, 10), ")")
	}
	return nil
}

// targetType reads the type of a cast; INTERVAL is allowed here (the binder
// folds '…'::interval into an interval constant).
func (r *rewriter) targetType() (int, error) {
	if r.pg.on {
		return r.pgTargetType()
	}
	var ct castTarget
	if r.c.accept("interval") {
		ct = castTarget{T: typeInterval, Name: "interval"}
	} else {
		t, name, err := parseType(r.c)
		if err != nil {
			return 0, err
		}
		ct = castTarget{T: t, Name: name}
	}
	r.casts = append(r.casts, ct)
	return len(r.casts) - 1, nil
}

// castAs rewrites the "AS type" of CAST(x AS type) to ", i".
func (r *rewriter) castAs(t token) error {
	i, err := r.targetType()
	if err != nil {
		return err
	}
	if !r.c.peek().isOp(")") {
		return r.c.errHere()
	}
	r.frames[len(r.frames)-1].sawAs = true
	r.put(t, ",", strconv.Itoa(i))
	return nil
}

// postfixCast rewrites x::type to sluice_cast(x, i). :: binds tighter than
// any operator, so x is the primary just before it.
func (r *rewriter) postfixCast(t token) error {
	j := r.operandStart()
	if j < 0 {
		return syntaxErrorAt(r.c.src, t.start, "::")
	}
	i, err := r.targetType()
	if err != nil {
		return err
	}
	r.wrapOperand(j, fnCast)
	r.put(t, ",", strconv.Itoa(i), ")")
	return nil
}

// wrapOperand turns the operand starting at out[j] into the first argument
// of fn: "fn(" goes before it. The "?" tokens after j move along in params.
func (r *rewriter) wrapOperand(j int, fn string) {
	head := r.out[j]
	ins := []outTok{{fn, head.orig, head.origEnd}, {"(", head.orig, head.origEnd}}
	r.out = append(r.out[:j], append(ins, r.out[j:]...)...)
	moved := map[int]int{}
	for i, n := range r.params {
		if i >= j {
			i += len(ins)
		}
		moved[i] = n
	}
	r.params = moved
}

// notFuncNames are words that can precede "(" without naming a function.
var notFuncNames = map[string]bool{
	"and": true, "or": true, "not": true, "in": true, "select": true, "where": true,
	"by": true, "having": true, "when": true, "then": true, "else": true, "case": true,
	"between": true, "like": true, "ilike": true, "is": true, "as": true, "from": true,
	"distinct": true, "all": true, "any": true, "some": true, "exists": true, "limit": true,
	"on": true, "end": true, "escape": true,
}

// operandStart returns the index in out where the primary ending at the
// last token starts, or -1 when there is none.
func (r *rewriter) operandStart() int {
	j := len(r.out) - 1
	if j < 0 {
		return -1
	}
	last := r.out[j].text
	if last == ")" {
		depth := 0
		for ; j >= 0; j-- {
			switch r.out[j].text {
			case ")":
				depth++
			case "(":
				depth--
			}
			if depth == 0 {
				break
			}
		}
		if j > 0 && isWord(r.out[j-1].text) && !notFuncNames[r.out[j-1].text] {
			j--
		}
		return j
	}
	if notFuncNames[last] || last == "select" {
		return -1
	}
	if !isWord(last) && !strings.HasPrefix(last, "'") && !isDigit(last[0]) && last[0] != '.' && last != "?" {
		return -1
	}
	for j >= 2 && r.out[j-1].text == "." && isWord(r.out[j-2].text) {
		j -= 2
	}
	return j
}

func isWord(s string) bool {
	return s != "" && (s[0] == '`' || isIdentStart(s))
}

// typedLiteral rewrites TIMESTAMP '…', TIMESTAMPTZ '…' and DATE '…'.
func (r *rewriter) typedLiteral(t token) error {
	r.c.i-- // let parseType read the type name
	i, err := r.targetType()
	if err != nil {
		return err
	}
	s := r.c.next()
	r.put(t, fnCast, "(", quoteLiteral(s.val), ",", strconv.Itoa(i), ")")
	return nil
}

// extract rewrites EXTRACT(field FROM x) to sluice_extract('field', x): TiDB
// knows only MySQL's units (no epoch, dow, doy).
func (r *rewriter) extract(t token) error {
	r.c.next() // (
	f := r.c.peek()
	if f.kind != tkIdent && f.kind != tkString {
		return r.c.errHere()
	}
	r.c.next()
	if err := r.c.expect("from"); err != nil {
		return err
	}
	r.frames = append(r.frames, parenFrame{})
	r.put(t, fnExtract, "(", quoteLiteral(strings.ToLower(f.val)), ",")
	return nil
}

// emitClause captures EMIT ON WINDOW CLOSE | EMIT CHANGES.
func (r *rewriter) emitClause(t token) error {
	if r.emit != EmitDefault {
		return syntaxErrorAt(r.c.src, t.start, "EMIT")
	}
	switch {
	case r.c.acceptSeq("on", "window", "close"):
		r.emit = EmitOnWindowClose
	case r.c.accept("changes"):
		r.emit = EmitChanges
	default:
		return r.c.errHere()
	}
	r.inOrderBy = false
	return nil
}

// numberText renders a numeric literal for TiDB. Integers that fit int64
// stay as they are; anything else is written in exponent form, which TiDB
// reads as a float (its decimal literal type panics on long inputs with the
// test driver, and Sluice types non-integer literals as FLOAT8 anyway).
func numberText(s string) string {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return s
	}
	return strconv.FormatFloat(f, 'e', -1, 64)
}
