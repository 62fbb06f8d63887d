package dispatch_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/gateway/dispatch"
)

func TestRegistryFromConfig(t *testing.T) {
	cs := []config.Connector{
		{Name: "zjj", Kind: config.KindHTTPJSON, Department: "ZJJ", CallbackSecret: "s-0123456789abcdef",
			Resilience: config.Resilience{BreakerFailures: 7, BreakerOpenFor: time.Minute},
			HTTPJSON:   &config.HTTPJSON{URL: "http://127.0.0.1:9301/rest/deliveries", Auth: "hmac", Secret: "hmac-secret-0123456789"}},
		{Name: "tax", Kind: config.KindSOAP, Department: "TAX", SOAP: &config.SOAP{URL: "http://127.0.0.1:9302/soap", Action: "urn:x#Deliver"}},
		{Name: "mail", Kind: config.KindEmail, Department: "MZJ", Email: &config.Email{SMTPAddr: "127.0.0.1:25", From: "a@b.cn", To: []string{"c@d.cn"}}},
		{Name: "qx", Kind: config.KindOpen311, Department: "QX", Open311: &config.Open311{URL: "http://127.0.0.1:9303", ServiceCode: "s"}},
		{Name: "broken", Kind: config.KindSOAP, Department: "X", SOAP: &config.SOAP{URL: "nope"}},
	}
	reg, err := dispatch.RegistryFromConfig(cs, dispatch.WiringOptions{ConsoleURL: "https://console.example/t/{{.TicketID}}"})
	if err == nil || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("want the broken connector reported, got %v", err)
	}
	if n := len(reg.List()); n != 4 {
		t.Fatalf("%d connectors built, want 4", n)
	}
	e, ok := reg.ByDepartment("ZJJ")
	if !ok || e.CallbackSecret != "s-0123456789abcdef" || e.BreakerState() != "closed" {
		t.Fatalf("zjj entry %+v", e)
	}
	rc := dispatch.ResilienceFromConfig(cs[0].Resilience)
	if rc.Breaker.ConsecutiveFailures != 7 || rc.Breaker.OpenTimeout != time.Minute || rc.Retry.MaxAttempts != 3 {
		t.Fatalf("resilience mapping %+v", rc)
	}
}
