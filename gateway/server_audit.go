package gateway

import (
	"context"
	"time"

	"github.com/hallgate/hallgate/gateway/audit"
	"github.com/hallgate/hallgate/gateway/ticket"
	"github.com/hallgate/hallgate/gateway/web"
)

// signIns reads an account's latest sign-ins from the audit trail for its
// password page: the sign-in form's entries name the account tried as
// their target, failed attempts included.
func signIns(trail *audit.Trail, loc *time.Location) func(context.Context, string, int) ([]web.SignIn, error) {
	why := map[string]string{"locked": "账号已锁定", "disabled": "账号已停用", "bad_credentials": "密码错误", "rate_limited": "本地址尝试过于频繁"}
	return func(ctx context.Context, username string, limit int) ([]web.SignIn, error) {
		page, err := trail.List(ctx, audit.Query{Target: "user:" + username, Action: "POST /login", Limit: limit})
		if err != nil {
			return nil, err
		}
		out := make([]web.SignIn, 0, len(page.Entries))
		for _, e := range page.Entries {
			note := why[e.Details["refused"]]
			if note == "" && e.Outcome != audit.OutcomeDone {
				note = "请求无效"
			}
			out = append(out, web.SignIn{At: e.At.In(loc), IP: e.IP, OK: e.Outcome == audit.OutcomeDone, Note: note})
		}
		return out, nil
	}
}

// callerTicketCodes finds the codes of every ticket of a caller by phone
// number (the audit trail of a caller, /api/v1/audit/caller).
func callerTicketCodes(tickets *ticket.Service) func(context.Context, string) ([]string, error) {
	return func(ctx context.Context, phone string) ([]string, error) {
		var codes []string
		f := ticket.Filter{CallerPhone: phone, Limit: 500}
		for {
			page, err := tickets.List(ctx, f)
			if err != nil {
				return nil, err
			}
			for _, t := range page.Tickets {
				codes = append(codes, t.Code)
			}
			if page.NextCursor == "" || len(codes) > 1000 {
				return codes, nil
			}
			f.Cursor = page.NextCursor
		}
	}
}
