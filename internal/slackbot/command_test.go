package slackbot

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nudgebot/nudgebot/internal/score"
	"github.com/nudgebot/nudgebot/internal/slash"
	"github.com/nudgebot/nudgebot/internal/store"
)

func TestFamiliesAgree(t *testing.T) {
	var want []string
	for _, f := range score.Families() {
		want = append(want, string(f))
	}
	if got := slash.Families(); !slices.Equal(got, want) {
		t.Errorf("slash.Families() = %v, score.Families() = %v", got, want)
	}
}

func TestChangeOf(t *testing.T) {
	tests := []struct {
		give string
		want settingChange
	}{
		{"threshold 0.7", settingChange{"C1", store.KeyThreshold, "0.7"}},
		{"threshold 70%", settingChange{"C1", store.KeyThreshold, "0.7"}},
		{"threshold default 0.8", settingChange{"", store.KeyThreshold, "0.8"}},
		{"cooldown 15m", settingChange{"C1", store.KeyCooldown, "15m0s"}},
		{"cooldown 0", settingChange{"C1", store.KeyCooldown, "0s"}},
		{"cooldown default 1h", settingChange{"", store.KeyCooldown, "1h0m0s"}},
		{"on", settingChange{"C1", store.KeyEnabled, "on"}},
		{"off", settingChange{"C1", store.KeyEnabled, "off"}},
		{"rule spar off", settingChange{"C1", "rule.spar", "off"}},
		{"rule push to z on", settingChange{"C1", "rule.push_to_z", "on"}},
		{"shadow on", settingChange{"C1", store.KeyShadow, "on"}},
		{"cap 5", settingChange{"", store.KeyCap, "5"}},
		{"cap off", settingChange{"", store.KeyCap, "off"}},
		{"experiment 20", settingChange{"C1", store.KeyExperiment, "20"}},
		{"experiment off", settingChange{"C1", store.KeyExperiment, "off"}},
	}
	for _, tt := range tests {
		cmd, err := slash.Parse(tt.give)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.give, err)
		}
		got, ok := changeOf(cmd, "C1")
		if !ok || got != tt.want {
			t.Errorf("changeOf(%q) = %+v, %v, want %+v", tt.give, got, ok, tt.want)
		}
		// What is stored must resolve to what was asked.
		level := map[string]string{got.key: got.value}
		var s Settings
		if got.channel == "" {
			s = ResolveSettings(nil, level, Defaults{Threshold: 0.6, Cooldown: time.Hour})
		} else {
			s = ResolveSettings(level, nil, Defaults{Threshold: 0.6, Cooldown: time.Hour})
		}
		wantLevel := LevelChannel
		if got.channel == "" {
			wantLevel = LevelWorkspace
		}
		if s.From[got.key] != wantLevel {
			t.Errorf("%q: stored %q does not resolve (level %v)", tt.give, got.value, s.From[got.key])
		}
	}
	for _, give := range []string{"help", "status", "test hi", "snooze 2h", "snooze off", "stats"} {
		cmd, _ := slash.Parse(give)
		if _, ok := changeOf(cmd, "C1"); ok {
			t.Errorf("changeOf(%q) = ok, want no setting", give)
		}
	}
}

