package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	coditect "github.com/coditect/coditect-license"
)

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeJSON reads one JSON object from the request body into v. strict
// refuses unknown fields (admin API); the client API stays lenient so that
// newer SDKs keep working against older servers.
func decodeJSON(r *http.Request, v any, strict bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return coditect.Errorf(coditect.CodeUnsupportedMediaType, "The request body must be application/json, not %q.", ct)
		}
	}
	dec := json.NewDecoder(r.Body)
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return decodeError(err)
		}
		return coditect.Errorf(coditect.CodeInvalidRequest, "The request body must hold exactly one JSON object.")
	}
	return nil
}

func decodeError(err error) error {
	var (
		syntax   *json.SyntaxError
		typeErr  *json.UnmarshalTypeError
		maxBytes *http.MaxBytesError
	)
	switch {
	case errors.As(err, &maxBytes):
		return coditect.Errorf(coditect.CodePayloadTooLarge, "The request body is larger than %d bytes.", maxBytes.Limit)
	case errors.Is(err, io.EOF):
		return coditect.Errorf(coditect.CodeInvalidRequest, "The request body is empty; send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return coditect.Errorf(coditect.CodeInvalidRequest, "The request body is truncated JSON.")
	case errors.As(err, &syntax):
		return coditect.Errorf(coditect.CodeInvalidRequest, "The request body is malformed JSON at byte %d.", syntax.Offset)
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return coditect.Errorf(coditect.CodeInvalidRequest, "The request body must be a JSON object.")
		}
		return coditect.Errorf(coditect.CodeInvalidRequest, "%s must be a %s.", typeErr.Field, jsonKind(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return coditect.Errorf(coditect.CodeInvalidRequest, "Unknown field %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return coditect.Errorf(coditect.CodeInvalidRequest, "The request body is not valid JSON: %v.", err)
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "int", "int64", "int32", "uint", "float64":
		return "number"
	case "bool":
		return "boolean"
	case "slice":
		return "array"
	case "map", "struct", "ptr":
		return "object"
	}
	return fmt.Sprintf("value of another type (%s)", goKind)
}
