package testpy

import (
	"os"
	"strings"
	"testing"
)

// TestInterpreters says which interpreters this machine gives the tests;
// .ci/run prints it at the top of the run.
func TestInterpreters(t *testing.T) {
	t.Logf("interpreters for the tests: %s", Describe())
	for minor, i := range Pyenv() {
		if !strings.HasPrefix(i.Version, minor+".") {
			t.Errorf("%s: version %s", minor, i.Version)
		}
		if _, err := os.Stat(i.Path); err != nil {
			t.Errorf("%s: %v", minor, err)
		}
	}
}
