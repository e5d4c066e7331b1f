package slackbot

import "testing"

func TestOrigin(t *testing.T) {
	tests := []struct{ give, want string }{
		{"https://hooks.slack.com/commands/T1/123/abc", "https://hooks.slack.com"},
		{"HTTPS://Hooks.Slack.COM:443/actions/T1/1/x", "https://hooks.slack.com"},
		{"http://127.0.0.1:8123/response/7", "http://127.0.0.1:8123"},
		{"http://example.com:80/x", "http://example.com"},
		{"https://[::1]:8443/x", "https://[::1]:8443"},
		{"https://[::1]/x", "https://[::1]"},
		{"https://hooks.slack.com.evil.example/x", "https://hooks.slack.com.evil.example"},
		{"https://hooks.slack.com@evil.example/x", ""}, // user info
		{"ftp://hooks.slack.com/x", ""},
		{"/commands/T1", ""},
		{"hooks.slack.com/commands", ""},
		{"https://%zz", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := origin(tt.give); got != tt.want {
			t.Errorf("origin(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
	allowed := responseOrigins([]string{"http://127.0.0.1:8123/api/"})
	for o, want := range map[string]bool{
		"https://hooks.slack.com": true, "https://hooks.slack-gov.com": true, "http://127.0.0.1:8123": true,
		"http://hooks.slack.com": false, "http://127.0.0.1:8124": false, "": false,
	} {
		if allowed[o] != want {
			t.Errorf("responseOrigins(...)[%q] = %v, want %v", o, allowed[o], want)
		}
	}
}
