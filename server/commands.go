package server

import "github.com/jackc/pgx/v5/pgproto3"

// command is one frontend message, decoded and copied by the reader for the
// executor (pgproto3 reuses its message buffers on the next Receive).
type command interface{ command() }

type (
	cmdQuery struct{ sql string }
	cmdParse struct {
		name, query string
		oids        []uint32
	}
	cmdBind struct {
		portal, stmt  string
		paramFormats  []int16
		params        [][]byte
		resultFormats []int16
	}
	cmdDescribe struct {
		kind byte // 'S' or 'P'
		name string
	}
	cmdExecute struct {
		portal  string
		maxRows uint32
	}
	cmdClose struct {
		kind byte
		name string
	}
	cmdSync  struct{}
	cmdFlush struct{}
	// COPY FROM STDIN reads these; outside COPY they are ignored, as
	// PostgreSQL does (the client may still be sending after a failed COPY).
	cmdCopyData struct{ data []byte }
	cmdCopyDone struct{}
	cmdCopyFail struct{ msg string }
	// cmdUnsupported is a valid message Sluice does not implement.
	cmdUnsupported struct{ what string }
	// cmdProtocolError ends the connection with 08P01.
	cmdProtocolError struct{ err error }
)

func (*cmdQuery) command()         {}
func (*cmdParse) command()         {}
func (*cmdBind) command()          {}
func (*cmdDescribe) command()      {}
func (*cmdExecute) command()       {}
func (*cmdClose) command()         {}
func (*cmdSync) command()          {}
func (*cmdFlush) command()         {}
func (*cmdCopyData) command()      {}
func (*cmdCopyDone) command()      {}
func (*cmdCopyFail) command()      {}
func (*cmdUnsupported) command()   {}
func (*cmdProtocolError) command() {}

// toCommand copies msg into a command. It returns nil, nil for Terminate.
func toCommand(msg pgproto3.FrontendMessage) (command, error) {
	switch m := msg.(type) {
	case *pgproto3.Query:
		return &cmdQuery{sql: m.String}, nil
	case *pgproto3.Parse:
		return &cmdParse{name: m.Name, query: m.Query, oids: append([]uint32(nil), m.ParameterOIDs...)}, nil
	case *pgproto3.Bind:
		b := &cmdBind{
			portal:        m.DestinationPortal,
			stmt:          m.PreparedStatement,
			paramFormats:  append([]int16(nil), m.ParameterFormatCodes...),
			resultFormats: append([]int16(nil), m.ResultFormatCodes...),
			params:        make([][]byte, len(m.Parameters)),
		}
		size := 0
		for _, p := range m.Parameters {
			size += len(p)
		}
		buf := make([]byte, 0, size)
		for i, p := range m.Parameters {
			if p == nil {
				continue // NULL
			}
			buf = append(buf, p...)
			b.params[i] = buf[len(buf)-len(p) : len(buf) : len(buf)]
		}
		return b, nil
	case *pgproto3.Describe:
		if m.ObjectType != 'S' && m.ObjectType != 'P' {
			return nil, protocolErrorf("invalid DESCRIBE message subtype %d", m.ObjectType)
		}
		return &cmdDescribe{kind: m.ObjectType, name: m.Name}, nil
	case *pgproto3.Execute:
		return &cmdExecute{portal: m.Portal, maxRows: m.MaxRows}, nil
	case *pgproto3.Close:
		if m.ObjectType != 'S' && m.ObjectType != 'P' {
			return nil, protocolErrorf("invalid CLOSE message subtype %d", m.ObjectType)
		}
		return &cmdClose{kind: m.ObjectType, name: m.Name}, nil
	case *pgproto3.Sync:
		return &cmdSync{}, nil
	case *pgproto3.Flush:
		return &cmdFlush{}, nil
	case *pgproto3.Terminate:
		return nil, nil
	case *pgproto3.CopyData:
		return &cmdCopyData{data: append([]byte(nil), m.Data...)}, nil
	case *pgproto3.CopyDone:
		return &cmdCopyDone{}, nil
	case *pgproto3.CopyFail:
		return &cmdCopyFail{msg: m.Message}, nil
	case *pgproto3.FunctionCall:
		return &cmdUnsupported{what: "the fast-path function call interface"}, nil
	}
	return nil, protocolErrorf("unexpected message type %T", msg)
}
