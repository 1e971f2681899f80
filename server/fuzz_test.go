package server

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// FuzzDecodeMessage feeds random bytes to the backend's decoding: first as
// a startup packet, then as regular messages turned into commands, with
// the server's maximum message size. It must not panic, and a length
// prefix beyond the bound must be refused before it is allocated.
func FuzzDecodeMessage(f *testing.F) {
	startup := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "u"}}).Encode
	seed, _ := startup(nil)
	for _, m := range []pgproto3.FrontendMessage{
		&pgproto3.Query{String: "SELECT 1"},
		&pgproto3.Parse{Name: "s", Query: "SELECT $1", ParameterOIDs: []uint32{20}},
		&pgproto3.Bind{PreparedStatement: "s", ParameterFormatCodes: []int16{1},
			Parameters: [][]byte{{0, 0, 0, 0, 0, 0, 0, 1}}, ResultFormatCodes: []int16{1}},
		&pgproto3.Describe{ObjectType: 'S', Name: "s"},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Close{ObjectType: 'P'},
		&pgproto3.Sync{},
	} {
		seed, _ = m.Encode(seed)
	}
	f.Add(seed)
	f.Add([]byte{0, 0, 0, 8, 4, 210, 22, 47})               // SSLRequest
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))                 // garbage
	f.Add([]byte{'Q', 0x7f, 0xff, 0xff, 0xff, 'x'})         // huge length
	f.Add(binary.BigEndian.AppendUint32([]byte{'B'}, 9999)) // truncated Bind
	const maxMessage = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		be := pgproto3.NewBackend(bytes.NewReader(data), &bytes.Buffer{})
		be.SetMaxBodyLen(maxMessage)
		if _, err := be.ReceiveStartupMessage(); err != nil {
			be = pgproto3.NewBackend(bytes.NewReader(data), &bytes.Buffer{})
			be.SetMaxBodyLen(maxMessage)
		}
		for range 64 {
			msg, err := be.Receive()
			if err != nil {
				return
			}
			if _, err := toCommand(msg); err != nil {
				return
			}
		}
	})
}
