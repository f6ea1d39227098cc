package seat

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeClaims checks the direct reading of a token's payload against
// encoding/json: whatever it accepts, encoding/json decodes to the same
// claims; whatever it leaves, decodeClaims still decodes as encoding/json
// does.
func FuzzDecodeClaims(f *testing.F) {
	for _, c := range []SessionClaims{
		{TenantID: "0190c0de-0000-7000-8000-000000000001", LicenseID: "0190c0de-0000-7000-8000-000000000002", SessionID: "0190c0de-0000-7000-8000-000000000003", LeaseTTLSeconds: 360, HeartbeatIntervalSeconds: 120},
		{TenantID: "t", LicenseID: "l<&>", SessionID: "s\"\\é", LeaseTTLSeconds: 1, HeartbeatIntervalSeconds: 0},
	} {
		p, _ := json.Marshal(c)
		f.Add(p)
	}
	f.Add([]byte(`{"t":"a","l":"b","s":"c","ttl":01,"hb":2}`))
	f.Add([]byte(`{"t":"a","l":"b","s":"c","ttl":-1,"hb":2}`))
	f.Add([]byte(`{"t":"a","l":"b","s":"c","ttl":1234567890,"hb":2}`))
	f.Add([]byte(`{"T":"a","l":"b","s":"c","ttl":1,"hb":2} `))
	f.Fuzz(func(t *testing.T, p []byte) {
		var want SessionClaims
		wantErr := json.Unmarshal(p, &want)
		if c, ok := decodeCanonical(p); ok {
			if wantErr != nil {
				t.Fatalf("%q: read directly as %+v, but encoding/json refuses it: %v", p, c, wantErr)
			}
			if c != want {
				t.Fatalf("%q: read directly as %+v, encoding/json reads %+v", p, c, want)
			}
		}
		got, err := decodeClaims(p)
		if (err != nil) != (wantErr != nil) || (err == nil && got != want) {
			t.Fatalf("%q: decodeClaims gives %+v, %v; encoding/json %+v, %v", p, got, err, want, wantErr)
		}
	})
}

// Sign's own payloads take the direct path.
func TestSignedPayloadIsReadDirectly(t *testing.T) {
	c := SessionClaims{TenantID: "0190c0de-0000-7000-8000-000000000001", LicenseID: "0190c0de-0000-7000-8000-000000000002", SessionID: "0190c0de-0000-7000-8000-000000000003", LeaseTTLSeconds: 360, HeartbeatIntervalSeconds: 120}
	p, _ := json.Marshal(c)
	got, ok := decodeCanonical(p)
	if !ok || got != c {
		t.Fatalf("decodeCanonical(%s): got %+v, %v; want %+v, true", p, got, ok, c)
	}
}
