package emulator

import (
	"context"
	"testing"
)

// runUntilCleanup runs run (a Controller's or Emulator's Run) in the
// background until the test ends, then cancels it and requires it to
// return without an error.
func runUntilCleanup(t *testing.T, run func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}
