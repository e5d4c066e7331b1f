package slackbot

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nudgebot/nudgebot/internal/score"
)

func TestResolveSettings(t *testing.T) {
	d := Defaults{Threshold: 0.6, Cooldown: 10 * time.Minute}
	type want struct {
		Threshold  float64
		Cooldown   time.Duration
		Enabled    bool
		Shadow     bool
		Off        score.FamilySet
		Cap        int
		Experiment int
		From       map[string]Level
	}
	tests := []struct {
		name      string
		channel   map[string]string
		workspace map[string]string
		want      want
		// only the From entries listed are compared
	}{
		{
			name: "environment defaults",
			want: want{Threshold: 0.6, Cooldown: 10 * time.Minute, Enabled: true,
				From: map[string]Level{"threshold": LevelDefault, "cooldown": LevelDefault, "enabled": LevelDefault}},
		},
		{
			name:      "workspace default beats environment",
			workspace: map[string]string{"threshold": "0.8", "cooldown": "0s", "cap": "3"},
			want: want{Threshold: 0.8, Cooldown: 0, Enabled: true, Cap: 3,
				From: map[string]Level{"threshold": LevelWorkspace, "cooldown": LevelWorkspace, "cap": LevelWorkspace}},
		},
		{
			name:      "channel beats workspace",
			channel:   map[string]string{"threshold": "0.9", "enabled": "off", "shadow": "on", "rule.spar": "off", "experiment": "20"},
			workspace: map[string]string{"threshold": "0.8", "rule.spar": "on", "rule.blame": "off"},
			want: want{Threshold: 0.9, Cooldown: 10 * time.Minute, Enabled: false, Shadow: true,
				Off: score.FamilySet(0).With(score.Spar).With(score.Blame), Experiment: 20,
				From: map[string]Level{"threshold": LevelChannel, "enabled": LevelChannel, "rule.spar": LevelChannel, "rule.blame": LevelWorkspace, "rule.repeat": LevelDefault}},
		},
		{
			name:      "bad values fall through to the next level",
			channel:   map[string]string{"threshold": "7", "cooldown": "soon", "cap": "x", "rule.spar": "maybe"},
			workspace: map[string]string{"threshold": "0.75", "cooldown": "-1m"},
			want: want{Threshold: 0.75, Cooldown: 10 * time.Minute, Enabled: true,
				From: map[string]Level{"threshold": LevelWorkspace, "cooldown": LevelDefault, "cap": LevelDefault, "rule.spar": LevelDefault}},
		},
		{
			name:      "off switches cap and experiment off at a more specific level",
			channel:   map[string]string{"experiment": "off"},
			workspace: map[string]string{"cap": "off", "experiment": "50"},
			want: want{Threshold: 0.6, Cooldown: 10 * time.Minute, Enabled: true,
				From: map[string]Level{"cap": LevelWorkspace, "experiment": LevelChannel}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ResolveSettings(tt.channel, tt.workspace, d)
			got := want{s.Threshold, s.Cooldown, s.Enabled, s.Shadow, s.Off, s.Cap, s.Experiment, map[string]Level{}}
			for k := range tt.want.From {
				got.From[k] = s.From[k]
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ResolveSettings(%v, %v) mismatch (-want +got):\n%s", tt.channel, tt.workspace, diff)
			}
			for _, f := range score.Families() {
				if _, ok := s.From["rule."+string(f)]; !ok {
					t.Errorf("From has no rule.%s", f)
				}
			}
		})
	}
}
