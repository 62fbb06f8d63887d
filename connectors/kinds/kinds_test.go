package kinds

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDefaultBuildsFromTypedSettings(t *testing.T) {
	k := Default()
	raw := []byte(`{"url":"http://127.0.0.1:9/rest","auth":{"type":"bearer","token":"x"}}`)
	c, err := k.New("httpjson", "zjj", func(into any) error { return json.Unmarshal(raw, into) })
	if err != nil || c.Name() != "zjj" {
		t.Fatalf("%v %v", c, err)
	}
	_, err = k.New("soap", "bad", func(into any) error { return json.Unmarshal([]byte(`{"url":"x"}`), into) })
	if err == nil || !strings.Contains(err.Error(), "action") {
		t.Fatalf("invalid soap settings: %v", err)
	}
	if _, err = k.New("fax", "f", nil); err == nil {
		t.Fatal("unknown kind accepted")
	}
}
