package slash

import (
	"strings"
	"testing"
)

func TestHelp(t *testing.T) {
	h := Help()
	for k := KindHelp; k <= KindExperiment; k++ {
		if !strings.Contains(h, k.Usage()) {
			t.Errorf("Help() lacks the usage of %v: %q", k, k.Usage())
		}
	}
	// Grouped by who may run what, in this order, each command under the
	// group ManagerOnly puts it in.
	everyone := strings.Index(h, "*For everyone*")
	agents := strings.Index(h, "*For agents*")
	managers := strings.Index(h, "*For managers*")
	if everyone < 0 || agents < everyone || managers < agents {
		t.Fatalf("Help() groups out of order or missing:\n%s", h)
	}
	for k := KindHelp; k <= KindExperiment; k++ {
		at := strings.Index(h, k.Usage())
		if mgr := (Command{Kind: k}).ManagerOnly(); mgr != (at > managers) {
			t.Errorf("Help() lists %v under the wrong group (ManagerOnly = %v)", k, mgr)
		}
	}
	for _, name := range subcommands {
		if !strings.Contains(h, "`/nudge "+name) {
			t.Errorf("Help() never shows `/nudge %s`", name)
		}
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		give Kind
		want string
	}{
		{KindThreshold, "`/nudge threshold X`"},
		{KindThreshold, "`/nudge threshold default X`"},
		{KindCooldown, "`/nudge cooldown default DURATION`"},
		{KindSnooze, "`/nudge snooze off`"},
		{KindUnsnooze, "`/nudge snooze off`"},
		{KindDisable, "`/nudge off`"},
		{KindRule, "push_to_z"},
		{KindExperiment, "1 to 90"},
		{Kind(0), "`/nudge help`"},
		{Kind(99), "`/nudge help`"},
	}
	for _, tt := range tests {
		got := tt.give.Usage()
		if !strings.Contains(got, tt.want) {
			t.Errorf("%v.Usage() = %q, want it to contain %q", tt.give, got, tt.want)
		}
		if strings.Contains(got, "\n") {
			t.Errorf("%v.Usage() = %q, want one line", tt.give, got)
		}
	}
}

func TestUsageErrorMessage(t *testing.T) {
	_, err := Parse("threshold 7")
	ue, ok := err.(*UsageError)
	if !ok {
		t.Fatalf("Parse(%q) error = %v, want a *UsageError", "threshold 7", err)
	}
	want := "threshold must be between 0 and 1, like `0.7` or `70%`; did you mean `0.7` or `7%`?\nUsage: " + KindThreshold.Usage()
	if got := ue.Message(); got != want {
		t.Errorf("Message() = %q, want %q", got, want)
	}
	if got, want := ue.Error(), "slash: threshold must be between 0 and 1, like `0.7` or `70%`; did you mean `0.7` or `7%`?"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
