package deploy

import (
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/nudgebot/nudgebot/internal/app"
)

// decodeAll parses every YAML document in a file.
func decodeAll(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
	if len(docs) == 0 {
		t.Fatalf("%s: no YAML documents", path)
	}
	return docs
}

// dig walks nested maps and lists: dig(doc, "spec", "template", 0).
func dig(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("dig %v: %v is not a map", path, p)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("dig %v: no item %d", path, k)
			}
			v = l[k]
		}
	}
	return v
}

func strs(t *testing.T, v any) []string {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("%v is not a list", v)
	}
	var out []string
	for _, x := range l {
		out = append(out, x.(string))
	}
	sort.Strings(out)
	return out
}

// configVars are the environment variables app.Config reads.
func configVars(t *testing.T) map[string]bool {
	t.Helper()
	vars := map[string]bool{}
	typ := reflect.TypeOf(app.Config{})
	for i := range typ.NumField() {
		if name := typ.Field(i).Tag.Get("envconfig"); name != "" {
			vars[name] = true
		}
	}
	if len(vars) == 0 {
		t.Fatal("app.Config has no envconfig tags")
	}
	return vars
}

// The methods of slack-go's client the bot may call, with the Slack Web API
// method each is and the bot scopes that method needs.
var slackMethods = map[string]struct {
	api    string
	scopes []string
}{
	"AuthTest":               {"auth.test", nil},
	"PostEphemeral":          {"chat.postEphemeral", []string{"chat:write"}},
	"PostMessage":            {"chat.postMessage", []string{"chat:write"}},
	"UpdateMessage":          {"chat.update", []string{"chat:write"}},
	"GetUserInfo":            {"users.info", []string{"users:read"}},
	"GetUsersInfo":           {"users.info", []string{"users:read"}},
	"GetConversationInfo":    {"conversations.info", []string{"channels:read", "groups:read"}},
	"PublishView":            {"views.publish", nil},
	"OpenView":               {"views.open", nil},
	"GetConversationHistory": {"conversations.history", []string{"channels:history", "groups:history"}},
	"GetConversationReplies": {"conversations.replies", []string{"channels:history", "groups:history"}},
	"JoinConversation":       {"conversations.join", []string{"channels:join"}},
	"AddReaction":            {"reactions.add", []string{"reactions:write"}},
}

// The Events API types the bot handles, with the subscriptions and scopes
// each needs. The bot watches public and private channels alike.
var slackEvents = map[string]struct {
	events []string
	scopes []string
}{
	"MessageEvent":             {[]string{"message.channels", "message.groups"}, []string{"channels:history", "groups:history"}},
	"MemberJoinedChannelEvent": {[]string{"member_joined_channel"}, []string{"channels:read", "groups:read"}},
	"AppHomeOpenedEvent":       {[]string{"app_home_opened"}, nil},
	"AppMentionEvent":          {[]string{"app_mention"}, []string{"app_mentions:read"}},
}

// codeUses scans the bot's non-test Go source for slack-go client calls,
// handled event types and slash commands.
func codeUses(t *testing.T) (methods, events map[string]bool, slash bool) {
	t.Helper()
	methods, events = map[string]bool{}, map[string]bool{}
	fset := token.NewFileSet()
	for _, dir := range []string{"../internal/slackbot", "../internal/app"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
						name := strings.TrimSuffix(sel.Sel.Name, "Context")
						if _, ok := slackMethods[name]; ok {
							methods[name] = true
						}
					}
				case *ast.SelectorExpr:
					if x, ok := n.X.(*ast.Ident); ok {
						if x.Name == "slackevents" {
							if _, ok := slackEvents[n.Sel.Name]; ok {
								events[n.Sel.Name] = true
							}
						}
						if (x.Name == "slack" && n.Sel.Name == "SlashCommand") ||
							(x.Name == "socketmode" && n.Sel.Name == "EventTypeSlashCommand") {
							slash = true
						}
					}
				}
				return true
			})
		}
	}
	if len(methods) == 0 {
		t.Fatal("found no slack-go calls in internal/slackbot or internal/app: is the scan broken?")
	}
	return methods, events, slash
}

