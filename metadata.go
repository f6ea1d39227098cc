package coditect

import "encoding/json"

// CheckMetadata checks that m encodes to at most MaxMetadataBytes of JSON.
func CheckMetadata(m map[string]any) error {
	b, err := json.Marshal(m)
	if err != nil {
		return Errorf(CodeInvalidRequest, "metadata must be a JSON object.")
	}
	if len(b) > MaxMetadataBytes {
		return Errorf(CodeInvalidRequest, "metadata must be at most %d bytes of JSON.", MaxMetadataBytes)
	}
	return nil
}
