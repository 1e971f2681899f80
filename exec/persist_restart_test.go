package exec

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// oneShotFaults returns a crashAt hook that injects a transient fault
// (faultEmitted) once at each of the given query ids and batches, and a
// func reporting which of them fired.
func oneShotFaults(at map[string]uint64) (func(string, crashPoint, uint64) bool, func() []string) {
	var mu sync.Mutex
	var fired []string
	hook := func(id string, point crashPoint, b uint64) bool {
		mu.Lock()
		defer mu.Unlock()
		if point != faultEmitted || at[id] != b {
			return false
		}
		delete(at, id)
		fired = append(fired, id)
		return true
	}
	return hook, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Sorted(slices.Values(fired))
	}
}

// requireRestarted checks that exactly the queries in restarted were
// restarted once (with cause in their last error) and that every query
// runs.
func requireRestarted(t *testing.T, pe *persistEnv, cause string, restarted ...string) {
	t.Helper()
	for _, in := range pe.eng.Queries() {
		want := int64(0)
		if slices.Contains(restarted, in.ID) {
			want = 1
			if !strings.Contains(in.LastError, cause) {
				t.Errorf("%s: last error %q, want it to say %q", in.ID, in.LastError, cause)
			}
		}
		if in.State != StateRunning || in.Restarts != want {
			t.Errorf("%s: state %s, %d restarts (want running, %d): %s", in.ID, in.State, in.Restarts, want, in.LastError)
		}
	}
}

// TestPersistRestartTransient fails queries transiently in the middle of
// their runs: an injected fault after a batch emitted (rows pending in a
// view, rows in a sink's open transaction), and a real Kafka error, the
// OUT_OF_ORDER_SEQUENCE_NUMBER franz-go can get on the marker produce of
// a checkpoint. The engine restarts each query from its checkpoint, the
// ProcessAllAvailable call that saw the failure returns once the
// restarted query caught up, and the views' contents and the sink's
// committed records equal those of a run without failures, exactly.
func TestPersistRestartTransient(t *testing.T) {
	const rounds = 3
	want, _ := runPersistScenario(t, persistScenario{seed: 1, rounds: rounds})
	compare := func(t *testing.T, got map[string][]string) {
		t.Helper()
		for name := range want {
			if !slices.Equal(got[name], want[name]) {
				t.Errorf("%s after a restart:\n%s\nwant:\n%s", name,
					strings.Join(got[name], "\n"), strings.Join(want[name], "\n"))
			}
		}
	}
	t.Run("fault", func(t *testing.T) {
		hook, fired := oneShotFaults(map[string]uint64{"view:win": 3, "sink:copy": 5})
		got, _ := runPersistScenario(t, persistScenario{seed: 1, rounds: rounds, crashAt: hook,
			check: func(pe *persistEnv) {
				if f := fired(); !slices.Equal(f, []string{"sink:copy", "view:win"}) {
					t.Fatalf("faults fired at %v", f)
				}
				requireRestarted(t, pe, "injected transient fault", "sink:copy", "view:win")
			}})
		compare(t, got)
	})
	t.Run("marker produce", func(t *testing.T) {
		got, _ := runPersistScenario(t, persistScenario{seed: 1, rounds: rounds,
			setup: func(pe *persistEnv) { failMarkerProduce(t, pe, "copy", 2) },
			check: func(pe *persistEnv) {
				requireRestarted(t, pe, "OUT_OF_ORDER_SEQUENCE_NUMBER", "sink:copy")
			}})
		compare(t, got)
	})
}

