package simulator

import (
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

func TestFlagsAndValidate(t *testing.T) {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	o := BindFlags(fs)
	if err := fs.Parse([]string{"-addr", "127.0.0.1:0", "-callback-url", "http://127.0.0.1:8080/api/v1/connectors/zjj/callbacks", "-callback-secret", "s", "-callback-delay", "2s"}); err != nil {
		t.Fatal(err)
	}
	if err := o.Validate(); err != nil || o.CallbackDelay != 2*time.Second || o.Department != "SIM" {
		t.Fatalf("%+v %v", o, err)
	}
	err := Options{CallbackURL: "ftp://x", CallbackDelay: -1}.Validate()
	if !errors.Is(err, ErrInvalidOptions) {
		t.Fatal(err)
	}
	for _, k := range []string{"addr", "callback-url", "callback-secret", "callback-delay"} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("%v does not name %s", err, k)
		}
	}
}
