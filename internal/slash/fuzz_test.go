package slash

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, always returns either a valid
// Command or a *UsageError with a one-line problem, and returns the same
// answer twice. Seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse(text)
		c2, err2 := Parse(text)
		if c != c2 {
			t.Fatalf("Parse(%q) = %+v, then %+v", text, c, c2)
		}
		if err != nil {
			var ue, ue2 *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) error = %T %v, want a *UsageError", text, err, err)
			}
			if !errors.As(err2, &ue2) || *ue != *ue2 {
				t.Fatalf("Parse(%q) error = %v, then %v", text, err, err2)
			}
			if c != (Command{}) {
				t.Fatalf("Parse(%q) = %+v with an error, want the zero Command", text, c)
			}
			checkUsageError(t, text, ue)
			if len(ue.Problem) > 400 {
				t.Fatalf("Parse(%q) error Problem is %d bytes, want a short line", text, len(ue.Problem))
			}
			return
		}
		if err2 != nil {
			t.Fatalf("Parse(%q) error = nil, then %v", text, err2)
		}
		checkCommand(t, text, c)
	})
}

// checkCommand checks that c is a Command Parse may return for text: a
// known Kind, in-range values, and only the fields its Kind uses.
func checkCommand(t *testing.T, text string, c Command) {
	t.Helper()
	fail := func(why string) { t.Fatalf("Parse(%q) = %+v: %s", text, c, why) }
	if c.Kind < KindHelp || c.Kind > KindExperiment {
		fail("unknown Kind")
	}
	if (c.Kind == KindTest) != (c.Text != "") {
		fail("Text set iff KindTest")
	}
	// Slack sends valid UTF-8; Parse replaces any invalid byte with U+FFFD.
	if c.Kind == KindTest && !strings.Contains(strings.ToValidUTF8(text, "\uFFFD"), c.Text) {
		fail("Text is not what was typed")
	}
	if (c.Kind == KindThreshold) != (c.Threshold != 0) {
		fail("Threshold set iff KindThreshold")
	}
	if c.Kind == KindThreshold && !(c.Threshold > 0 && c.Threshold <= 1) {
		fail("Threshold outside (0, 1]")
	}
	if c.Workspace && c.Kind != KindThreshold && c.Kind != KindCooldown {
		fail("Workspace on a per-channel-only command")
	}
	switch c.Kind {
	case KindSnooze:
		if c.Duration <= 0 || c.Duration > MaxSnooze {
			fail("snooze out of range")
		}
	case KindCooldown:
		if c.Duration < 0 || c.Duration > MaxCooldown {
			fail("cooldown out of range")
		}
	default:
		if c.Duration != 0 {
			fail("Duration on a command without one")
		}
	}
	if (c.Kind == KindRule) != (c.Family != "") || (c.Family != "" && !slices.Contains(families, c.Family)) {
		fail("Family set iff KindRule, and one of Families()")
	}
	if c.On && c.Kind != KindRule && c.Kind != KindShadow {
		fail("On on a command without a switch")
	}
	if c.Off && c.Kind != KindCap && c.Kind != KindExperiment {
		fail("Off on a command that cannot be off")
	}
	switch c.Kind {
	case KindCap:
		if c.Off != (c.N == 0) || c.N < 0 || c.N > MaxCap {
			fail("cap out of range")
		}
	case KindExperiment:
		if c.Off != (c.N == 0) || c.N < 0 || c.N > MaxExperiment {
			fail("experiment out of range")
		}
	case KindStats:
		if c.N < 1 || c.N > MaxStatsDays {
			fail("stats days out of range")
		}
	default:
		if c.N != 0 {
			fail("N on a command without one")
		}
	}
}