func TestManifestMatchesCode(t *testing.T) {
	doc := decodeAll(t, "slack-app-manifest.yaml")[0]
	methods, events, slash := codeUses(t)

	wantScopes := map[string]bool{}
	var wantEvents []string
	for m := range methods {
		for _, s := range slackMethods[m].scopes {
			wantScopes[s] = true
		}
	}
	for e := range events {
		wantEvents = append(wantEvents, slackEvents[e].events...)
		for _, s := range slackEvents[e].scopes {
			wantScopes[s] = true
		}
	}
	if slash {
		wantScopes["commands"] = true
	}
	want := make([]string, 0, len(wantScopes))
	for s := range wantScopes {
		want = append(want, s)
	}
	sort.Strings(want)
	sort.Strings(wantEvents)

	if got := strs(t, dig(t, doc, "oauth_config", "scopes", "bot")); !slices.Equal(got, want) {
		t.Errorf("manifest bot scopes = %v\nthe code needs exactly %v\n(methods %v, events %v)", got, want, keys(methods), keys(events))
	}
	if got := strs(t, dig(t, doc, "settings", "event_subscriptions", "bot_events")); !slices.Equal(got, wantEvents) {
		t.Errorf("manifest bot_events = %v, the code handles %v", got, wantEvents)
	}
	if got := dig(t, doc, "settings", "socket_mode_enabled"); got != true {
		t.Errorf("socket_mode_enabled = %v, want true", got)
	}
	if got := dig(t, doc, "settings", "interactivity", "is_enabled"); got != true {
		t.Errorf("interactivity.is_enabled = %v, want true (the nudge buttons)", got)
	}
	if got := dig(t, doc, "features", "app_home", "home_tab_enabled"); got != true {
		t.Errorf("app_home.home_tab_enabled = %v, want true", got)
	}
	if slash {
		if got := dig(t, doc, "features", "slash_commands", 0, "command"); got != "/nudge" {
			t.Errorf("slash command = %v, want /nudge", got)
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestKubernetes(t *testing.T) {
	vars := configVars(t)
	kinds := map[string]map[string]any{}
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no kubernetes files: %v", err)
	}
	for _, f := range files {
		for _, doc := range decodeAll(t, f) {
			kind, _ := doc["kind"].(string)
			if kind == "" || doc["apiVersion"] == nil {
				t.Errorf("%s: a document without kind/apiVersion", f)
			}
			kinds[kind] = doc
		}
	}
	dep, svc, sec := kinds["Deployment"], kinds["Service"], kinds["Secret"]
	if dep == nil || svc == nil || sec == nil {
		t.Fatalf("want a Deployment, a Service and a Secret, have %v", keys(boolKeys(kinds)))
	}
	if got := dig(t, dep, "spec", "replicas"); got != 2 {
		t.Errorf("replicas = %v, want 2", got)
	}
	c := dig(t, dep, "spec", "template", "spec", "containers", 0)
	if got := dig(t, c, "livenessProbe", "httpGet", "path"); got != "/healthz" {
		t.Errorf("liveness probe path = %v, want /healthz", got)
	}
	if got := dig(t, c, "readinessProbe", "httpGet", "path"); got != "/readyz" {
		t.Errorf("readiness probe path = %v, want /readyz", got)
	}
	if dig(t, c, "resources", "requests") == nil {
		t.Error("no resource requests")
	}
	port := dig(t, c, "ports", 0, "containerPort")
	if port != 8080 {
		t.Errorf("containerPort = %v, want 8080 (NUDGE_HTTP_ADDR's default :8080)", port)
	}
	secretKeys := dig(t, sec, "stringData").(map[string]any)
	for _, e := range dig(t, c, "env").([]any) {
		name := dig(t, e, "name").(string)
		if !vars[name] {
			t.Errorf("container env %s is not a variable nudgebot reads", name)
		}
		if ref, ok := e.(map[string]any)["valueFrom"]; ok {
			key := dig(t, ref, "secretKeyRef", "key").(string)
			if _, ok := secretKeys[key]; !ok {
				t.Errorf("env %s refers to secret key %s, which the Secret lacks", name, key)
			}
		}
		if name == "NUDGE_HTTP_ADDR" && dig(t, e, "value") != ":8080" {
			t.Errorf("NUDGE_HTTP_ADDR = %v, but the probes use port 8080", dig(t, e, "value"))
		}
	}
	for _, name := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"} {
		if _, ok := secretKeys[name]; !ok {
			t.Errorf("the Secret lacks %s", name)
		}
	}
	ann := dig(t, dep, "spec", "template", "metadata", "annotations").(map[string]any)
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/path"] != "/metrics" || ann["prometheus.io/port"] != "8080" {
		t.Errorf("pod scrape annotations = %v", ann)
	}
	if got := dig(t, svc, "spec", "ports", 0, "port"); got != 8080 {
		t.Errorf("service port = %v, want 8080", got)
	}
	sel := dig(t, svc, "spec", "selector").(map[string]any)
	labels := dig(t, dep, "spec", "template", "metadata", "labels").(map[string]any)
	for k, v := range sel {
		if labels[k] != v {
			t.Errorf("service selector %s=%v does not match the pod labels %v", k, v, labels)
		}
	}
}

func boolKeys[V any](m map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

func TestCompose(t *testing.T) {
	vars := configVars(t)
	doc := decodeAll(t, "compose.yaml")[0]
	bot := dig(t, doc, "services", "nudgebot")
	env := dig(t, bot, "environment").(map[string]any)
	for name := range env {
		if !vars[name] {
			t.Errorf("compose sets %s, which nudgebot does not read", name)
		}
	}
	for _, name := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "NUDGE_STORE"} {
		if _, ok := env[name]; !ok {
			t.Errorf("compose does not set %s", name)
		}
	}
	if s, _ := env["NUDGE_STORE"].(string); !strings.HasPrefix(s, "postgres://") {
		t.Errorf("compose NUDGE_STORE = %q, want a postgres:// URL", s)
	}
	if dig(t, doc, "services", "postgres") == nil {
		t.Error("compose has no postgres service")
	}
}

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(data)
	for _, want := range []string{"CGO_ENABLED=0", "USER 65532", "HEALTHCHECK", `CMD ["run"]`, "EXPOSE 8080"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if strings.Count(df, "\nFROM ") < 1 || strings.Count(df, "FROM ") < 2 {
		t.Error("Dockerfile is not multi-stage")
	}
}
