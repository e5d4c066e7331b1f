package slash

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Why a duration did not parse. Parse turns these into user-facing lines.
var (
	errNoDuration = errors.New("no duration")
	errNegative   = errors.New("negative duration")
	errNoUnit     = errors.New("number without a unit")
	errTooLong    = errors.New("duration out of range")
	errBadUnit    = errors.New("unreadable duration")
)

// units are the human unit words, in seconds.
var units = map[string]float64{
	"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
	"m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
	"h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
	"d": 86400, "day": 86400, "days": 86400,
	"w": 604800, "wk": 604800, "wks": 604800, "week": 604800, "weeks": 604800,
}

// parseDuration reads s (lower case, words separated by single spaces) as
// Go duration syntax, with the spaces removed ("1h 30m"), or else as a
// sum of human components: "2 hours", "1 hour and 30 minutes", "1d12h",
// "half an hour", "an hour and a half". time.ParseDuration alone knows no
// days, weeks or words (LIBRARIES.md).
func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errNoDuration
	}
	if d, err := time.ParseDuration(strings.ReplaceAll(s, " ", "")); err == nil {
		if d < 0 {
			return 0, errNegative
		}
		return d, nil
	}
	if s[0] == '-' {
		return 0, errNegative
	}
	toks, ok := lexDuration(s)
	if !ok || len(toks) == 0 {
		return 0, errBadUnit
	}
	var (
		total float64 // seconds
		prev  float64 // the previous component's unit, for "and a half"
	)
	for i := 0; i < len(toks); {
		t := toks[i]
		var amount float64
		switch {
		case t == "and" && prev != 0 && i+1 < len(toks):
			i++
			continue
		case (t == "a" || t == "an") && i+1 < len(toks) && toks[i+1] == "half" && prev != 0:
			// "an hour and a half": half of the unit before.
			total += prev / 2
			i += 2
			continue
		case isNumber(t):
			v, err := strconv.ParseFloat(t, 64)
			if err != nil {
				return 0, errTooLong // only a range error gets here
			}
			amount = v
		case t == "a" || t == "an" || t == "one":
			amount = 1
		case t == "half":
			amount = 0.5
			if i+1 < len(toks) && (toks[i+1] == "a" || toks[i+1] == "an") {
				i++
			}
		default:
			return 0, errBadUnit
		}
		i++
		if i == len(toks) {
			if isNumber(t) && amount == 0 && len(toks) == 1 {
				return 0, nil // "00", "0.0"
			}
			return 0, errNoUnit
		}
		unit, ok := units[toks[i]]
		if !ok {
			return 0, errBadUnit
		}
		i++
		total += amount * unit
		prev = unit
	}
	ns := total * float64(time.Second)
	if math.IsInf(ns, 0) || math.IsNaN(ns) || ns >= math.MaxInt64 {
		return 0, errTooLong
	}
	return time.Duration(math.Round(ns)), nil
}

// lexDuration splits s into numbers and words, dropping spaces and commas.
// It reports false on any other character.
func lexDuration(s string) ([]string, bool) {
	var toks []string
	for i := 0; i < len(s); {
		r := rune(s[i])
		switch {
		case r == ' ' || r == ',':
			i++
		case r == '.' || ('0' <= r && r <= '9'):
			j := i
			for j < len(s) && (s[j] == '.' || ('0' <= s[j] && s[j] <= '9')) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		case 'a' <= r && r <= 'z':
			j := i
			for j < len(s) && 'a' <= s[j] && s[j] <= 'z' {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			return nil, false
		}
	}
	return toks, true
}

// isNumber reports whether s is a plain decimal: digits with at most one
// point, and at least one digit. It rules out what strconv.ParseFloat
// also takes: signs, exponents, hex, "inf", "nan", underscores.
func isNumber(s string) bool {
	digits, points := 0, 0
	for _, r := range s {
		switch {
		case unicode.IsDigit(r) && r < 0x80:
			digits++
		case r == '.':
			points++
		default:
			return false
		}
	}
	return digits > 0 && points <= 1
}
