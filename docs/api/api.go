// Package api embeds the OpenAPI document of the HTTP API (ARCHITECTURE §5),
// which lives in this directory as openapi.yaml, and converts it to the JSON
// the server publishes at /api/v1/openapi.json.
package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// YAML is the OpenAPI 3.1 document, as written in openapi.yaml.
//
//go:embed openapi.yaml
var YAML []byte

// httpMethods are the operation keys of an OpenAPI path item.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// JSON returns the document converted to JSON.
func JSON() ([]byte, error) {
	doc, err := decode()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode openapi document: %w", err)
	}
	return b, nil
}

// Operations returns the document's operations: each path template mapped
// to its upper-case methods, sorted.
func Operations() (map[string][]string, error) {
	doc, err := decode()
	if err != nil {
		return nil, err
	}
	paths, ok := doc.(map[string]any)["paths"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("openapi document has no paths object")
	}
	ops := make(map[string][]string, len(paths))
	for path, item := range paths {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("openapi path %s is not an object", path)
		}
		methods := []string{}
		for _, method := range httpMethods {
			if _, ok := m[method]; ok {
				methods = append(methods, strings.ToUpper(method))
			}
		}
		sort.Strings(methods)
		ops[path] = methods
	}
	return ops, nil
}

// decode parses the document into JSON-compatible values.
func decode() (any, error) {
	var doc any
	if err := yaml.Unmarshal(YAML, &doc); err != nil {
		return nil, fmt.Errorf("parse openapi.yaml: %w", err)
	}
	doc = jsonValue(doc)
	if _, ok := doc.(map[string]any); !ok {
		return nil, fmt.Errorf("parse openapi.yaml: the document is not a mapping")
	}
	return doc, nil
}

// jsonValue converts what the YAML decoder returns into values that
// encoding/json can encode: mappings with non-string keys become
// map[string]any, recursively.
func jsonValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = jsonValue(e)
		}
		return v
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			// YAML allows keys such as 200 or true; JSON needs strings.
			out[fmt.Sprint(k)] = jsonValue(e)
		}
		return out
	case []any:
		for i, e := range v {
			v[i] = jsonValue(e)
		}
		return v
	default:
		return v
	}
}
