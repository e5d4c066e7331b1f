package score

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEvaluateFamilies(t *testing.T) {
	tests := []struct {
		give string
		want Family
	}{
		{"With all due respect, you're wrong about the renewal date.", Contradict},
		{"That's not how escrow works, the funds were never held by us.", Contradict},
		{"As I said twice already, the booking can't be moved.", Repeat},
		{"I've explained the baggage allowance three times now.", Repeat},
		{"If you'd read the terms, you'd know the fare is non-refundable.", Blame},
		{"You must have deleted the save file by accident.", Blame},
		{"The app works exactly as designed, nobody else has reported this.", Defend},
		{"Our platform is rock solid, it's very unlikely this is on our end.", Defend},
		{"It's not rocket science, you just tap the card.", Condescend},
		{"Calm down, it's only a delayed transfer.", Condescend},
		{"That's not my department, there's nothing I can do.", Stonewall},
		{"Rules are rules. End of discussion.", Stonewall},
		{"What you really need is to migrate your whole team to our platform first.", PushToZ},
		{"Before we can look at the login issue, you need to set up SSO across your entire org.", PushToZ},
		{"Did you even read my last message?", Spar},
		{"I'm not going to argue about this.", Spar},
	}
	// The rules alone name the family (that is the rulebook's mapping under
	// test); blended with the model, every one must still be a nudge.
	rules := DefaultRules().WithModel(nil)
	for _, tt := range tests {
		if res := Evaluate(Message{Text: tt.give}, DefaultRules()); !res.Nudge(0.6) {
			t.Errorf("blended, Evaluate(%q) = score %.2f, want a nudge (hits %v)", tt.give, res.Score, res.Hits)
		}
		res := Evaluate(Message{Text: tt.give}, rules)
		if !res.Nudge(0.6) || res.Family != tt.want {
			t.Errorf("Evaluate(%q) = score %.2f family %q, want a nudge of family %q (hits %v)", tt.give, res.Score, res.Family, tt.want, res.Hits)
		}
		if res.Reminder == "" || res.Suggestion == "" {
			t.Errorf("Evaluate(%q): reminder %q, suggestion %q, want both", tt.give, res.Reminder, res.Suggestion)
		}
	}
}

func TestEvaluateExceptions(t *testing.T) {
	// Each pair: a message that nudges, and one with the same cue whose
	// exception holds.
	tests := []struct {
		nudge, ok string
	}{
		{"Actually, that's not what happened.", "Actually, good news: the fix shipped!"},
		{"Per our policy there's nothing I can do.", "Per our policy you get a full refund."},
		{"You're wrong, the invoice is right.", "You're right, the invoice was wrong."},
		{"That's not my department.", "That's not my department, but I've looped in billing for you."},
		{"Again, the label is in the email.", "Again, really sorry for the hassle."},
		{"It works as designed.", "It works as designed, but I agree that's confusing. I've logged it."},
		{"Not to point fingers, but you're the one who turned it off.", "Not blaming anyone: could someone on your team have turned it off?"},
		{"This is user error.", "This is not user error at all, the button is confusing."},
		{"No, you didn't lose any data.", "No, you didn't do anything wrong."},
		{"lol no, that's not how the export works.", "lol no worries at all"},
		{"Obviously you didn't read the guide.", "Obviously you know your dog best, so pick the size you like."},
	}
	// The rulebook's exceptions are under test, so the rules alone.
	rules := DefaultRules().WithModel(nil)
	for _, tt := range tests {
		if res := Evaluate(Message{Text: tt.nudge}, rules); !res.Nudge(0.6) {
			t.Errorf("Evaluate(%q) = %.2f, want a nudge (hits %v)", tt.nudge, res.Score, res.Hits)
		}
		if res := Evaluate(Message{Text: tt.ok}, rules); res.Nudge(0.6) {
			t.Errorf("Evaluate(%q) = %.2f, want no nudge (hits %v)", tt.ok, res.Score, res.Hits)
		}
	}
}

