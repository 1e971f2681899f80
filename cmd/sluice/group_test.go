package main

import (
	"errors"
	"testing"
)

func TestGroupInterruptsAllOnFirstReturn(t *testing.T) {
	var g group
	boom := errors.New("boom")
	stop := make(chan struct{})
	var interruptedWith []error
	g.add("blocker", func() error {
		<-stop
		return nil
	}, func(err error) {
		interruptedWith = append(interruptedWith, err)
		close(stop)
	})
	g.add("failer", func() error { return boom }, func(err error) {
		interruptedWith = append(interruptedWith, err)
	})
	err := g.run()
	if !errors.Is(err, boom) || err.Error() != "failer: boom" {
		t.Fatalf("run = %v, want failer: boom", err)
	}
	if len(interruptedWith) != 2 || !errors.Is(interruptedWith[0], boom) || !errors.Is(interruptedWith[1], boom) {
		t.Fatalf("interrupts = %v, want both actors interrupted with boom", interruptedWith)
	}
}

func TestGroupEmpty(t *testing.T) {
	var g group
	if err := g.run(); err != nil {
		t.Fatal(err)
	}
}
