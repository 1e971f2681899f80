package sql

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// BindInsert checks an INSERT against its stream and converts every value to
// its column's type. The returned rows are in the relation's column order,
// with a NULL Literal for each column the statement does not list; each
// Literal's T is the column's type. Errors are *Error: 42P01, 42703, 42701,
// 42601 (arity), 42804, 22P02, 22007, 22003, 0A000.
func BindInsert(cat Catalog, ins *Insert) (*Relation, [][]*Literal, error) {
	rel, ok := cat.Relation(ins.Stream)
	if !ok {
		return nil, nil, Errorf(CodeUndefinedTable, "relation %q does not exist", ins.Stream)
	}
	if !rel.IsStream {
		return nil, nil, Errorf(CodeFeatureNotSupported, "INSERT into materialized view %q is not supported", rel.Name)
	}
	targets, err := insertTargets(rel, ins.Columns)
	if err != nil {
		return nil, nil, err
	}
	fields := rel.Schema.Fields()
	rows := make([][]*Literal, 0, len(ins.Rows))
	for _, vals := range ins.Rows {
		if len(vals) > len(targets) {
			return nil, nil, Errorf(CodeSyntax, "INSERT has more expressions than target columns")
		}
		if len(vals) < len(targets) && len(ins.Columns) > 0 {
			return nil, nil, Errorf(CodeSyntax, "INSERT has more target columns than expressions")
		}
		row := make([]*Literal, len(fields))
		for i, f := range fields {
			row[i] = &Literal{T: f.Type}
		}
		for i, v := range vals {
			f := fields[targets[i]]
			lit, err := insertValue(v, f)
			if err != nil {
				return nil, nil, err
			}
			row[targets[i]] = lit
		}
		rows = append(rows, row)
	}
	return rel, rows, nil
}

// insertTargets maps the INSERT column list to schema indices.
func insertTargets(rel *Relation, cols []string) ([]int, error) {
	if len(cols) == 0 {
		idx := make([]int, rel.Schema.NumFields())
		for i := range idx {
			idx[i] = i
		}
		return idx, nil
	}
	seen := map[int]bool{}
	idx := make([]int, len(cols))
	for i, c := range cols {
		fi := rel.Schema.FieldIndices(c)
		if len(fi) == 0 {
			return nil, Errorf(CodeUndefinedColumn, "column %q of relation %q does not exist", c, rel.Name)
		}
		if seen[fi[0]] {
			return nil, Errorf(CodeDuplicateColumn, "column %q specified more than once", c)
		}
		seen[fi[0]] = true
		idx[i] = fi[0]
	}
	return idx, nil
}

// insertValue folds a constant expression and converts it to the column's type.
func insertValue(e Expr, f arrow.Field) (*Literal, error) {
	lit, err := foldConst(e)
	if err != nil {
		return nil, err
	}
	out, err := convertLiteral(lit, f.Type)
	if err != nil {
		if e, ok := err.(*Error); ok && e.Code == CodeCannotCoerce {
			return nil, Errorf(CodeDatatypeMismatch, "column %q is of type %s but expression is of type %s",
				f.Name, PGTypeName(f.Type), PGTypeName(lit.T))
		}
		return nil, err
	}
	return out, nil
}

// foldConst evaluates the constant trees parseConstExpr builds.
func foldConst(e Expr) (*Literal, error) {
	switch x := e.(type) {
	case *Literal:
		return x, nil
	case *Cast:
		inner, err := foldConst(x.Expr)
		if err != nil {
			return nil, err
		}
		return convertLiteral(inner, x.T)
	case *Call:
		if x.Func == "neg" && len(x.Args) == 1 {
			inner, err := foldConst(x.Args[0])
			if err != nil {
				return nil, err
			}
			if n, ok := negateConst(inner).(*Literal); ok {
				return n, nil
			}
			return nil, Errorf(CodeUndefinedFunction, "operator does not exist: - %s", PGTypeName(inner.T))
		}
	}
	return nil, Errorf(CodeFeatureNotSupported, "a non-constant expression in INSERT VALUES is not supported")
}
