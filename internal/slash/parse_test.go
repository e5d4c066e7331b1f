package slash

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		give string
		want Command
	}{
		{"", Command{Kind: KindHelp}},
		{"   ", Command{Kind: KindHelp}},
		{"\u00a0\u200b", Command{Kind: KindHelp}},
		{"help", Command{Kind: KindHelp}},
		{"HELP", Command{Kind: KindHelp}},
		{"help threshold", Command{Kind: KindHelp}},
		{"?", Command{Kind: KindHelp}},
		{"status", Command{Kind: KindStatus}},
		{"  Status  ", Command{Kind: KindStatus}},

		{"test as I already said", Command{Kind: KindTest, Text: "as I already said"}},
		{"TEST  *Works* as   DESIGNED!! ", Command{Kind: KindTest, Text: "*Works* as   DESIGNED!!"}},
		{"test\u00a0Read the &lt;docs&gt;", Command{Kind: KindTest, Text: "Read the &lt;docs&gt;"}},
		{"test line one\nline two", Command{Kind: KindTest, Text: "line one\nline two"}},
		{"test “as I said”", Command{Kind: KindTest, Text: "“as I said”"}},
		{"test <@U123> `code`", Command{Kind: KindTest, Text: "<@U123> `code`"}},

		{"snooze 2h", Command{Kind: KindSnooze, Duration: 2 * time.Hour}},
		{"snooze 10m", Command{Kind: KindSnooze, Duration: 10 * time.Minute}},
		{"snooze 1h30m", Command{Kind: KindSnooze, Duration: 90 * time.Minute}},
		{"snooze 1h 30m", Command{Kind: KindSnooze, Duration: 90 * time.Minute}},
		{"snooze 2 hours", Command{Kind: KindSnooze, Duration: 2 * time.Hour}},
		{"snooze 90 min", Command{Kind: KindSnooze, Duration: 90 * time.Minute}},
		{"snooze 30 mins", Command{Kind: KindSnooze, Duration: 30 * time.Minute}},
		{"snooze 1 hour 30 minutes", Command{Kind: KindSnooze, Duration: 90 * time.Minute}},
		{"snooze 1 hour and 30 minutes", Command{Kind: KindSnooze, Duration: 90 * time.Minute}},
		{"snooze 1 hour, 30 minutes", Command{Kind: KindSnooze, Duration: 90 * time.Minute}},
		{"snooze 2 days", Command{Kind: KindSnooze, Duration: 48 * time.Hour}},
		{"snooze 1d", Command{Kind: KindSnooze, Duration: 24 * time.Hour}},
		{"snooze 1d12h", Command{Kind: KindSnooze, Duration: 36 * time.Hour}},
		{"snooze 1 week", Command{Kind: KindSnooze, Duration: 7 * 24 * time.Hour}},
		{"snooze 1.5 hours", Command{Kind: KindSnooze, Duration: 90 * time.Minute}},
		{"snooze half an hour", Command{Kind: KindSnooze, Duration: 30 * time.Minute}},
		{"snooze an hour", Command{Kind: KindSnooze, Duration: time.Hour}},
		{"snooze an hour and a half", Command{Kind: KindSnooze, Duration: 90 * time.Minute}},
		{"snooze 30 days", Command{Kind: KindSnooze, Duration: MaxSnooze}},
		{"snooze 45s", Command{Kind: KindSnooze, Duration: 45 * time.Second}},
		{"SNOOZE 2 HOURS", Command{Kind: KindSnooze, Duration: 2 * time.Hour}},
		{"snooze\u00a02\u00a0hours", Command{Kind: KindSnooze, Duration: 2 * time.Hour}},
		{"snooze “2 hours”", Command{Kind: KindSnooze, Duration: 2 * time.Hour}},
		{`snooze "2h"`, Command{Kind: KindSnooze, Duration: 2 * time.Hour}},
		{"snooze off", Command{Kind: KindUnsnooze}},
		{"snooze OFF", Command{Kind: KindUnsnooze}},
		{"unsnooze", Command{Kind: KindUnsnooze}},

		{"threshold 0.7", Command{Kind: KindThreshold, Threshold: 0.7}},
		{"threshold .7", Command{Kind: KindThreshold, Threshold: 0.7}},
		{"threshold 70%", Command{Kind: KindThreshold, Threshold: 0.7}},
		{"threshold 70 %", Command{Kind: KindThreshold, Threshold: 0.7}},
		{"threshold 0,7", Command{Kind: KindThreshold, Threshold: 0.7}},
		{"threshold 33.3%", Command{Kind: KindThreshold, Threshold: 0.333}},
		{"threshold 5%", Command{Kind: KindThreshold, Threshold: 0.05}},
		{"threshold 100%", Command{Kind: KindThreshold, Threshold: 1}},
		{"threshold 1", Command{Kind: KindThreshold, Threshold: 1}},
		{"threshold 1.0", Command{Kind: KindThreshold, Threshold: 1}},
		{"threshold 0.01", Command{Kind: KindThreshold, Threshold: 0.01}},
		{"Threshold Default 0.55", Command{Kind: KindThreshold, Workspace: true, Threshold: 0.55}},
		{"threshold default 60%", Command{Kind: KindThreshold, Workspace: true, Threshold: 0.6}},
		{"threshold ‘0.7’", Command{Kind: KindThreshold, Threshold: 0.7}},

		{"cooldown 10m", Command{Kind: KindCooldown, Duration: 10 * time.Minute}},
		{"cooldown 0", Command{Kind: KindCooldown}},
		{"cooldown 0s", Command{Kind: KindCooldown}},
		{"cooldown 0 minutes", Command{Kind: KindCooldown}},
		{"cooldown 30 mins", Command{Kind: KindCooldown, Duration: 30 * time.Minute}},
		{"cooldown 24h", Command{Kind: KindCooldown, Duration: 24 * time.Hour}},
		{"cooldown 1d", Command{Kind: KindCooldown, Duration: 24 * time.Hour}},
		{"cooldown default 5m", Command{Kind: KindCooldown, Workspace: true, Duration: 5 * time.Minute}},
		{"cooldown default 0", Command{Kind: KindCooldown, Workspace: true}},

		{"on", Command{Kind: KindEnable}},
		{"ON", Command{Kind: KindEnable}},
		{"enable", Command{Kind: KindEnable}},
		{"off", Command{Kind: KindDisable}},
		{"disable", Command{Kind: KindDisable}},

		{"rule spar off", Command{Kind: KindRule, Family: "spar", On: false}},
		{"rule spar on", Command{Kind: KindRule, Family: "spar", On: true}},
		{"rule BLAME OFF", Command{Kind: KindRule, Family: "blame"}},
		{"rule push_to_z off", Command{Kind: KindRule, Family: "push_to_z"}},
		{"rule push-to-z on", Command{Kind: KindRule, Family: "push_to_z", On: true}},
		{"rule push to z on", Command{Kind: KindRule, Family: "push_to_z", On: true}},
		{"rule off condescend", Command{Kind: KindRule, Family: "condescend"}},
		{"rule stonewall disable", Command{Kind: KindRule, Family: "stonewall"}},

		{"stats", Command{Kind: KindStats, N: 7}},
		{"stats 30", Command{Kind: KindStats, N: 30}},
		{"stats 1", Command{Kind: KindStats, N: 1}},
		{"stats 365", Command{Kind: KindStats, N: 365}},
		{"stats 30d", Command{Kind: KindStats, N: 30}},
		{"stats 14 days", Command{Kind: KindStats, N: 14}},

		{"shadow on", Command{Kind: KindShadow, On: true}},
		{"shadow OFF", Command{Kind: KindShadow}},

		{"cap 3", Command{Kind: KindCap, N: 3}},
		{"cap 1", Command{Kind: KindCap, N: 1}},
		{"cap 1000", Command{Kind: KindCap, N: 1000}},
		{"cap off", Command{Kind: KindCap, Off: true}},

		{"experiment 20", Command{Kind: KindExperiment, N: 20}},
		{"experiment 20%", Command{Kind: KindExperiment, N: 20}},
		{"experiment 20 %", Command{Kind: KindExperiment, N: 20}},
		{"experiment 1", Command{Kind: KindExperiment, N: 1}},
		{"experiment 90", Command{Kind: KindExperiment, N: 90}},
		{"experiment off", Command{Kind: KindExperiment, Off: true}},

		// Slack clients' spaces, invisible characters and quotes.
		{"\u200bthreshold\u00a00.7\u202f", Command{Kind: KindThreshold, Threshold: 0.7}},
		{"\ufeffstatus", Command{Kind: KindStatus}},
		{"“status”", Command{Kind: KindStatus}},
		{"\" threshold 0.7\"", Command{Kind: KindThreshold, Threshold: 0.7}},
		{"cap\u20033", Command{Kind: KindCap, N: 3}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.give)
		if err != nil {
			t.Errorf("Parse(%q) error = %v, want %+v", tt.give, err, tt.want)
			continue
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.give, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		give     string
		wantKind Kind   // UsageError.Kind
		want     string // in UsageError.Problem
	}{
		{"threshold 7", KindThreshold, "between 0 and 1"},
		{"threshold 70", KindThreshold, "did you mean `70%`?"},
		{"threshold -1", KindThreshold, "between 0 and 1"},
		{"threshold 0", KindThreshold, "between 0 and 1"},
		{"threshold 0%", KindThreshold, "between 0 and 1"},
		{"threshold 1.01", KindThreshold, "between 0 and 1"},
		{"threshold 150%", KindThreshold, "between 0 and 1"},
		{"threshold abc", KindThreshold, "between 0 and 1"},
		{"threshold 1e-1", KindThreshold, "between 0 and 1"},
		{"threshold 0x1p-1", KindThreshold, "between 0 and 1"},
		{"threshold NaN", KindThreshold, "between 0 and 1"},
		{"threshold inf", KindThreshold, "between 0 and 1"},
		{"threshold 0..7", KindThreshold, "between 0 and 1"},
		{"threshold .", KindThreshold, "between 0 and 1"},
		{"threshold %", KindThreshold, "between 0 and 1"},
		{"threshold 99999999999999999999999999999999999999999999", KindThreshold, "between 0 and 1"},
		{"threshold", KindThreshold, "needs a value"},
		{"threshold default", KindThreshold, "needs a value"},
		{"threshold 0.7 0.8", KindThreshold, "one value"},
		{"threshold default default 0.7", KindThreshold, "one value"},

		{"cooldown soon", KindCooldown, "`soon` isn't one"},
		{"cooldown -5m", KindCooldown, "can't be negative"},
		{"cooldown -5 minutes", KindCooldown, "can't be negative"},
		{"cooldown 10", KindCooldown, "needs a unit"},
		{"cooldown", KindCooldown, "needs a duration"},
		{"cooldown default", KindCooldown, "needs a duration"},
		{"cooldown 25h", KindCooldown, "at most 24h"},
		{"cooldown 2 days", KindCooldown, "at most 24h"},
		{"cooldown off", KindCooldown, "isn't one"},
		{"cooldown 5 parsecs", KindCooldown, "isn't one"},
		{"cooldown 1 hour and", KindCooldown, "isn't one"},
		{"cooldown hours", KindCooldown, "isn't one"},

		{"snooze", KindSnooze, "needs a duration"},
		{"snooze forever", KindSnooze, "at most 30 days"},
		{"snooze 31 days", KindSnooze, "at most 30 days"},
		{"snooze 5 weeks", KindSnooze, "at most 30 days"},
		{"snooze 99999999999999999999 weeks", KindSnooze, "at most 30 days"},
		{"snooze 9999999999h", KindSnooze, "at most 30 days"},
		{"snooze 0", KindSnooze, "longer than 0"},
		{"snooze -1h", KindSnooze, "can't be negative"},
		{"snooze 2", KindSnooze, "needs a unit"},
		{"snooze tomorrow", KindSnooze, "`tomorrow` isn't one"},
		{"snooze off now", KindSnooze, "isn't one"},
		{"unsnooze now", KindUnsnooze, "takes nothing after it"},

		{"rule nosuch on", KindRule, "unknown family `nosuch`; families: contradict, repeat, blame, defend, condescend, stonewall, push_to_z, spar"},
		{"rule spar", KindRule, "`on` or `off`"},
		{"rule", KindRule, "`on` or `off`"},
		{"rule spar maybe", KindRule, "`on` or `off`"},
		{"rule on off", KindRule, "unknown family `on`"},

		{"stats 0", KindStats, "from 1 to 365"},
		{"stats 366", KindStats, "from 1 to 365"},
		{"stats -3", KindStats, "from 1 to 365"},
		{"stats week", KindStats, "from 1 to 365"},
		{"stats 1.5", KindStats, "from 1 to 365"},

		{"shadow", KindShadow, "`on` or `off`"},
		{"shadow maybe", KindShadow, "`on` or `off`"},
		{"shadow on off", KindShadow, "`on` or `off`"},

		{"cap 0", KindCap, "from 1 to 1000"},
		{"cap x", KindCap, "from 1 to 1000"},
		{"cap", KindCap, "from 1 to 1000"},
		{"cap -2", KindCap, "from 1 to 1000"},
		{"cap 1001", KindCap, "from 1 to 1000"},
		{"cap 3 4", KindCap, "from 1 to 1000"},
		{"cap 99999999999999999999", KindCap, "from 1 to 1000"},

		{"experiment 150", KindExperiment, "from 1 to 90"},
		{"experiment 91", KindExperiment, "from 1 to 90"},
		{"experiment 0", KindExperiment, "from 1 to 90"},
		{"experiment", KindExperiment, "from 1 to 90"},
		{"experiment 12.5%", KindExperiment, "from 1 to 90"},
		{"experiment 2 0", KindExperiment, "from 1 to 90"},

		{"status now", KindStatus, "takes nothing after it"},
		{"on please", KindEnable, "takes nothing after it"},
		{"off rule spar", KindDisable, "takes nothing after it"},

		{"test", KindTest, "needs the text"},
		{"test \u00a0 ", KindTest, "needs the text"},

		{"frobnicate", 0, "unknown command `frobnicate`"},
		{"treshold 0.7", 0, "did you mean `threshold`?"},
		{"experimnet 20", 0, "did you mean `experiment`?"},
		{"0.7", 0, "unknown command `0.7`"},
		{"☃☃☃ 💥", 0, "unknown command `☃☃☃`"},
		{"\x00\x01", 0, "unknown command"},
		{"\xff\xfe threshold", 0, "unknown command"},
		{"<!channel>", 0, "unknown command `&lt;!channel&gt;`"},
		{"`rm`", 0, "unknown command `rm`"},
		{strings.Repeat("a", 200), 0, "unknown command `aaaaaaaaaaaaaaaaaaaaaaaa…`"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.give)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("Parse(%q) = %+v, %v; want a *UsageError", tt.give, got, err)
			continue
		}
		if got != (Command{}) {
			t.Errorf("Parse(%q) = %+v with an error, want the zero Command", tt.give, got)
		}
		if ue.Kind != tt.wantKind {
			t.Errorf("Parse(%q) error Kind = %v, want %v", tt.give, ue.Kind, tt.wantKind)
		}
		if !strings.Contains(ue.Problem, tt.want) {
			t.Errorf("Parse(%q) error Problem = %q, want it to contain %q", tt.give, ue.Problem, tt.want)
		}
		if ue.Usage != tt.wantKind.Usage() {
			t.Errorf("Parse(%q) error Usage = %q, want %q", tt.give, ue.Usage, tt.wantKind.Usage())
		}
		checkUsageError(t, tt.give, ue)
	}
}

