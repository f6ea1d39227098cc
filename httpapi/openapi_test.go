package httpapi_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/coditect/coditect-license/docs/api"
	"github.com/coditect/coditect-license/httpapi"
)

// publicPaths are the routes that take no credentials.
var publicPaths = map[string]bool{
	"/healthz":               true,
	"/readyz":                true,
	"/.well-known/jwks.json": true,
	"/api/v1/openapi.json":   true,
	"/metrics":               true,
	"/oauth/token":           true,
}

// operation is one path and method of the OpenAPI document.
type operation struct {
	path, method string
	body         map[string]any
}

// documentOperations returns every operation in the OpenAPI document, keyed
// "METHOD /path".
func documentOperations(t *testing.T) map[string]operation {
	t.Helper()
	b, err := api.JSON()
	if err != nil {
		t.Fatalf("api.JSON() error: %v", err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("decode OpenAPI document: %v", err)
	}
	methods := map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true}
	ops := map[string]operation{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			if !methods[method] {
				continue // parameters, summary, servers...
			}
			var body map[string]any
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("decode %s %s: %v", strings.ToUpper(method), path, err)
			}
			op := operation{path: path, method: strings.ToUpper(method), body: body}
			ops[op.method+" "+path] = op
		}
	}
	return ops
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	paths, err := api.Operations()
	if err != nil {
		t.Fatalf("api.Operations() error: %v", err)
	}
	ops := map[string]bool{}
	for path, methods := range paths {
		for _, m := range methods {
			ops[m+" "+path] = true
		}
	}
	routes := map[string]bool{}
	for _, rt := range httpapi.Routes() {
		routes[rt.Method+" "+rt.Pattern] = true
	}

	t.Run("every route is documented", func(t *testing.T) {
		t.Parallel()
		for _, key := range sortedKeys(routes) {
			if !ops[key] {
				t.Errorf("route %s: got no operation in docs/api/openapi.yaml, want one", key)
			}
		}
	})

	t.Run("every documented operation is routed", func(t *testing.T) {
		t.Parallel()
		for _, key := range sortedKeys(ops) {
			if !routes[key] {
				t.Errorf("operation %s in docs/api/openapi.yaml: got no route in httpapi.Routes(), want one", key)
			}
		}
	})
}

func TestOpenAPIOperations(t *testing.T) {
	t.Parallel()
	ops := documentOperations(t)

	t.Run("every operation has a unique operationId", func(t *testing.T) {
		t.Parallel()
		seen := map[string]string{}
		for _, key := range sortedKeys(ops) {
			id, _ := ops[key].body["operationId"].(string)
			if id == "" {
				t.Errorf("%s: got no operationId, want one", key)
				continue
			}
			if prev, dup := seen[id]; dup {
				t.Errorf("%s: operationId %q already used by %s, want unique", key, id, prev)
			}
			seen[id] = key
		}
	})

	t.Run("every operation has a response", func(t *testing.T) {
		t.Parallel()
		for _, key := range sortedKeys(ops) {
			responses, _ := ops[key].body["responses"].(map[string]any)
			if len(responses) == 0 {
				t.Errorf("%s: got 0 responses, want at least 1", key)
			}
		}
	})

	t.Run("every non-public operation declares security", func(t *testing.T) {
		t.Parallel()
		for _, key := range sortedKeys(ops) {
			op := ops[key]
			if publicPaths[op.path] {
				continue
			}
			security, ok := op.body["security"].([]any)
			if !ok || len(security) == 0 {
				t.Errorf("%s: got security %v, want at least one requirement", key, op.body["security"])
			}
		}
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
