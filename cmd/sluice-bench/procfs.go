package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat.
// It is 100 on every Linux architecture Go supports.
const clockTicks = 100

// cpuTimes is a process's CPU time so far, all threads included.
type cpuTimes struct {
	user, sys time.Duration
}

func (c cpuTimes) total() time.Duration { return c.user + c.sys }

func (c cpuTimes) sub(d cpuTimes) cpuTimes { return cpuTimes{c.user - d.user, c.sys - d.sys} }

// readCPU reads utime and stime of pid from /proc. getrusage cannot be
// used: it reports a child only after it has been waited for.
func readCPU(pid int) (cpuTimes, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return cpuTimes{}, fmt.Errorf("read cpu time: %w", err)
	}
	return parseStat(b)
}

// parseStat extracts utime and stime (fields 14 and 15) from a
// /proc/<pid>/stat line. The command name (field 2) is parenthesised and
// may contain spaces or parentheses, so fields are counted after the last
// ')'.
func parseStat(b []byte) (cpuTimes, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return cpuTimes{}, fmt.Errorf("parse /proc stat: no command name in %q", b)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return cpuTimes{}, fmt.Errorf("parse /proc stat: %d fields after the command name", len(f))
	}
	var ticks [2]int64
	for j, s := range f[11:13] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return cpuTimes{}, fmt.Errorf("parse /proc stat: %w", err)
		}
		ticks[j] = v
	}
	const tick = time.Second / clockTicks
	return cpuTimes{user: time.Duration(ticks[0]) * tick, sys: time.Duration(ticks[1]) * tick}, nil
}

// readStatusBytes reads a "kB" field of /proc/<pid>/status, such as VmHWM
// (peak resident set) or VmRSS, in bytes.
func readStatusBytes(pid int, key string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", key, err)
	}
	defer f.Close()
	return parseStatusBytes(bufio.NewScanner(f), key)
}

func parseStatusBytes(sc *bufio.Scanner, key string) (int64, error) {
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != key {
			continue
		}
		num, unit, _ := strings.Cut(strings.TrimSpace(rest), " ")
		if unit != "kB" {
			return 0, fmt.Errorf("parse %s: unit %q, want kB", key, unit)
		}
		kb, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse %s: %w", key, err)
		}
		return kb << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read %s: %w", key, err)
	}
	return 0, fmt.Errorf("no %s in /proc status", key)
}
