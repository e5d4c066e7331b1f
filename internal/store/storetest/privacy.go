package storetest

import (
	"strings"
	"testing"
)

// textish are the column name parts that would suggest message text.
var textish = []string{"text", "body", "content", "message", "msg", "reply", "quote", "span"}

// allowed are names that contain a textish part but hold no text.
var allowed = map[string]bool{"message_ts": true}

// CheckNoText fails t if any column of columns (table name to its column
// names, as the driver's catalog lists them) looks like it could hold
// message text. Message text must never be stored.
func CheckNoText(t testing.TB, columns map[string][]string) {
	t.Helper()
	if len(columns) == 0 {
		t.Fatal("CheckNoText: no tables listed")
	}
	n := 0
	for table, cols := range columns {
		for _, c := range cols {
			n++
			lc := strings.ToLower(c)
			if allowed[lc] {
				continue
			}
			for _, w := range textish {
				if strings.Contains(lc, w) {
					t.Errorf("column %s.%s looks like it could hold message text", table, c)
				}
			}
		}
	}
	for _, want := range []string{"nudges", "feedback", "settings", "audit"} {
		if _, ok := columns[want]; !ok {
			t.Errorf("CheckNoText: table %q not listed", want)
		}
	}
	if n == 0 {
		t.Error("CheckNoText: no columns listed")
	}
}
