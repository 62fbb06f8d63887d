package widget_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/gateway/widget"
)

func TestBundleServedImmutableWithIntegrity(t *testing.T) {
	base := startGateway(t)
	b, err := widget.Build()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b.JS), "__HG_CSS__") || !strings.Contains(string(b.JS), "--hg-primary") {
		t.Fatal("stylesheet not inlined into the build")
	}
	r := call(t, "GET", base+"/widget/v1/"+b.File(), "")
	if r.status != 200 || string(r.body) != string(b.JS) {
		t.Fatalf("hashed file: %d", r.status)
	}
	if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
		t.Fatalf("Cache-Control %q", cc)
	}
	if r.header.Get("Access-Control-Allow-Origin") != "*" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("headers %v", r.header)
	}
	if r := call(t, "GET", base+"/widget/v1/"+b.File(), "", "If-None-Match", r.header.Get("ETag")); r.status != http.StatusNotModified {
		t.Fatalf("conditional: %d", r.status)
	}
	r = call(t, "GET", base+"/widget/v1/widget.js", "")
	if r.status != 200 || !strings.Contains(string(r.body), b.File()) || !strings.Contains(string(r.body), b.Integrity) ||
		!strings.Contains(r.header.Get("Cache-Control"), "max-age=300") {
		t.Fatalf("loader: %d %v %s", r.status, r.header, r.body)
	}
	if r := call(t, "GET", base+"/widget/v1/widget.0000000000000000.js", ""); r.status != http.StatusNotFound {
		t.Fatalf("stale build: %d", r.status)
	}
	var e struct {
		Snippet   string `json:"snippet"`
		Integrity string `json:"integrity"`
	}
	r = call(t, "GET", base+"/widget/v1/embed?key=k%22x&target=%23box", "")
	r.json(t, &e)
	if !strings.Contains(e.Snippet, `integrity="`+b.Integrity+`"`) || !strings.Contains(e.Snippet, `data-key="k&#34;x"`) ||
		!strings.Contains(e.Snippet, `<div id="box"></div>`) || !strings.Contains(e.Snippet, `crossorigin="anonymous"`) {
		t.Fatalf("embed: %s", r.body)
	}
}