func TestChannelLevel(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"threshold 0.7", true},
		{"threshold default 0.7", false},
		{"cooldown 1m", true},
		{"cooldown default 1m", false},
		{"on", true},
		{"off", true},
		{"rule spar on", true},
		{"shadow off", true},
		{"experiment 10", true},
		{"cap 3", false},
		{"stats", false},
		{"status", false},
		{"snooze 1h", false},
	}
	for _, tt := range tests {
		cmd, err := slash.Parse(tt.give)
		if err != nil {
			t.Fatal(err)
		}
		if got := channelLevel(cmd); got != tt.want {
			t.Errorf("channelLevel(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		give time.Duration
		want string
	}{
		{0, "0"},
		{10 * time.Minute, "10m"},
		{90 * time.Minute, "1h30m"},
		{2 * time.Hour, "2h"},
		{45 * time.Second, "45s"},
		{26 * time.Hour, "26h"},
		{time.Hour + time.Second, "1h0m1s"},
	}
	for _, tt := range tests {
		if got := formatDuration(tt.give); got != tt.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

func TestSuggestions(t *testing.T) {
	tests := []struct {
		name string
		give []store.FamilyStats
		want []string // substrings; none when empty
	}{
		{"too few clicks", []store.FamilyStats{{Family: "contradict", Sent: 9, NotHelpful: 4}}, nil},
		{"mostly not helpful", []store.FamilyStats{{Family: "contradict", Sent: 20, Helpful: 3, NotHelpful: 9}},
			[]string{"contradict: 9 of 12 marked not helpful", "`/nudge rule contradict off`", "higher threshold"}},
		{"half and half is not poor", []store.FamilyStats{{Family: "spar", Sent: 20, Helpful: 5, NotHelpful: 5}}, nil},
		{"mostly helpful", []store.FamilyStats{{Family: "blame", Sent: 20, Helpful: 8, NotHelpful: 2}}, nil},
		{"only the poor one", []store.FamilyStats{
			{Family: "blame", Helpful: 8, NotHelpful: 2},
			{Family: "repeat", Helpful: 1, NotHelpful: 5},
		}, []string{"repeat: 5 of 6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := suggestions(tt.give)
			if len(tt.want) == 0 && got != "" {
				t.Errorf("suggestions(%+v) = %q, want none", tt.give, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("suggestions(%+v) = %q, want it to contain %q", tt.give, got, w)
				}
			}
			if strings.Contains(got, "blame") {
				t.Errorf("suggestions named a helpful family: %q", got)
			}
		})
	}
}

func TestEscalationText(t *testing.T) {
	tests := []struct {
		name       string
		nudged     store.EscalationStats
		control    store.EscalationStats
		experiment int
		want       []string
		notWant    []string
	}{
		{
			name:    "enough to compare",
			nudged:  store.EscalationStats{Messages: 80, Replied: 60, Escalated: 12},
			control: store.EscalationStats{Messages: 20, Replied: 18, Escalated: 9},
			want:    []string{"12 of 80 (15%)", "9 of 20 (45%)", "30 points lower"},
			notWant: []string{"Too few"},
		},
		{
			name:    "too few in the control group",
			nudged:  store.EscalationStats{Messages: 80, Escalated: 12},
			control: store.EscalationStats{Messages: 5, Escalated: 3},
			want:    []string{"12 of 80 (15%)", "3 of 5 (60%)", "Too few to compare"},
			notWant: []string{"points"},
		},
		{
			name:    "too few nudged",
			nudged:  store.EscalationStats{Messages: 19, Escalated: 1},
			control: store.EscalationStats{Messages: 40, Escalated: 20},
			want:    []string{"1 of 19 (5%)", "20 of 40 (50%)", "Too few to compare"},
		},
		{
			name:    "higher after nudges",
			nudged:  store.EscalationStats{Messages: 20, Escalated: 10},
			control: store.EscalationStats{Messages: 20, Escalated: 2},
			want:    []string{"40 points *higher*"},
		},
		{
			name:   "no experiment",
			nudged: store.EscalationStats{Messages: 30, Escalated: 3},
			want:   []string{"3 of 30 (10%)", "no messages", "`/nudge experiment 20`"},
		},
		{
			name:       "experiment on, no control yet",
			nudged:     store.EscalationStats{Messages: 3},
			experiment: 20,
			want:       []string{"Too few to compare"},
			notWant:    []string{"`/nudge experiment 20`"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := escalationText(tt.nudged, tt.control, tt.experiment)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("escalationText() = %q, want %q in it", got, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("escalationText() = %q, want no %q", got, w)
				}
			}
		})
	}
}

func TestStatsReply(t *testing.T) {
	st := store.Stats{
		Scored: 120, Sent: 14, Shadowed: 3, Withheld: 4, Capped: 2, Agents: 5, Helpful: 4, NotHelpful: 10,
		Families: []store.FamilyStats{
			{Family: "contradict", Sent: 12, Shadowed: 3, Withheld: 4, Helpful: 3, NotHelpful: 9},
			{Family: "push_to_z", Sent: 2, Helpful: 1, NotHelpful: 1},
		},
		Rules: []store.RuleStats{
			{RuleID: "contradict.actually", Family: "contradict", Sent: 8, Helpful: 1, NotHelpful: 7},
			{RuleID: "contradict.wrong", Family: "contradict", Sent: 4, Helpful: 2, NotHelpful: 2},
			{RuleID: "push_to_z.migrate", Family: "push_to_z", Sent: 2, Helpful: 1, NotHelpful: 1},
			{RuleID: "spar.jab", Family: "spar", Sent: 1, NotHelpful: 1},
			{RuleID: "blame.you", Family: "blame", Sent: 1},
		},
		Nudged:  store.EscalationStats{Messages: 14, Replied: 10, Escalated: 2},
		Control: store.EscalationStats{Messages: 4, Replied: 4, Escalated: 2},
	}
	r := statsReply("C1", 7, st, Settings{Shadow: true, Experiment: 20})
	for _, want := range []string{
		"<#C1>", "the last 7 days",
		"*Messages scored*: 120",
		"*Nudges sent*: 14, to 5 agents",
		"*Shadowed (recorded, not sent)*: 3",
		"*Withheld as control*: 4",
		"*Over the daily cap*: 2",
		"*Marked helpful*: 4 of 14 (29%)",
		"3 would-be nudges recorded and *not sent*", "Shadow mode is still on",
		"contradict     12        3        4  3 of 12 (25%)",
		"push_to_z       2        0        0  1 of 2 (50%)",
		"`contradict.actually` (contradict): 7 of 8 marked not helpful",
		"`contradict.wrong` (contradict): 2 of 4",
		"`push_to_z.migrate` (push to z): 1 of 2",
		"contradict: 9 of 12 marked not helpful. Consider `/nudge rule contradict off`",
		"2 of 14 (14%)", "2 of 4 (50%)", "Too few to compare",
	} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("stats reply lacks %q:\n%s", want, r.Text)
		}
	}
	// Only the top three rules, and no rule without a "not helpful".
	for _, notWant := range []string{"spar.jab", "blame.you", "push_to_z: 1 of 2 marked"} {
		if strings.Contains(r.Text, notWant) {
			t.Errorf("stats reply has %q:\n%s", notWant, r.Text)
		}
	}
	if len(r.Blocks) == 0 || len(r.Blocks) > 50 {
		t.Errorf("stats reply has %d blocks", len(r.Blocks))
	}

	empty := statsReply("", 1, store.Stats{}, Settings{})
	for _, want := range []string{"the whole workspace", "the last day", "*Nudges sent*: 0, to 0 agents", "*Marked helpful*: no clicks"} {
		if !strings.Contains(empty.Text, want) {
			t.Errorf("empty stats reply lacks %q:\n%s", want, empty.Text)
		}
	}
	if strings.Contains(empty.Text, "Shadow mode") || strings.Contains(empty.Text, "By family") {
		t.Errorf("empty stats reply mentions what did not happen:\n%s", empty.Text)
	}
}

func TestChannelLine(t *testing.T) {
	s := ResolveSettings(
		map[string]string{"threshold": "0.8", "shadow": "on", "rule.spar": "off"},
		map[string]string{"cooldown": "5m", "rule.blame": "off"},
		Defaults{Threshold: 0.6, Cooldown: 10 * time.Minute})
	got := channelLine("C1", s)
	want := "<#C1>: watching · threshold *0.8* · cooldown 5m · *shadow mode* · off: blame, *spar*"
	if got != want {
		t.Errorf("channelLine() = %q, want %q", got, want)
	}
}