// TestWordSenseExceptions: each rule still hits its cue, and not the same
// words read another way (from the false alarms of train69 … train72).
func TestWordSenseExceptions(t *testing.T) {
	tests := []struct {
		rule, hit, miss string
	}{
		{"contradict.t2", "Just to correct something: the plan renews in May.",
			"I need to correct something I told you on Friday: it renews in May, not June."},
		{"condescend.move-easy", "It's a really simple process, just follow the steps.",
			"It's a very easy thing to miss, the setting is two menus deep."},
		{"repeat.move-said2", "I sent the link earlier in this thread.",
			"Here it is again, which might be easier than the list I sent before."},
		{"spar.done-arguing", "Congratulations, you've locked yourself out again.",
			"Congratulations, your order is on its way!"},
		{"stonewall.not-my-job", "A refund isn't something I can do.",
			"A refund isn't something I can do at six weeks. What I can offer is 25% off a replacement."},
		{"repeat.move-said2", "I have explained that already.",
			"We should have explained that in the booking email, and I'll get it changed."},
		{"repeat.count", "I've gone through this twice now.",
			"You did everything right; the payment went through twice on our side, and one is refunded."},
		{"repeat.count", "Again, the badge shows up after a restart.",
			"Again, nice work on reaching 1500! The badge shows up after a restart."},
		{"repeat.said-before-strong", "I've told you this a couple of times.",
			"Rub a dab of toothpaste on the lens, rinse, and repeat a couple of times."},
		{"spar.move-jab2", "You're welcome to take your business elsewhere.",
			"Samples stay in the boutique, but you're welcome to take photos and video."},
		{"spar.rhetorical", "Who told you that?",
			"I'm sorry, the colleague who told you that was looking at the newer vouchers."},
		{"blame.user-error", "That's on you.",
			"Our policy here is actually on your side: the insurance covers it."},
		{"condescend.move-obvious", "That should be pretty obvious.",
			"None of this is obvious the first time, so don't worry if it takes a couple of tries."},
		{"repeat.count", "I've shown you twice where the setting is.",
			"You're right, that's a bug: the weekly forecast showed Monday twice."},
		{"condescend.move-talk-down", "Honestly, kids can do this in a minute.",
			"Under 12s lead with an adult, because a llama can pull harder than a child can hold."},
		{"blame.user-error", "Honestly, it was your fault the tip broke.",
			"You asked whether it was your fault the tip broke. Honestly, it's hard to say."},
		{"stonewall.nothing-to-do", "Sorry, it's final.",
			"Your wedding suit is ready for its final fitting."},
		{"condescend.you-slow", "Honestly, this product isn't for you.",
			"The plunge pool is optional, so skip it if the cold isn't for you."},
		{"push_to_z.move-z", "You'll need to start over with the new plan.",
			"I've added notes so you won't have to start over."},
		{"defend.no-way", "Our divers are fully certified.",
			"If you start on Thursday, you'd be fully certified by Friday."},
	}
	rules := DefaultRules().WithModel(nil)
	for _, tt := range tests {
		if !hit2(rules, tt.hit, tt.rule) {
			t.Errorf("%s does not hit %q", tt.rule, tt.hit)
		}
		if hit2(rules, tt.miss, tt.rule) {
			t.Errorf("%s hits %q", tt.rule, tt.miss)
		}
	}
	// Taking the customer's side against their own self-blame is not
	// contradicting what they said.
	const (
		sunglasses = "How do I measure my face for sunglasses? I'm useless at this stuff, the chart is broken."
		surfing    = "I know I'm slow at learning this, sorry."
	)
	for _, tt := range []struct {
		ctx, text string
		want      bool
	}{
		{sunglasses, "Not broken at all, the chart only needs the numbers on the arm.", true},
		{sunglasses, "Not useless at all, it's fiddly and most people never do it!", false},
		{sunglasses, "Please don't feel stupid, the chart is broken for lots of people.", false},
		{surfing, "Slow? No, the lessons are not slow at all.", true},
		{surfing, "You're not slow at all, honestly. Most people take five lessons.", false},
		{surfing, "You're not behind at all; most of the group is slow at learning it too.", false},
	} {
		got := slices.ContainsFunc(Evaluate(Message{Text: tt.text, Context: tt.ctx}, rules).Hits, func(h Hit) bool { return h.Family == Contradict })
		if got != tt.want {
			t.Errorf("after %q, a contradict hit on %q: %v, want %v", tt.ctx, tt.text, got, tt.want)
		}
	}
}

