package open311

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/ticket"
)

// BenchmarkRequestsAmongHotlineTickets lists the public Open311 requests of
// the last 90 days in a city whose other channels filed 20,000 tickets in
// the same days: the list should read its own 200 requests, not every
// ticket of the window.
func BenchmarkRequestsAmongHotlineTickets(b *testing.B) {
	e := setup(b)
	ctx := context.Background()
	agent := auth.Principal{ID: "a1", Roles: []auth.Role{auth.RoleAgent}}
	for i := range 20200 {
		ch := ticket.ChannelHotline
		if i%101 == 0 {
			ch = ticket.ChannelOpen311
		}
		in := ticket.Intake{Channel: ch, Type: ticket.TypeHelp, Text: fmt.Sprintf("第%d号：路灯不亮", i), District: "江川区",
			Address: fmt.Sprintf("滨江路%d号", i), Category: "路灯", Department: "water"}
		if _, err := e.tickets.Create(ctx, agent, in, "", ""); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		resp, err := e.app.Test(httptest.NewRequest("GET", "http://hallgate.test/open311/v2/requests.json?jurisdiction_id=jiangchuan", nil), -1)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("%v %v", resp.StatusCode, err)
		}
		resp.Body.Close()
	}
}
