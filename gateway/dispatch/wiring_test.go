package dispatch_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hallgate/hallgate/connectors/kinds"
	"github.com/hallgate/hallgate/connectors/resilience"
	"github.com/hallgate/hallgate/gateway/dispatch"
)

func jsonDecode(raw string) func(any) error {
	return func(into any) error { return json.Unmarshal([]byte(raw), into) }
}

func TestBuildRegistry(t *testing.T) {
	var rc resilience.Config
	rc.Breaker.ConsecutiveFailures = 7
	rc.Breaker.OpenTimeout = time.Minute
	specs := []dispatch.Spec{
		{Name: "zjj", Kind: "httpjson", Department: "ZJJ", CallbackSecret: "s-0123456789abcdef", Resilience: rc,
			Decode: jsonDecode(`{"url":"http://127.0.0.1:9301/rest/deliveries","auth":{"type":"hmac"},"secret":"hmac-secret-0123456789"}`)},
		{Name: "tax", Kind: "soap", Department: "TAX", Decode: jsonDecode(`{"url":"http://127.0.0.1:9302/soap","action":"urn:x#Deliver"}`)},
		{Name: "mail", Kind: "email", Department: "MZJ", Decode: jsonDecode(`{"host":"127.0.0.1","from":"a@b.cn","to":["c@d.cn"],"console_url":"https://c.example/t/{{.TicketID}}"}`)},
		{Name: "qx", Kind: "open311", Department: "QX", Decode: jsonDecode(`{"url":"http://127.0.0.1:9303","service_code":"s"}`)},
		{Name: "broken", Kind: "soap", Department: "X", Decode: jsonDecode(`{"url":"nope"}`)},
		{Name: "bad-chain", Kind: "soap", Department: "Y", Resilience: resilience.Config{Timeout: -1}, Decode: jsonDecode(`{"url":"http://127.0.0.1:1/soap","action":"a"}`)},
	}
	reg, err := dispatch.BuildRegistry(specs, kinds.Default(), resilience.Deps{})
	if err == nil || !strings.Contains(err.Error(), "broken") || !strings.Contains(err.Error(), "bad-chain") {
		t.Fatalf("want both broken connectors reported, got %v", err)
	}
	if n := len(reg.List()); n != 4 {
		t.Fatalf("%d connectors built, want 4", n)
	}
	e, ok := reg.ByDepartment("ZJJ")
	if !ok || e.CallbackSecret != "s-0123456789abcdef" || e.BreakerState() != "closed" || e.Kind != "httpjson" {
		t.Fatalf("zjj entry %+v", e)
	}
}
