package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/webhook"
)

func TestSignAndVerify(t *testing.T) {
	t.Parallel()
	secret := []byte("whsec_test")
	body := []byte(`{"type":"license.created","data":{"id":"x"}}`)
	at := time.Unix(1_800_000_000, 0)
	header := webhook.Sign(secret, at, body)

	t.Run("the documented recipe gives the same signature", func(t *testing.T) {
		t.Parallel()
		h := hmac.New(sha256.New, secret)
		fmt.Fprintf(h, "%d.%s", at.Unix(), body)
		want := fmt.Sprintf("t=%d,v1=%s", at.Unix(), hex.EncodeToString(h.Sum(nil)))
		if header != want {
			t.Fatalf("got %s, want %s", header, want)
		}
	})

	cases := []struct {
		name   string
		secret []byte
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid within the window", secret, header, body, at.Add(4 * time.Minute), nil},
		{"tampered body", secret, header, []byte(`{"type":"license.deleted"}`), at, webhook.ErrBadSignature},
		{"wrong secret", []byte("other"), header, body, at, webhook.ErrBadSignature},
		{"replayed after the window", secret, header, body, at.Add(6 * time.Minute), webhook.ErrStaleSignature},
		{"timestamp from the future", secret, header, body, at.Add(-6 * time.Minute), webhook.ErrStaleSignature},
		{"timestamp changed to look fresh", secret, "t=1800000600," + header[strings.Index(header, "v1="):], body, at.Add(10 * time.Minute), webhook.ErrBadSignature},
		{"garbage", secret, "nonsense", body, at, webhook.ErrMalformedSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := webhook.Verify(c.secret, c.header, c.body, c.now, webhook.DefaultTolerance); !errors.Is(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://93.184.215.14/hook", false, true},
		{"http://93.184.215.14:8080/hook", false, true},
		{"ftp://93.184.215.14/hook", false, false},
		{"/relative", false, false},
		{"https://user:pw@93.184.215.14/", false, false},
		{"http://127.0.0.1:9000/hook", false, false},
		{"http://[::1]/hook", false, false},
		{"http://10.1.2.3/hook", false, false},
		{"http://192.168.1.1/hook", false, false},
		{"http://169.254.169.254/latest/meta-data", false, false},
		{"http://localhost:9000/", false, false},
		{"http://127.0.0.1:9000/hook", true, true},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s allowPrivate=%v", c.url, c.allowPrivate), func(t *testing.T) {
			t.Parallel()
			err := webhook.CheckURL(t.Context(), c.url, c.allowPrivate)
			if c.ok && err != nil {
				t.Fatalf("got %v, want accepted", err)
			}
			if !c.ok && !coditect.IsCode(err, coditect.CodeInvalidRequest) {
				t.Fatalf("got %v, want invalid_request", err)
			}
		})
	}
}

func TestClientRefusesPrivateTargets(t *testing.T) {
	t.Parallel()
	_, err := webhook.Client(time.Second, false).Get("http://127.0.0.1:1/")
	if err == nil {
		t.Fatal("got a response from loopback, want the dial refused")
	}
}