// checkUsageError checks what every UsageError promises: a one-line
// problem, a one-line usage, a two-line Message and a log line.
func checkUsageError(t *testing.T, give string, ue *UsageError) {
	t.Helper()
	if ue.Problem == "" || strings.ContainsAny(ue.Problem, "\r\n") {
		t.Errorf("Parse(%q) error Problem = %q, want one non-empty line", give, ue.Problem)
	}
	if ue.Usage == "" || strings.ContainsAny(ue.Usage, "\r\n") {
		t.Errorf("Parse(%q) error Usage = %q, want one non-empty line", give, ue.Usage)
	}
	if want := ue.Problem + "\nUsage: " + ue.Usage; ue.Message() != want {
		t.Errorf("Parse(%q) error Message() = %q, want %q", give, ue.Message(), want)
	}
	if !strings.HasPrefix(ue.Error(), "slash: ") || !strings.Contains(ue.Error(), ue.Problem) {
		t.Errorf("Parse(%q) error Error() = %q, want slash: and the problem", give, ue.Error())
	}
}

func TestParseTestTextNotEchoed(t *testing.T) {
	// The text of `test` is a message to score; it never reaches an error.
	for _, give := range []string{"test", "TEST   "} {
		_, err := Parse(give)
		var ue *UsageError
		if !errors.As(err, &ue) || ue.Kind != KindTest {
			t.Fatalf("Parse(%q) error = %v, want a KindTest UsageError", give, err)
		}
	}
}