func TestSarcasticIdioms(t *testing.T) {
	// Stock sarcasm hits spar.sarcastic-idiom wherever it is; the same
	// words said plainly don't.
	hit := []string{
		"Bold move. Let me know how it goes.",
		"Sure, let me just magically restore a file you deleted in March.",
		"Cool story. Anything else?",
		"The panel meets in May, I'm sure they'll enjoy reading that.",
		"Their queue is two weeks long, but by all means, call them.",
		"Let's not get dramatic, it's one invoice.",
		"Shocking, truly.",
	}
	miss := []string{
		"The new dashboard uses bold text for overdue invoices.",
		"I can't magically see your screen, could you send a screenshot?",
		"Imagine that you have two accounts: the old one keeps the history.",
		"We figured out the cause, it was a stale cache on our side.",
	}
	rules := DefaultRules().WithModel(nil)
	has := func(text string) bool {
		for _, h := range Evaluate(Message{Text: text}, rules).Hits {
			if h.RuleID == "spar.sarcastic-idiom" {
				return true
			}
		}
		return false
	}
	for _, text := range hit {
		if !has(text) {
			t.Errorf("Evaluate(%q): no spar.sarcastic-idiom hit", text)
		}
	}
	for _, text := range miss {
		if has(text) {
			t.Errorf("Evaluate(%q): spar.sarcastic-idiom hit", text)
		}
	}
}

func TestEvaluatePolite(t *testing.T) {
	// Ordinary polite messages from several domains must not nudge.
	tests := []string{
		"Thanks for your patience, the refund is on its way.",
		"Could you send me a screenshot of the error?",
		"I've rebooked you on the 7am flight at no extra cost.",
		"No worries, I can walk you through it.",
		"Happy to explain it again: the fee is charged once a year.",
		"Sure! You can change it under Settings > Billing.",
		"You should have received a confirmation email, let me resend it.",
		"Let me check with the pharmacy and get back to you today.",
		"Do you want me to send the steps by email?",
		"Have you tried restarting the console? If that doesn't help, I'll escalate.",
		"",
	}
	rules := DefaultRules()
	for _, give := range tests {
		if res := Evaluate(Message{Text: give}, rules); res.Nudge(0.6) {
			t.Errorf("Evaluate(%q) = %.2f, want no nudge (hits %v)", give, res.Score, res.Hits)
		}
	}
}

func TestEvaluateNothingCounts(t *testing.T) {
	res := Evaluate(Message{Text: "Your order shipped this morning."}, DefaultRules())
	if res.Score != 0 || res.Family != "" || res.Hits != nil || res.Reminder != "" {
		t.Errorf("Evaluate(clean) = %+v, want the zero Result", res)
	}
}

func TestEvaluateOff(t *testing.T) {
	rules := DefaultRules()
	msg := Message{Text: "As I already explained, refunds take 5 days."}
	if res := Evaluate(msg, rules); res.Family != Repeat {
		t.Fatalf("Evaluate(%q).Family = %q, want repeat", msg.Text, res.Family)
	}
	msg.Off = FamilySet(0).With(Repeat)
	res := Evaluate(msg, rules)
	for _, h := range res.Hits {
		if h.Family == Repeat {
			t.Errorf("repeat switched off, but hit %v", h)
		}
	}
	if res.Family == Repeat {
		t.Errorf("repeat switched off, but Family = repeat")
	}
	msg.Off = msg.Off.With(Spar).With(Contradict)
	if res := Evaluate(msg, rules); res.Score != 0 || res.Family != "" {
		t.Errorf("with the matching families off, Evaluate = %+v, want zero", res)
	}
}

func TestEvaluateScoreBounds(t *testing.T) {
	text := "AS I ALREADY TOLD YOU TWICE, you're wrong, it's your fault, calm down, rules are rules, " +
		"our system is rock solid, what you really need is to migrate everything. Are you serious?? :upside_down_face:"
	res := Evaluate(Message{Text: text}, DefaultRules())
	if res.Score <= 0.99 || res.Score > 1 {
		t.Errorf("Evaluate(many hits).Score = %v, want in (0.99, 1]", res.Score)
	}
	for i := 1; i < len(res.Hits); i++ {
		if res.Hits[i].Start < res.Hits[i-1].Start {
			t.Errorf("hits not in span order: %v", res.Hits)
		}
	}
}

