package httpapi

import (
	"errors"
	"strings"
	"testing"
)

type sample struct {
	Name  string   `json:"name"`
	Count int      `json:"count"`
	Tags  []string `json:"tags"`
}

func TestDecodeJSONBytes(t *testing.T) {
	var ok sample
	if err := DecodeJSONBytes([]byte(` {"name":"热线","count":2,"tags":["a"]} `), &ok); err != nil || ok.Name != "热线" || ok.Count != 2 {
		t.Fatalf("%+v %v", ok, err)
	}
	cases := map[string]string{
		"":                         "empty",
		"   ":                      "empty",
		`{"name":"x",}`:            "line 1",
		"{\n\"name\":\n}":          "line 3",
		`{"name":"x","extra":1}`:   `unknown field "extra"`,
		`{"count":"two"}`:          `field "count" must be int`,
		`{"name":"x"}{"name":"y"}`: "after the JSON value",
		`{"name":"x"`:              "before the JSON value is complete",
		`[1,2]`:                    "(body)",
		`{"tags":"not-a-list"}`:    `field "tags"`,
	}
	for in, want := range cases {
		var v sample
		err := DecodeJSONBytes([]byte(in), &v)
		var p *Problem
		if !errors.As(err, &p) || p.Status != 400 {
			t.Errorf("%q: want 400 problem, got %v", in, err)
			continue
		}
		if !strings.Contains(p.Detail, want) {
			t.Errorf("%q: detail %q lacks %q", in, p.Detail, want)
		}
	}
}

func FuzzDecodeJSONBytes(f *testing.F) {
	f.Add([]byte(`{"name":"x","count":1}`))
	f.Add([]byte(`{"name":`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var v sample
		if err := DecodeJSONBytes(b, &v); err != nil {
			var p *Problem
			if !errors.As(err, &p) || p.Status != 400 {
				t.Fatalf("non-400 error %v", err)
			}
		}
	})
}
