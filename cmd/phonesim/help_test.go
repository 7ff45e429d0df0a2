package main

import (
	"context"
	"strings"
	"testing"
)

// TestHelpExitsZero: every command's help, however asked for, goes to
// stdout with exit 0; a wrong flag is still exit 2.
func TestHelpExitsZero(t *testing.T) {
	for _, cmd := range []string{"register", "call", "load"} {
		for _, args := range [][]string{{cmd, "-h"}, {cmd, "--help"}, {cmd, "-help"}, {"help", cmd}, {cmd, "--gk", "x", "-h"}} {
			var stdout, stderr strings.Builder
			code := run(context.Background(), args, &stdout, &stderr)
			if code != exitOK || !strings.Contains(stdout.String(), "phonesim "+cmd) || !strings.Contains(stdout.String(), "-gk") || stderr.Len() > 0 {
				t.Errorf("%v: exit %d\nstdout %q\nstderr %q", args, code, stdout.String(), stderr.String())
			}
		}
	}
	var stdout, stderr strings.Builder
	if code := run(context.Background(), []string{"register", "--nope"}, &stdout, &stderr); code != exitUsage {
		t.Errorf("bad flag: exit %d", code)
	}
	if code := run(context.Background(), []string{"help", "nope"}, &stdout, &stderr); code != exitUsage {
		t.Errorf("help nope: exit %d", code)
	}
}
