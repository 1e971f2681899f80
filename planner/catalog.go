package planner

import (
	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/sql"
)

// catalogAdapter exposes the engine's streams, materialized views and the
// sluice.* system tables to the binder. Streams resolve first, so a view
// or system table never shadows one; system tables are only reachable
// schema-qualified ("sluice.queries"), so they shadow no user name.
type catalogAdapter struct{ eng *exec.Engine }

var _ sql.Catalog = catalogAdapter{}

// Relation implements sql.Catalog.
func (c catalogAdapter) Relation(name string) (*sql.Relation, bool) {
	if def, ok := c.eng.Stream(name); ok {
		return &sql.Relation{Name: def.Name, Schema: def.Schema, IsStream: true}, true
	}
	if v, ok := c.eng.View(name); ok {
		return &sql.Relation{Name: v.Name, Schema: v.Schema}, true
	}
	if t, ok := systemTables[name]; ok {
		return &sql.Relation{Name: name, Schema: t.schema}, true
	}
	return nil, false
}

func (p *Planner) catalog() sql.Catalog { return catalogAdapter{eng: p.eng} }
