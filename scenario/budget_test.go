package scenario

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestEventBudgetStopsTheRun: a run whose loop would run more events than
// RunOptions.MaxEvents stops there with an error that names the budget and
// how to raise it; a budget above the run's work changes nothing.
func TestEventBudgetStopsTheRun(t *testing.T) {
	f, err := Load(filepath.Join("..", "scenarios", "morning-storm-5000-apps.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(f, RunOptions{Lean: true, MaxEvents: 1000})
	var be *EventBudgetError
	if !errors.As(err, &be) || be.Max != 1000 {
		t.Fatalf("error %v, want an event budget error at 1000", err)
	}
	for _, want := range []string{"morning-storm-5000-apps.yaml", "1000 events", "event budget", "--max-events"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	if be.At >= f.Duration {
		t.Errorf("stopped at %v of %v: the budget did not stop it early", be.At, f.Duration)
	}
	r, err := Run(f, RunOptions{Lean: true, MaxEvents: 10_000_000})
	if err != nil || !r.Passed() {
		t.Fatalf("under the budget: %v", err)
	}
}
