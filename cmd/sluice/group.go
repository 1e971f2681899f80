package main

import "fmt"

// group runs actors as one unit, in the manner of oklog/run (which
// prometheus/cmd/prometheus uses): each actor is an execute function that
// blocks until its work ends and an interrupt function that makes execute
// return. When the first execute returns, every actor is interrupted with
// its error, and run returns once all executes have returned.
//
// run starts one goroutine per actor and does not return before every one
// of them has ended.
type group struct {
	actors []actor
}

type actor struct {
	name      string
	execute   func() error
	interrupt func(error)
}

// add registers an actor. interrupt must make execute return promptly and
// must be safe to call after execute has returned.
func (g *group) add(name string, execute func() error, interrupt func(error)) {
	g.actors = append(g.actors, actor{name: name, execute: execute, interrupt: interrupt})
}

// run executes every actor and returns the error of the first one to
// return, wrapped with its name (nil if it returned nil).
func (g *group) run() error {
	if len(g.actors) == 0 {
		return nil
	}
	type result struct {
		name string
		err  error
	}
	done := make(chan result, len(g.actors))
	for _, a := range g.actors {
		go func() { done <- result{a.name, a.execute()} }()
	}
	first := <-done
	for _, a := range g.actors {
		a.interrupt(first.err)
	}
	for range len(g.actors) - 1 {
		<-done
	}
	if first.err != nil {
		return fmt.Errorf("%s: %w", first.name, first.err)
	}
	return nil
}
