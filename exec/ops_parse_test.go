package exec

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/cockroachdb/datadriven"
)

// parseTestExpr parses the goldens' s-expressions:
//
//	$N                      column N of the schema
//	type:value, type:'v w'  literal (value in text form), null:type
//	(fn args…)              Call(fn, nil, args…); (fn::type args…) sets t
//	(cast e type)           Cast
//	(case c1 v1 … [else])   CaseWhen
func parseTestExpr(s string, schema *arrow.Schema) (Expr, error) {
	p := &sexpParser{toks: tokenize(s), schema: schema}
	e, err := p.expr()
	if err == nil && p.i != len(p.toks) {
		err = fmt.Errorf("trailing tokens in %q", s)
	}
	return e, err
}

type sexpParser struct {
	toks   []string
	i      int
	schema *arrow.Schema
}

func tokenize(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')':
			toks = append(toks, string(c))
			i++
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '(' && s[j] != ')' {
				if s[j] == '\'' {
					j++
					for j < len(s) && s[j] != '\'' {
						j++
					}
				}
				j++
			}
			toks = append(toks, s[i:min(j, len(s))])
			i = j
		}
	}
	return toks
}

func (p *sexpParser) next() string {
	if p.i >= len(p.toks) {
		return ""
	}
	p.i++
	return p.toks[p.i-1]
}

func (p *sexpParser) expr() (Expr, error) {
	tok := p.next()
	switch {
	case tok == "(":
		return p.call()
	case strings.HasPrefix(tok, "$"):
		n, err := strconv.Atoi(tok[1:])
		if err != nil || n >= p.schema.NumFields() {
			return nil, fmt.Errorf("bad column %q", tok)
		}
		return Col(n, p.schema.Field(n).Type), nil
	case strings.HasPrefix(tok, "null:"):
		t, err := parseTestType(tok[5:])
		return Lit(nil, t), err
	}
	typ, val, ok := strings.Cut(tok, ":")
	if !ok {
		return nil, fmt.Errorf("bad token %q", tok)
	}
	t, err := parseTestType(typ)
	if err != nil {
		return nil, err
	}
	return Lit(strings.Trim(val, "'"), t), nil
}

func (p *sexpParser) call() (Expr, error) {
	head := p.next()
	var args []Expr
	var typeArg string
	for p.i < len(p.toks) && p.toks[p.i] != ")" {
		if head == "cast" && len(args) == 1 {
			typeArg = p.next()
			continue
		}
		a, err := p.expr()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
	}
	if p.next() != ")" {
		return nil, fmt.Errorf("missing )")
	}
	switch head {
	case "cast":
		t, err := parseTestType(typeArg)
		if err != nil {
			return nil, err
		}
		return Cast(args[0], t)
	case "case":
		var conds, vals []Expr
		for len(args) >= 2 {
			conds, vals, args = append(conds, args[0]), append(vals, args[1]), args[2:]
		}
		var els Expr
		if len(args) == 1 {
			els = args[0]
		}
		return CaseWhen(conds, vals, els, vals[0].DataType()), nil
	}
	fn, typ, ok := strings.Cut(head, "::")
	var t arrow.DataType
	if ok {
		var err error
		if t, err = parseTestType(typ); err != nil {
			return nil, err
		}
	}
	return Call(fn, t, args...)
}

// buildOp reads an operator description:
//
//	op kind=filter|project|sort|tumble|hop|session|none [size=10s slide=5s gap=3s time=0 emit=changes]
//	key <expr>           (window) group key
//	agg <func> [<expr>]  (window) aggregate; func may be count_distinct
//	pred <expr>          (filter)
//	col <name> <expr>    (project)
//	by <expr> [desc] [nulls_first]   (sort)
func (h *opsHarness) buildOp(t *testing.T, d *datadriven.TestData) (string, error) {
	var kind string
	d.ScanArgs(t, "kind", &kind)
	dur := func(name string) time.Duration {
		var s string
		if d.HasArg(name) {
			d.ScanArgs(t, name, &s)
		}
		v, _ := time.ParseDuration(s)
		return v
	}
	ws := WindowSpec{Size: dur("size"), Slide: dur("slide"), Gap: dur("gap")}
	if d.HasArg("time") {
		d.ScanArgs(t, "time", &ws.TimeCol)
	}
	wa := &WindowAggSpec{Window: ws}
	if d.HasArg("emit") {
		wa.Emit = EmitChanges
	}
	var spec OpSpec
	switch kind {
	case "tumble", "hop", "session", "none":
		wa.Window.Kind = map[string]WindowKind{"tumble": Tumble, "hop": Hop, "session": Session, "none": NoWindow}[kind]
		spec = wa
	case "filter":
		spec = &FilterSpec{}
	case "project":
		spec = &ProjectSpec{}
	case "sort":
		spec = &SortSpec{}
	}
	for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		if err := h.opLine(spec, strings.TrimSpace(line)); err != nil {
			return "", err
		}
	}
	if h.op != nil {
		h.op.Close()
	}
	op, out, err := buildOperator(h.mem, spec, h.schema)
	if err != nil {
		return "", err
	}
	h.op = op
	return out.String() + "\n", nil
}

func (h *opsHarness) opLine(spec OpSpec, line string) error {
	if line == "" {
		return nil
	}
	word, rest, _ := strings.Cut(line, " ")
	parse := func(s string) (Expr, error) { return parseTestExpr(s, h.schema) }
	switch s := spec.(type) {
	case *WindowAggSpec:
		if word == "key" {
			e, err := parse(rest)
			s.Keys = append(s.Keys, e)
			return err
		}
		fn, arg, _ := strings.Cut(rest, " ")
		a := AggSpec{Func: fn}
		if fn == "count_distinct" {
			a.Func, a.Distinct = "count", true
		}
		if arg != "" {
			e, err := parse(arg)
			if err != nil {
				return err
			}
			a.Arg = e
		}
		s.Aggs = append(s.Aggs, a)
	case *FilterSpec:
		e, err := parse(rest)
		s.Pred = e
		return err
	case *ProjectSpec:
		name, ex, _ := strings.Cut(rest, " ")
		e, err := parse(ex)
		s.Names, s.Exprs = append(s.Names, name), append(s.Exprs, e)
		return err
	case *SortSpec:
		ex := strings.TrimSuffix(strings.TrimSuffix(rest, " nulls_first"), " desc")
		e, err := parse(ex)
		s.Keys = append(s.Keys, SortKey{Expr: e, Desc: strings.Contains(rest, " desc"), NullsFirst: strings.Contains(rest, "nulls_first")})
		return err
	}
	return nil
}