func TestManagerOnly(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"help", false},
		{"status", false},
		{"test hi", false},
		{"snooze 1h", false},
		{"snooze off", false},
		{"threshold 0.7", true},
		{"threshold default 0.7", true},
		{"cooldown 0", true},
		{"on", true},
		{"off", true},
		{"rule spar off", true},
		{"stats", true},
		{"shadow on", true},
		{"cap 3", true},
		{"experiment off", true},
	}
	for _, tt := range tests {
		c, err := Parse(tt.give)
		if err != nil {
			t.Fatalf("Parse(%q) error = %v", tt.give, err)
		}
		if got := c.ManagerOnly(); got != tt.want {
			t.Errorf("Parse(%q).ManagerOnly() = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestKindString(t *testing.T) {
	seen := map[string]Kind{}
	for k := KindHelp; k <= KindExperiment; k++ {
		s := k.String()
		if strings.HasPrefix(s, "Kind(") {
			t.Errorf("Kind(%d).String() = %q, want a name", int(k), s)
		}
		if other, ok := seen[s]; ok {
			t.Errorf("Kind(%d) and Kind(%d) are both %q", int(k), int(other), s)
		}
		seen[s] = k
	}
	if got, want := Kind(0).String(), "Kind(0)"; got != want {
		t.Errorf("Kind(0).String() = %q, want %q", got, want)
	}
}

func TestFamilies(t *testing.T) {
	got := Families()
	if len(got) != 8 {
		t.Fatalf("Families() = %v, want the eight of DESIGN.md", got)
	}
	got[0] = "mutated"
	if Families()[0] == "mutated" {
		t.Error("Families() returned the package's own slice")
	}
	for _, f := range Families() {
		c, err := Parse("rule " + f + " off")
		if err != nil || c.Family != f {
			t.Errorf("Parse(%q) = %+v, %v; want family %q", "rule "+f+" off", c, err, f)
		}
	}
}
