package exec

import (
	"fmt"
	"math"
)

// paneAssigner maps event times to panes and panes to windows for TUMBLE
// and HOP. A pane is gcd(size, slide) long, so every row of a pane belongs
// to exactly the same windows: rows are pre-aggregated per pane and each
// pane partial is merged into its size/slide windows, instead of touching
// every window per row. Windows start at multiples of slide from the epoch
// (floor division, so pre-1970 times work) and are half-open [start, end).
type paneAssigner struct {
	size, slide, pane int64 // µs
}

func newPaneAssigner(w WindowSpec) (paneAssigner, error) {
	size, slide := w.Size.Microseconds(), w.Slide.Microseconds()
	switch w.Kind {
	case NoWindow:
		return paneAssigner{}, nil
	case Tumble:
		slide = size
	case Hop:
	default:
		return paneAssigner{}, fmt.Errorf("window kind %d has no panes", w.Kind)
	}
	if size <= 0 || slide <= 0 {
		return paneAssigner{}, fmt.Errorf("window size and slide must be positive µs, got %s and %s", w.Size, w.Slide)
	}
	return paneAssigner{size: size, slide: slide, pane: gcd(size, slide)}, nil
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// perPane returns the most windows a pane falls in, ceil(size / slide);
// 0 without a window.
func (p paneAssigner) perPane() int64 {
	if p.slide == 0 {
		return 0
	}
	return ceilDiv(p.size, p.slide)
}

// firstEnd and lastEnd bound the ends of the windows that contain ts.
func (p paneAssigner) lastEnd(ts int64) int64 { return floorDiv(ts, p.slide)*p.slide + p.size }

func (p paneAssigner) firstEnd(ts int64) int64 {
	return (floorDiv(ts-p.size, p.slide)+1)*p.slide + p.size
}

// The windows containing the pane that starts at s start at k × slide
// for k in [ceilDiv(s+pane-size, slide), floorDiv(s, slide)]
// (windowAgg.pushPanes); rows are bucketed by pane number, floorDiv(ts, pane).

// noWindowEnd marks the single never-closing window of a running aggregate.
const noWindowEnd = math.MaxInt64
