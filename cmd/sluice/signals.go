package main

import (
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// signalActor turns the first SIGINT or SIGTERM into a graceful stop of the
// actor group. From then until stop is called (after every component has
// closed), a second signal exits the process at once.
//
// Goroutines: execute starts one watcher for the second signal; it ends
// when stop is called, or exits the process.
type signalActor struct {
	log       *slog.Logger
	sigs      chan os.Signal
	interrupt chan struct{} // closed by interruptOnce: another actor ended
	done      chan struct{} // closed by stop
	once      sync.Once
}

// newSignalActor subscribes to the signals right away, so one that arrives
// during startup is not lost: the group stops as soon as it runs.
func newSignalActor(logger *slog.Logger) *signalActor {
	a := &signalActor{
		log:       logger,
		sigs:      make(chan os.Signal, 2),
		interrupt: make(chan struct{}),
		done:      make(chan struct{}),
	}
	signal.Notify(a.sigs, os.Interrupt, syscall.SIGTERM)
	return a
}

func (a *signalActor) execute() error {
	select {
	case sig := <-a.sigs:
		a.log.Info("shutting down gracefully; signal again to exit at once", "signal", sig.String())
	case <-a.interrupt:
	}
	go a.watchSecond()
	return nil
}

// watchSecond outlives the group on purpose: shutdown goes on after the
// group returns (the deferred Close calls) and must stay interruptible.
func (a *signalActor) watchSecond() {
	select {
	case sig := <-a.sigs:
		a.log.Error("second signal, exiting without a clean shutdown", "signal", sig.String())
		os.Exit(1)
	case <-a.done:
	}
}

func (a *signalActor) interruptOnce(error) {
	a.once.Do(func() { close(a.interrupt) })
}

// stop unsubscribes and ends the watcher. Call it once, last.
func (a *signalActor) stop() {
	signal.Stop(a.sigs)
	close(a.done)
}
