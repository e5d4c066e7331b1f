package main

import (
	"os"
	"testing"
)

// childEnv, set to "1", makes the test binary run as nudgebot itself
// (os.Args[1:] are its arguments), so the replica tests start real bot
// processes without building the binary separately.
const childEnv = "NUDGEBOT_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
