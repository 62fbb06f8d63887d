package message

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/pii"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/bolt"
	"github.com/hallgate/hallgate/gateway/ticket"
)

type env struct {
	st      store.Store
	tickets *ticket.Service
	svc     *Service
	drafts  []string
}

func setup(t *testing.T) *env {
	t.Helper()
	st, err := bolt.Open(context.Background(), bolt.Options{Path: filepath.Join(t.TempDir(), "m.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, _ := pii.New(bytes.Repeat([]byte{3}, 32), bytes.Repeat([]byte{4}, 32))
	tickets, err := ticket.NewService(st, ticket.Options{Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, tickets: tickets}
	e.svc = NewService(st, tickets, Options{
		KBDraft: func(ctx context.Context, p auth.Principal, title, answer, dept string) (string, error) {
			e.drafts = append(e.drafts, title+"|"+answer+"|"+dept)
			return "kb-draft-1", nil
		},
		DepartmentName: func(ctx context.Context, code string) string {
			return map[string]string{"water": "江川市水务局"}[code]
		},
	})
	return e
}

func TestSubmitReviewPublish(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	sub := Submission{Title: "小区停水三天", Content: "我叫王小明，幸福小区从周一起停水，电话13812345678，请尽快处理。", Name: "王小明", Phone: "13812345678"}
	m, err := e.svc.Submit(ctx, auth.Anonymous, ticket.ChannelWebsite, sub, "k1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Code, "JC") || strings.Contains(m.Content, "13812345678") || strings.Contains(m.Content, "王小明") {
		t.Fatalf("message = %+v", m)
	}
	// A retry with the same key is the same message and the same ticket.
	again, err := e.svc.Submit(ctx, auth.Anonymous, ticket.ChannelWebsite, sub, "k1")
	if err != nil || again.ID != m.ID {
		t.Fatalf("retry: %+v %v", again, err)
	}
	if n, _ := e.st.Count(ctx, ticket.Collection, nil); n != 1 {
		t.Fatalf("tickets after retry = %d, want 1", n)
	}
	tk, err := e.tickets.Get(ctx, m.Code)
	if err != nil || tk.Channel != ticket.ChannelWebsite || tk.Caller.Phone != "13812345678" {
		t.Fatalf("ticket: %+v %v", tk, err)
	}
	editor := auth.Principal{ID: "ed", Roles: []auth.Role{auth.RoleEditor}}
	if _, err := e.svc.ReviewMessage(ctx, editor, m.ID, Review{Publish: true}); !errors.Is(err, ErrNotReady) {
		t.Fatalf("publish before reply: %v", err)
	}
	agent := auth.Principal{ID: "a", Roles: []auth.Role{auth.RoleAgent}}
	dept := auth.Principal{ID: "w", Roles: []auth.Role{auth.DepartmentRole("water")}}
	for _, step := range []struct {
		p auth.Principal
		c ticket.Command
	}{{agent, ticket.Command{Type: ticket.EvDispatch, Department: "water"}}, {dept, ticket.Command{Type: ticket.EvAccept}},
		{dept, ticket.Command{Type: ticket.EvReply, Text: "经查为主管破裂，已于周三修复，王小明可拨打13900001111咨询。"}}} {
		if _, err := e.tickets.Apply(ctx, step.p, m.Code, step.c); err != nil {
			t.Fatalf("%s: %v", step.c.Type, err)
		}
	}
	pending, _, err := e.svc.Pending(ctx, 10, "")
	if err != nil || len(pending) != 1 || pending[0].Reply == "" {
		t.Fatalf("pending: %+v %v", pending, err)
	}
	pub, err := e.svc.ReviewMessage(ctx, editor, m.ID, Review{Publish: true})
	if err != nil || pub.Status != StatusPublished {
		t.Fatalf("publish: %+v %v", pub, err)
	}
	list, _, err := e.svc.PublishedPage(ctx, 10, "")
	if err != nil || len(list) != 1 {
		t.Fatalf("published: %+v %v", list, err)
	}
	p := list[0]
	if p.Department != "江川市水务局" || p.RepliedAt.IsZero() || p.ReceivedAt.IsZero() || !strings.Contains(p.Reply, "已于周三修复") {
		t.Fatalf("published entry lacks its fields: %+v", p)
	}
	for _, leak := range []string{"王小明", "13812345678", "13900001111"} {
		if strings.Contains(p.Content+p.Reply+p.Title, leak) {
			t.Fatalf("published entry leaks %s: %+v", leak, p)
		}
	}
	if pending, _, _ := e.svc.Pending(ctx, 10, ""); len(pending) != 0 {
		t.Fatalf("published message still pending")
	}
	d, err := e.svc.ToKBDraft(ctx, editor, m.ID)
	if err != nil || d.KBDraft != "kb-draft-1" || len(e.drafts) != 1 || !strings.HasSuffix(e.drafts[0], "|water") {
		t.Fatalf("kb draft: %+v %v %v", d, err, e.drafts)
	}
	if _, err := e.svc.ToKBDraft(ctx, editor, m.ID); err != nil || len(e.drafts) != 1 {
		t.Fatalf("second draft request created another draft: %v %v", err, e.drafts)
	}
}

func TestSubmitValidation(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	_, err := e.svc.Submit(ctx, auth.Anonymous, ticket.ChannelWebsite, Submission{Title: "", Content: strings.Repeat("长", MaxContentRunes+1)}, "")
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want ValidationError, got %v", err)
	}
	fields := map[string]bool{}
	for _, f := range ve.Fields {
		fields[f.Field] = true
	}
	for _, f := range []string{"title", "content", "phone"} {
		if !fields[f] {
			t.Errorf("missing field error for %s in %v", f, ve.Fields)
		}
	}
	if _, err := e.svc.Submit(ctx, auth.Anonymous, ticket.ChannelWebsite, Submission{Title: "t", Content: "内容足够长了", Phone: "12"}, ""); !errors.As(err, &ve) || ve.Fields[0].Field != "phone" {
		t.Fatalf("bad phone: %v", err)
	}
	if n, _ := e.st.Count(ctx, ticket.Collection, nil); n != 0 {
		t.Fatalf("refused messages left %d tickets", n)
	}
	if n, _ := e.st.Count(ctx, collection, nil); n != 0 {
		t.Fatalf("refused messages left %d records", n)
	}
}