func TestEvaluateContext(t *testing.T) {
	rules := DefaultRules()
	text := "No, your speeds aren't dropping."
	hasEcho := func(ctx string) bool {
		for _, h := range Evaluate(Message{Text: text, Context: ctx}, rules).Hits {
			if h.RuleID == "contradict.echo" {
				return true
			}
		}
		return false
	}
	if !hasEcho("my speeds keep dropping every evening") {
		t.Errorf("the agent negates the customer's claim, want contradict.echo")
	}
	if hasEcho("are my speeds dropping because of the storm?") {
		t.Errorf("the customer asked, claimed nothing: want no contradict.echo")
	}
	if hasEcho("") {
		t.Errorf("no context: want no contradict.echo")
	}
}

func TestReminderRotation(t *testing.T) {
	rules := DefaultRules()
	for _, f := range Families() {
		if n := len(rules.Reminders(f)); n < 3 {
			t.Errorf("family %s has %d reminders, want several", f, n)
		}
	}
	text := "As I already explained, the fee is final."
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	want := rules.Reminders(Repeat)
	for i := range want {
		res := Evaluate(Message{Text: text, At: base.Add(time.Duration(i) * time.Minute)}, rules)
		seen[res.Reminder] = true
		again := Evaluate(Message{Text: text, At: base.Add(time.Duration(i) * time.Minute)}, rules)
		if again.Reminder != res.Reminder {
			t.Errorf("same At, different reminders: %q, %q", res.Reminder, again.Reminder)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("over %d minutes saw %d of %d reminders: %v", len(want), len(seen), len(want), seen)
	}
}

func TestEscalated(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"I WANT MY MONEY BACK NOW", true},
		{"where is my order???", true},
		{"this is the worst service ever!!!", true},
		{"Let me speak to your manager.", true},
		{"can I talk to a supervisor please", true},
		{"I'm going to cancel my subscription.", true},
		{"I'll dispute the charge with my bank", true},
		{"I'm going to leave a 1 star review", true},
		{"my lawyer will be in touch", true},
		{"This is ridiculous.", true},
		{"honestly this is unacceptable", true},
		{"Thanks, that worked!", false},
		{"hi, my order hasn't arrived yet, can you check?", false},
		{"I think I was charged twice", false},
		{"ok, I'll try restarting it", false},
		{"Can I cancel the second item in my cart only?", false},
		{"", false},
	}
	rules := DefaultRules()
	for _, tt := range tests {
		if got := Escalated(tt.give, rules); got != tt.want {
			t.Errorf("Escalated(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestLoadRules(t *testing.T) {
	file := `
# a user's rules
@you += yall
rule custom.banana spar 0.9
  match banana (split|bread)
  unless banana bread recipe
off repeat.as-i-said-again
off repeat.count
`
	rules, err := LoadRules(strings.NewReader(file), "team.rules")
	if err != nil {
		t.Fatal(err)
	}
	hit := func(text, id string) bool {
		for _, h := range Evaluate(Message{Text: text}, rules).Hits {
			if h.RuleID == id {
				return true
			}
		}
		return false
	}
	if !hit("Have a banana split.", "custom.banana") {
		t.Errorf("added rule custom.banana did not match")
	}
	if hit("Here's the banana bread recipe.", "custom.banana") {
		t.Errorf("custom.banana matched despite its exception")
	}
	if hit("As I said twice already, no.", "repeat.as-i-said-again") {
		t.Errorf("repeat.as-i-said-again was switched off but matched")
	}
	if !hit("As I said twice already, no.", "repeat.as-i-said") {
		t.Errorf("repeat.as-i-said should still be on")
	}
	// The built-in rulebook is untouched.
	if !hit2(DefaultRules(), "As I said twice already, no.", "repeat.as-i-said-again") {
		t.Errorf("DefaultRules lost repeat.as-i-said-again")
	}
}

func hit2(rules *Rules, text, id string) bool {
	for _, h := range Evaluate(Message{Text: text}, rules).Hits {
		if h.RuleID == id {
			return true
		}
	}
	return false
}

func TestLoadRulesErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want []string // all must appear in the error
	}{
		{"unknown family", "rule x.y nofam 0.5\n  match foo", []string{"team.rules:1", "x.y", "unknown family"}},
		{"missing pattern", "rule x.y spar 0.5\n", []string{"team.rules:1", "x.y", "missing pattern"}},
		{"empty match", "rule x.y spar 0.5\n  match", []string{"team.rules:2", "x.y", "empty match"}},
		{"bad weight", "rule x.y spar 1.5\n  match foo", []string{"team.rules:1", "x.y", "bad weight"}},
		{"weight not a number", "rule x.y spar lots\n  match foo", []string{"team.rules:1", "bad weight"}},
		{"zero weight", "rule x.y spar 0\n  match foo", []string{"bad weight"}},
		{"unknown class", "rule x.y spar 0.5\n  match @nosuch thing", []string{"team.rules:2", "x.y", "unknown class @nosuch"}},
		{"duplicate id", "rule spar.jab spar 0.5\n  match foo", []string{"team.rules:1", "spar.jab", "duplicate rule id"}},
		{"duplicate id in file", "rule a.b spar 0.5\n  match foo\nrule a.b spar 0.5\n  match bar", []string{"team.rules:3", "duplicate"}},
		{"off unknown id", "off no.such.rule", []string{"team.rules:1", "no.such.rule", "unknown rule"}},
		{"match outside rule", "match foo", []string{"team.rules:1", "outside a rule"}},
		{"unknown directive", "rule a.b spar 0.5\n  matches foo", []string{"team.rules:2", "unknown directive"}},
		{"unbalanced group", "rule a.b spar 0.5\n  match (foo bar", []string{"team.rules:2", "a.b", "missing )"}},
		{"empty alternative", "rule a.b spar 0.5\n  match (foo|bar?) baz", []string{"a.b", "can match nothing"}},
		{"leading gap", "rule a.b spar 0.5\n  match * foo", []string{"a.b", "can't start with a gap"}},
		{"bad gap", "rule a.b spar 0.5\n  match foo *20 bar", []string{"a.b", "bad gap"}},
		{"two words in an atom", "rule a.b spar 0.5\n  match non-refundable", []string{"a.b", "not one word"}},
		{"class without words", "@empty = ", []string{"team.rules:1", "no words"}},
		{"class redefined", "@you = thou", []string{"team.rules:1", "already defined"}},
		{"extend unknown class", "@nosuch += a", []string{"team.rules:1", "unknown class"}},
		{"class of unknown class", "@mine = a, @nosuch\nrule a.b spar 0.5\n  match @mine", []string{"team.rules:1", "@nosuch"}},
		{"unknown signal", "rule a.b spar 0.5\n  signal telepathy\n  match foo", []string{"team.rules:2", "unknown signal"}},
		{"bad rule line", "rule a.b spar", []string{"team.rules:1", "rule ID FAMILY WEIGHT"}},
		{"remind unknown family", "remind nofam Be nice.", []string{"team.rules:1", "unknown family"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadRules(strings.NewReader(tt.give), "team.rules")
			if err == nil {
				t.Fatalf("LoadRules(%q) = nil error, want one mentioning %q", tt.give, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("LoadRules(%q) = %q, want it to mention %q", tt.give, err, w)
				}
			}
		})
	}
}

