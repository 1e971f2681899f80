package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/sql"
)

var nopLogger = slog.New(slog.DiscardHandler)

func TestPGError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code string
	}{
		{&sql.Error{Code: "42601", Message: "syntax", Pos: 3}, "42601"},
		{fmt.Errorf("wrapped: %w", &sql.Error{Code: "42P01", Message: "x"}), "42P01"},
		{context.Canceled, "57014"},
		{fmt.Errorf("q: %w", exec.ErrNumericOverflow), "22003"},
		{exec.ErrDivisionByZero, "22012"},
		{exec.ErrInvalidValue, "22P02"},
		{exec.ErrStreamExists, "42P07"},
		{exec.ErrUnknownStream, "42P01"},
		{exec.ErrViewExists, "42P07"},
		{exec.ErrUnknownView, "42P01"},
		{fmt.Errorf("view:v: %w", exec.ErrCorruptState), "XX001"},
		{fmt.Errorf("view:v: %w", exec.ErrStateFormat), "55000"},
		{fmt.Errorf("view:v: %w", exec.ErrQueryFailed), "55000"},
		{exec.ErrDecode, "22P02"},
		{exec.ErrTooManyQueries, "53000"},
		{exec.ErrStateLimit, "53200"},
		{protocolErrorf("bad"), "08P01"},
		{errors.New("mystery"), "XX000"},
	} {
		if got := pgError(nopLogger, tc.err); got.Code != tc.code {
			t.Errorf("%v: code %s, want %s", tc.err, got.Code, tc.code)
		}
	}
	var logs syncBuffer
	e := pgError(slog.New(slog.NewTextHandler(&logs, nil)), errors.New("mystery"))
	if !strings.Contains(logs.String(), "mystery") || e.Severity != "ERROR" {
		t.Errorf("internal error not logged: %q", logs.String())
	}
	if e := pgError(nopLogger, &sql.Error{Code: "42601", Message: "m", Pos: 7}); e.Position != 7 {
		t.Errorf("position lost: %+v", e)
	}
	if e := pgError(nopLogger, context.Canceled); e.Message != "canceling statement due to user request" {
		t.Errorf("cancel message %q", e.Message)
	}
}
