package soap

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/connectortest"
)

func TestSOAP12HeadersAndFaults(t *testing.T) {
	var ct, action string
	var body []byte
	answer := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct, action = r.Header.Get("Content-Type"), r.Header.Get("SOAPAction")
		body, _ = io.ReadAll(r.Body)
		w.WriteHeader(500)
		_, _ = io.WriteString(w, `<?xml version="1.0"?><env:Envelope xmlns:env="`+NS12+`"><env:Body><env:Fault><env:Code><env:Value>`+answer+`</env:Value><env:Subcode><env:Value>x:Busy</env:Value></env:Subcode></env:Code><env:Reason><env:Text xml:lang="zh">忙</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>`)
	}))
	defer srv.Close()
	c, err := New("d", Config{URL: srv.URL, Version: V12, Action: "urn:a#Deliver"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	answer = "env:Sender"
	_, err = c.Deliver(t.Context(), connectortest.Delivery("k&<1"))
	if !connectors.IsPermanent(err) || !strings.Contains(err.Error(), "忙") {
		t.Fatalf("Sender fault: %v", err)
	}
	if !strings.HasPrefix(ct, "application/soap+xml") || !strings.Contains(ct, `action="urn:a#Deliver"`) || action != "" {
		t.Errorf("1.2 headers: content-type %q soapaction %q", ct, action)
	}
	if !strings.Contains(string(body), "k&amp;&lt;1") || !strings.Contains(string(body), NS12) {
		t.Errorf("envelope not escaped or wrong namespace: %s", body)
	}
	answer = "env:Receiver"
	if _, err = c.Deliver(t.Context(), connectortest.Delivery("k")); !errors.Is(err, connectors.ErrRetryable) {
		t.Fatalf("Receiver fault: %v", err)
	}
}

func TestSOAP11ActionHeader(t *testing.T) {
	var action string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		action = r.Header.Get("SOAPAction")
		_, _ = io.WriteString(w, `<s:Envelope xmlns:s="`+NS11+`"><s:Body><R><CaseNo>C-7</CaseNo><Duplicate>true</Duplicate></R></s:Body></s:Envelope>`)
	}))
	defer srv.Close()
	c, _ := New("d", Config{URL: srv.URL, Action: "urn:a#Deliver", ReferenceElement: "CaseNo"}, nil)
	rc, err := c.Deliver(t.Context(), connectortest.Delivery("k"))
	if err != nil || rc.Reference != "C-7" || !rc.Duplicate {
		t.Fatalf("rc=%+v err=%v", rc, err)
	}
	if action != `"urn:a#Deliver"` {
		t.Errorf("SOAPAction %q", action)
	}
}

func TestParseResponseRejectsNonEnvelopes(t *testing.T) {
	for _, in := range []string{``, `<html></html>`, `<Envelope>`, `{"a":1}`, `<s:Envelope xmlns:s="` + NS11 + `"><s:Body>`} {
		if _, err := ParseResponse([]byte(in), "Reference"); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: err=%v", in, err)
		}
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte(`<s:Envelope xmlns:s="` + NS11 + `"><s:Body><s:Fault><faultcode>s:Client</faultcode></s:Fault></s:Body></s:Envelope>`))
	f.Add([]byte(`<s:Envelope xmlns:s="` + NS12 + `"><s:Body><Reference>x</Reference></s:Body></s:Envelope>`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := ParseResponse(raw, "Reference")
		if err == nil && r.Fault != nil {
			_ = r.Fault.Class()
		}
	})
}
