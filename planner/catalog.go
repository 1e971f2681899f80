package planner

import (
	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/sql"
)

// catalogAdapter exposes the engine's streams to the binder.
type catalogAdapter struct{ eng *exec.Engine }

var _ sql.Catalog = catalogAdapter{}

// Relation implements sql.Catalog.
func (c catalogAdapter) Relation(name string) (*sql.Relation, bool) {
	def, ok := c.eng.Stream(name)
	if !ok {
		return nil, false
	}
	return &sql.Relation{Name: def.Name, Schema: def.Schema, IsStream: true}, true
}

func (p *Planner) catalog() sql.Catalog { return catalogAdapter{eng: p.eng} }