// failMarkerProduce makes the broker answer the n-th produce to sink's
// marker topic (counting from 1) with OUT_OF_ORDER_SEQUENCE_NUMBER, once.
func failMarkerProduce(t *testing.T, pe *persistEnv, sink string, n int) {
	topic := sinkMarkerTopic(sink)
	id := topicID(t, pe, topic)
	seen := 0
	pe.cluster.ControlKey(int16(kmsg.Produce), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		pe.cluster.KeepControl()
		req := kr.(*kmsg.ProduceRequest)
		// Produce v13 names topics by id.
		if len(req.Topics) != 1 || req.Topics[0].Topic != topic && req.Topics[0].TopicID != id {
			return nil, nil, false
		}
		if seen++; seen != n {
			return nil, nil, false
		}
		pe.cluster.DropControl()
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = kerr.OutOfOrderSequenceNumber.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
}

// topicID asks the broker for topic's id.
func topicID(t *testing.T, pe *persistEnv, topic string) [16]byte {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(pe.kopts.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(testCtx(t), cl)
	if err != nil || len(resp.Topics) != 1 || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("metadata of %s: %v %+v", topic, err, resp)
	}
	return resp.Topics[0].TopicID
}

// awaitState polls until query id is in state, or fails the test.
func awaitState(t *testing.T, pe *persistEnv, id, state string) QueryInfo {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, in := range pe.eng.Queries() {
			if in.ID == id && in.State == state {
				return in
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached state %s: %+v", id, state, pe.eng.Queries())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// startFaulted creates the persistent queries with a fault at view:big's
// first batch, produces a round and starts ProcessAllAvailable in the
// background; it returns once view:big waits to restart, with the call's
// outcome to come on the channel.
func startFaulted(t *testing.T) (*persistEnv, <-chan error) {
	t.Helper()
	hook, _ := oneShotFaults(map[string]uint64{"view:big": 1})
	opts := Options{}
	opts.private.crashAt = hook
	pe := newPersistQueriesEnv(t, opts)
	pe.produceRound(t, rand.New(rand.NewPCG(6, 6)), 0, 20, 0)
	processed := make(chan error, 1)
	go func() { processed <- pe.eng.ProcessAllAvailable(testCtx(t)) }()
	in := awaitState(t, pe, "view:big", StateRestarting)
	if !strings.Contains(in.LastError, "injected transient fault") || in.Restarts != 0 {
		t.Fatalf("restarting query %+v", in)
	}
	return pe, processed
}

// TestPersistRestartPermanent: errors that a restart would repeat fail
// the query for good, with no restart: a numeric overflow in the data,
// and state found damaged by the restart itself. A view that waits to
// restart answers ScanView at once with an error.
func TestPersistRestartPermanent(t *testing.T) {
	t.Run("overflow", func(t *testing.T) {
		pe := newPersistQueriesEnv(t, Options{})
		i64 := arrow.PrimitiveTypes.Int64
		spec, _ := persistPlan(kindView, "big", "big")
		mul, err := Call("mul", i64, Col(0, i64), Lit(int64(math.MaxInt64), i64))
		if err != nil {
			t.Fatal(err)
		}
		spec.Ops = []OpSpec{&ProjectSpec{Exprs: []Expr{mul}, Names: []string{"x"}}}
		if err := pe.eng.CreateView(testCtx(t), ViewDef{Name: "over"}, spec, false); err != nil {
			t.Fatal(err)
		}
		pe.produceRound(t, rand.New(rand.NewPCG(6, 6)), 0, 20, 0)
		err = pe.eng.ProcessAllAvailable(testCtx(t))
		if !errors.Is(err, ErrNumericOverflow) || !strings.Contains(err.Error(), "view:over") {
			t.Fatalf("ProcessAllAvailable: %v", err)
		}
		in := awaitState(t, pe, "view:over", StateFailed)
		if in.Restarts != 0 {
			t.Fatalf("overflow restarted: %+v", in)
		}
	})
	t.Run("damaged at restart", func(t *testing.T) {
		pe, processed := startFaulted(t)
		if _, err := pe.eng.ScanView(testCtx(t), "big"); !errors.Is(err, ErrQueryFailed) ||
			!strings.Contains(err.Error(), "restarting") {
			t.Fatalf("ScanView while restarting: %v", err)
		}
		setCheckpoint(t, pe.store, "view:big", []byte("{garbage"))
		err := <-processed
		if !errors.Is(err, ErrCorruptState) || !strings.Contains(err.Error(), "view:big") {
			t.Fatalf("ProcessAllAvailable: %v", err)
		}
		in := awaitState(t, pe, "view:big", StateFailed)
		if in.Restarts != 1 || !strings.Contains(in.LastError, "checkpoint record") {
			t.Fatalf("after the failed restart: %+v", in)
		}
		if _, err := pe.eng.ScanView(testCtx(t), "big"); !errors.Is(err, ErrCorruptState) {
			t.Fatalf("ScanView of the failed view: %v", err)
		}
		pe.processAll2(t, "view:big")
	})
}

// processAll2 runs ProcessAllAvailable and requires that only failed
// fails.
func (pe *persistEnv) processAll2(t *testing.T, failed string) {
	t.Helper()
	err := pe.eng.ProcessAllAvailable(testCtx(t))
	if err == nil || !strings.Contains(err.Error(), failed) || strings.Count(err.Error(), "\n") != 0 {
		t.Fatalf("ProcessAllAvailable: %v, want only %s failing", err, failed)
	}
}

// TestPersistRestartDropDuringBackoff drops a view that waits to restart:
// the drop does not wait for the backoff, the view is gone with its state,
// and it never restarts.
func TestPersistRestartDropDuringBackoff(t *testing.T) {
	pe, processed := startFaulted(t)
	begin := time.Now()
	if err := pe.eng.DropView(testCtx(t), "big", false); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(begin); d > restartBackoffMin*3/4 {
		t.Errorf("DropView took %v during the backoff", d)
	}
	if err := <-processed; !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), "view:big") {
		t.Fatalf("ProcessAllAvailable of the dropped view: %v", err)
	}
	time.Sleep(restartBackoffMin + 100*time.Millisecond) // past the backoff
	for _, in := range pe.eng.Queries() {
		if in.ID == "view:big" {
			t.Fatalf("dropped view listed: %+v", in)
		}
	}
	pe.requireNoState(t, "view:big")
	pe.processAll(t)
}

// TestPersistRestartCloseDuringBackoff closes the engine while a view
// waits to restart: Close returns at once and the view is cancelled; the
// next server start resumes it from its checkpoint.
func TestPersistRestartCloseDuringBackoff(t *testing.T) {
	pe, processed := startFaulted(t)
	eng := pe.eng
	begin := time.Now()
	pe.shutdown(t, true)
	if d := time.Since(begin); d > restartBackoffMin*3/4 {
		t.Errorf("Close took %v during the backoff", d)
	}
	if err := <-processed; !errors.Is(err, ErrClosed) {
		t.Fatalf("ProcessAllAvailable across Close: %v", err)
	}
	for _, in := range eng.Queries() {
		if in.ID == "view:big" && (in.State != StateCancelled || in.Restarts != 0) {
			t.Errorf("after Close: %+v", in)
		}
	}
	pe.open(t)
	if err := pe.eng.Resume(testCtx(t), persistPlan); err != nil {
		t.Fatal(err)
	}
	pe.processAll(t)
	if rows := pe.scanView(t, "tot"); len(rows) == 0 {
		t.Fatal("view empty after resume")
	}
}
