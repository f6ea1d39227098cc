package api_test

import (
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/coditect/coditect-license/docs/api"
)

// document returns the OpenAPI document decoded from api.JSON.
func document(t *testing.T) map[string]any {
	t.Helper()
	b, err := api.JSON()
	if err != nil {
		t.Fatalf("JSON() error: %v", err)
	}
	if !json.Valid(b) {
		t.Fatalf("JSON() returned invalid JSON")
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("decode JSON(): %v", err)
	}
	return doc
}

func TestJSON(t *testing.T) {
	t.Parallel()
	doc := document(t)

	t.Run("is OpenAPI 3.1", func(t *testing.T) {
		t.Parallel()
		got, _ := doc["openapi"].(string)
		if !strings.HasPrefix(got, "3.1.") {
			t.Errorf("openapi = %q, want 3.1.x", got)
		}
	})

	t.Run("has title and version", func(t *testing.T) {
		t.Parallel()
		info, _ := doc["info"].(map[string]any)
		if got, want := info["title"], "CODITECT License Platform API"; got != want {
			t.Errorf("info.title = %v, want %q", got, want)
		}
		if got, want := info["version"], "1.0.0"; got != want {
			t.Errorf("info.version = %v, want %q", got, want)
		}
	})

	t.Run("every ref resolves", func(t *testing.T) {
		t.Parallel()
		walk(doc, "#", func(at string, v map[string]any) {
			ref, ok := v["$ref"].(string)
			if !ok {
				return
			}
			if !strings.HasPrefix(ref, "#/components/") {
				t.Errorf("%s: $ref %q, want a local #/components/ reference", at, ref)
				return
			}
			if _, ok := resolve(doc, ref); !ok {
				t.Errorf("%s: $ref %q resolves to nothing", at, ref)
			}
		})
	})

	t.Run("every path parameter is declared", func(t *testing.T) {
		t.Parallel()
		paths, _ := doc["paths"].(map[string]any)
		for path, item := range paths {
			ops, _ := item.(map[string]any)
			for method, op := range ops {
				o, ok := op.(map[string]any)
				if !ok {
					continue
				}
				got := pathParams(t, doc, o)
				want := templateParams(path)
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("%s %s: path parameters %v, want %v", strings.ToUpper(method), path, got, want)
				}
			}
		}
	})
}

func TestOperations(t *testing.T) {
	t.Parallel()
	ops, err := api.Operations()
	if err != nil {
		t.Fatalf("Operations() error: %v", err)
	}
	got, want := ops["/api/v1/sessions"], []string{"GET", "POST"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Operations()[/api/v1/sessions] = %v, want %v", got, want)
	}
}

// walk calls fn for every object in v, with its JSON pointer.
func walk(v any, at string, fn func(at string, obj map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		fn(at, v)
		for k, e := range v {
			walk(e, at+"/"+escape(k), fn)
		}
	case []any:
		for i, e := range v {
			walk(e, at+"/"+strconv.Itoa(i), fn)
		}
	}
}

func escape(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// resolve follows a local JSON pointer reference ("#/a/b") in doc.
func resolve(doc map[string]any, ref string) (any, bool) {
	var cur any = doc
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// pathParams returns the sorted names of an operation's path parameters,
// following references.
func pathParams(t *testing.T, doc map[string]any, op map[string]any) []string {
	t.Helper()
	params, _ := op["parameters"].([]any)
	names := []string{}
	for _, p := range params {
		pm, _ := p.(map[string]any)
		if ref, ok := pm["$ref"].(string); ok {
			r, _ := resolve(doc, ref)
			pm, _ = r.(map[string]any)
		}
		if pm["in"] == "path" {
			names = append(names, pm["name"].(string))
		}
	}
	sort.Strings(names)
	return names
}

var templateParam = regexp.MustCompile(`\{([^}]+)\}`)

// templateParams returns the sorted parameter names of a path template.
func templateParams(path string) []string {
	names := []string{}
	for _, m := range templateParam.FindAllStringSubmatch(path, -1) {
		names = append(names, m[1])
	}
	sort.Strings(names)
	return names
}