func TestEvaluateConcurrent(t *testing.T) {
	rules := DefaultRules()
	texts := []string{"As I already explained, no.", "Thanks!", "You're wrong.", "Rules are rules."}
	want := make([]Result, len(texts))
	for i, s := range texts {
		want[i] = Evaluate(Message{Text: s}, rules)
	}
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- true }()
			for k := 0; k < 200; k++ {
				i := k % len(texts)
				got := Evaluate(Message{Text: texts[i]}, rules)
				if got.Score != want[i].Score || len(got.Hits) != len(want[i].Hits) {
					t.Errorf("concurrent Evaluate(%q) = %v, want %v", texts[i], got, want[i])
					return
				}
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}

func TestOpeners(t *testing.T) {
	// An anchored rule also starts after openers and commas.
	file := "@opener += ahem\nrule t.start spar 0.9\n  match ^ banana split\n"
	rules, err := LoadRules(strings.NewReader(file), "t.rules")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		give string
		want bool
	}{
		{"Banana split.", true},
		{"Honestly, banana split.", true},
		{"Ok so, well, banana split!", true},
		{"Ahem, banana split.", true}, // an opener added by a user's file
		{"I want a banana split.", false},
	}
	for _, tt := range tests {
		if got := hit2(rules, tt.give, "t.start"); got != tt.want {
			t.Errorf("t.start on %q = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestEchoStems(t *testing.T) {
	file := "rule t.echo contradict 0.9\n  signal echo-near\n  match (not|didn't|did not) *2\n"
	rules, err := LoadRules(strings.NewReader(file), "t.rules")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text, ctx string
		want      bool
	}{
		{"It did not bounce.", "my deposit bounced", true},
		{"The speeds are not dropping.", "speeds keep dropping", true},
		{"It did not bounce.", "did my deposit bounce?", false}, // a question claims nothing
		{"It did not arrive late.", "my deposit bounced", false},
	}
	for _, tt := range tests {
		var got bool
		for _, h := range Evaluate(Message{Text: tt.text, Context: tt.ctx}, rules).Hits {
			got = got || h.RuleID == "t.echo"
		}
		if got != tt.want {
			t.Errorf("t.echo on %q after %q = %v, want %v", tt.text, tt.ctx, got, tt.want)
		}
	}
}

func TestSecondHit(t *testing.T) {
	// Two different cues of one rule count twice; the same cue, or an
	// overlapping one, counts once.
	file := "rule t.two defend 0.5\n  match rock solid\n  match never fails\n  match rock solid and\n"
	rules, err := LoadRules(strings.NewReader(file), "t.rules")
	if err != nil {
		t.Fatal(err)
	}
	count := func(text string) int {
		n := 0
		for _, h := range Evaluate(Message{Text: text}, rules).Hits {
			if h.RuleID == "t.two" {
				n++
			}
		}
		return n
	}
	tests := []struct {
		give string
		want int
	}{
		{"It is rock solid.", 1},
		{"It is rock solid. It never fails.", 2},
		{"Rock solid, rock solid, rock solid.", 1}, // the same pattern again
		{"It is rock solid and fine.", 1},          // overlapping spans
	}
	for _, tt := range tests {
		if got := count(tt.give); got != tt.want {
			t.Errorf("hits of t.two on %q = %d, want %d", tt.give, got, tt.want)
		}
	}
	res := Evaluate(Message{Text: "It is rock solid. It never fails."}, rules)
	if want := 1 - 0.5*0.5; res.Score < want-1e-9 {
		t.Errorf("two cues at 0.5: score %v, want at least %v", res.Score, want)
	}
}

// TestTwinPatterns checks that patterns sharing a text (run once per token
// for all of them) still each do their part, whichever rule or sentence.
func TestTwinPatterns(t *testing.T) {
	file := `rule t.one spar 0.5
  match banana split
  unless banana split please
rule t.two spar 0.5
  match banana split
  unless banana split please
rule t.three spar 0.5
  match banana split
  unless ^ banana split please
`
	rules, err := LoadRules(strings.NewReader(file), "t.rules")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		give string
		want []string
	}{
		{give: "A banana split.", want: []string{"t.one", "t.two", "t.three"}},
		{give: "Banana split please.", want: nil},
		{give: "A banana split please.", want: []string{"t.three"}},
		{give: "A banana split. Banana split please.", want: nil},
		{give: "Banana split please. A banana split.", want: nil},
		{give: "A banana. Split please.", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			var got []string
			for _, h := range Evaluate(Message{Text: tt.give}, rules).Hits {
				if strings.HasPrefix(h.RuleID, "t.") {
					got = append(got, h.RuleID)
				}
			}
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("Evaluate(%q) hits %v, want %v", tt.give, got, want)
			}
		})
	}
}
