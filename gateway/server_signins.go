package gateway

import (
	"context"
	"time"

	"github.com/hallgate/hallgate/gateway/audit"
	"github.com/hallgate/hallgate/gateway/web"
)

// signIns reads an account's latest sign-ins from the audit trail for its
// password page: the sign-in form's entries name the account tried as
// their target, failed attempts included.
func signIns(trail *audit.Trail, loc *time.Location) func(context.Context, string, int) ([]web.SignIn, error) {
	why := map[string]string{"locked": "账号已锁定", "disabled": "账号已停用", "bad_credentials": "密码错误"}
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
