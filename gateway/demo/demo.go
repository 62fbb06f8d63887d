package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/kinds"
	"github.com/hallgate/hallgate/connectors/resilience"
	"github.com/hallgate/hallgate/connectors/simulator"
	"github.com/hallgate/hallgate/gateway"
	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/dispatch"
	"github.com/hallgate/hallgate/gateway/ticket"
	"github.com/hallgate/hallgate/gateway/web"
	"github.com/hallgate/hallgate/knowledgebase"
)

// ErrNotWired is returned for an App without its capabilities.
var ErrNotWired = errors.New("demo: app has no capabilities")

// Users are the demo's staff accounts (shown on the sign-in page in demo mode).
var Users = []web.NewUser{
	{Username: "agent", DisplayName: "坐席 小李", Password: "demo-agent-pass", Roles: []auth.Role{auth.RoleAgent}},
	{Username: "boss", DisplayName: "班长 老王", Password: "demo-boss-pass", Roles: []auth.Role{auth.RoleSupervisor, auth.RoleAgent}},
	{Username: "admin", DisplayName: "管理员", Password: "demo-admin-pass", Roles: []auth.Role{auth.RoleAdmin, auth.RoleSupervisor, auth.RoleEditor}},
}

// CallerPhone is the demo's returning caller: the agent console's
// "模拟来电" button rings with it and the sample tickets belong to it.
const CallerPhone = "13800138001"

// demoAgent files the sample tickets.
var demoAgent = auth.Principal{ID: "demo-loader", Name: "演示数据", Roles: []auth.Role{auth.RoleAgent, auth.RoleSupervisor}}

// Load writes the demo city into the app's store: departments, hotlines,
// KB entries and service items, dispatch rules, synonyms, staff users and
// sample tickets. It is idempotent: a store that already holds the demo's
// departments keeps its data (only missing users are added).
func Load(ctx context.Context, a *gateway.App) error {
	c := a.Caps
	if c == nil || c.Web == nil {
		return ErrNotWired
	}
	for _, u := range Users {
		if _, err := c.Web.Users().Create(ctx, u, "demo"); err != nil && !errors.Is(err, web.ErrUserExists) {
			return fmt.Errorf("demo users: %w", err)
		}
	}
	c.Web.SetDemo(true)
	if ok, err := c.Departments.Exists(ctx, "cgj"); err != nil {
		return err
	} else if ok {
		return nil
	}
	if _, err := c.Departments.Import(ctx, departments); err != nil {
		return fmt.Errorf("demo departments: %w", err)
	}
	for _, d := range departments {
		for _, n := range d.LegacyHotlines {
			h, err := c.Hotlines.Get(ctx, n)
			if err != nil {
				if err := c.Hotlines.SeedDepartment(ctx, d.Code, d.ConsolidationMode, []string{n}); err != nil {
					return fmt.Errorf("demo hotline %s: %w", n, err)
				}
				if h, err = c.Hotlines.Get(ctx, n); err != nil {
					return err
				}
			}
			h.Name, h.ServiceHours = hotlineNames[n], "7x24"
			if _, err := c.Hotlines.Put(ctx, h, nil); err != nil {
				return fmt.Errorf("demo hotline %s: %w", n, err)
			}
		}
	}
	if err := loadKB(ctx, c.KB); err != nil {
		return err
	}
	for _, r := range rules {
		if _, err := c.Routing.Catalogue().Create(ctx, r); err != nil {
			return fmt.Errorf("demo rule %s: %w", r.ID, err)
		}
	}
	if _, err := c.Routing.Catalogue().ImportGuide(ctx, strings.NewReader(guide)); err != nil {
		return fmt.Errorf("demo dispatch guide: %w", err)
	}
	if err := c.Routing.Retrain(ctx); err != nil {
		return fmt.Errorf("demo routing: %w", err)
	}
	return sampleTickets(ctx, c)
}

func loadKB(ctx context.Context, kb *knowledgebase.Service) error {
	editor := knowledgebase.Actor{ID: "demo-loader", Editor: true, Staff: true}
	var b strings.Builder
	for _, e := range entries {
		line, _ := json.Marshal(knowledgebase.Line{ID: e.id, Question: e.q, Answer: e.a, Department: e.dept, Category: e.cat,
			Channels: []string{"hotline", "website"}, Keywords: e.kw, MaterialType: "日常咨询", IssuingUnit: deptName(e.dept)})
		b.Write(line)
		b.WriteByte('\n')
	}
	res, err := kb.Import(ctx, editor, strings.NewReader(b.String()))
	if err != nil {
		return fmt.Errorf("demo kb: %w", err)
	}
	if len(res.Errors) > 0 {
		return fmt.Errorf("demo kb: line %d: %s", res.Errors[0].Line, res.Errors[0].Error)
	}
	for _, it := range items {
		if _, err := kb.CreateItem(ctx, editor, it); err != nil {
			return fmt.Errorf("demo item %s: %w", it.ID, err)
		}
	}
	if _, err := kb.SetSynonyms(ctx, editor, synonyms, 0, true); err != nil {
		return fmt.Errorf("demo synonyms: %w", err)
	}
	return nil
}

func deptName(code string) string {
	for _, d := range departments {
		if d.Code == code {
			return d.Name
		}
	}
	return code
}

// sampleTickets gives the returning caller a history and the supervisor
// something to watch: one answered on the spot, one waiting at a department
// without a connector, one replied and rated badly (awaiting callback).
func sampleTickets(ctx context.Context, c *gateway.Capabilities) error {
	create := func(key string, in ticket.Intake) (*ticket.Ticket, error) {
		ans, err := c.Tickets.Create(ctx, demoAgent, in, "demo-"+key, "demo-"+key)
		if err != nil {
			return nil, fmt.Errorf("demo ticket %s: %w", key, err)
		}
		if ans.Result == nil {
			return nil, nil
		}
		return ans.Result.Ticket, nil
	}
	caller := ticket.Caller{Name: "张先生", Phone: CallerPhone}
	if _, err := create("t1", ticket.Intake{Channel: ticket.ChannelHotline, Type: ticket.TypeEnquiry, Text: "咨询居住证怎么办理，需要带什么材料", Caller: caller, KBEntry: "demo-gaj-001"}); err != nil {
		return err
	}
	if _, err := create("t2", ticket.Intake{Channel: ticket.ChannelHotline, Type: ticket.TypeComplaint, Text: "12路公交车在人民路站经常不停站，早高峰等了半小时", Caller: caller, Department: "jtj"}); err != nil {
		return err
	}
	t3, err := create("t3", ticket.Intake{Channel: ticket.ChannelHotline, Type: ticket.TypeReport, Text: "城东工业园一家工厂晚上排放刺鼻气味，附近居民晚上不敢开窗", Caller: ticket.Caller{Name: "刘女士", Phone: "13900139002"}, Department: "hbj"})
	if err != nil || t3 == nil {
		return err
	}
	for _, ev := range []connectors.Event{
		{ID: "demo-t3-acc", Type: connectors.EventAccepted, TicketID: t3.ID, Note: "已签收", At: time.Now().UTC()},
		{ID: "demo-t3-rep", Type: connectors.EventReplied, TicketID: t3.ID, Text: "经现场检查，该企业废气处理设施运行正常，未发现超标排放。", At: time.Now().UTC()},
	} {
		if _, err := c.Tickets.ApplyDepartmentEvent(ctx, "hbj", ev); err != nil {
			return fmt.Errorf("demo ticket t3 %s: %w", ev.Type, err)
		}
	}
	if _, err := c.Tickets.Apply(ctx, demoAgent, t3.ID, ticket.Command{Type: ticket.EvRate, Rating: "不满意"}); err != nil {
		return fmt.Errorf("demo ticket t3 rating: %w", err)
	}
	return nil
}

// SimulatedDepartments are the departments whose legacy system the demo
// simulates in-process.
var SimulatedDepartments = []string{"cgj", "scjg", "gjj"}

// Simulators are the running department simulators.
type Simulators struct {
	sims    map[string]*simulator.Simulator
	servers []*http.Server
	once    sync.Once
}

// Simulator returns the simulator of a department (to inject faults).
func (s *Simulators) Simulator(dept string) *simulator.Simulator { return s.sims[dept] }

// Close stops the simulators' HTTP servers and pending callbacks.
func (s *Simulators) Close() {
	s.once.Do(func() {
		for _, srv := range s.servers {
			_ = srv.Close()
		}
		for _, sim := range s.sims {
			sim.Close()
		}
	})
}

// StartSimulators starts one simulator per simulated department on a
// loopback port, and registers a connector for each in the app's relay.
// gatewayURL is where the gateway listens (for the signed callbacks), e.g.
// "http://127.0.0.1:8080". callbackDelay <= 0 means one second.
func StartSimulators(ctx context.Context, a *gateway.App, gatewayURL string, callbackDelay time.Duration) (*Simulators, error) {
	if a.Caps == nil || a.Caps.Relay == nil {
		return nil, ErrNotWired
	}
	if callbackDelay <= 0 {
		callbackDelay = time.Second
	}
	out := &Simulators{sims: map[string]*simulator.Simulator{}}
	for _, dept := range SimulatedDepartments {
		name := "demo-" + dept
		secret := "demo-secret-" + dept + "-" + web.RandomToken(8)
		sim := simulator.New(simulator.Options{Department: dept, CallbackURL: strings.TrimRight(gatewayURL, "/") + "/api/v1/connectors/" + name + "/callbacks",
			CallbackSecret: secret, CallbackDelay: callbackDelay, Logger: a.Log})
		ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			out.Close()
			return nil, fmt.Errorf("demo simulator %s: %w", dept, err)
		}
		srv := &http.Server{Handler: sim, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		out.sims[dept], out.servers = sim, append(out.servers, srv)

		settings, _ := json.Marshal(map[string]any{"url": "http://" + ln.Addr().String() + "/rest/deliveries", "auth": map[string]string{"type": "none"}})
		conn, err := kinds.Default().New("httpjson", name, func(into any) error { return json.Unmarshal(settings, into) })
		if err != nil {
			out.Close()
			return nil, fmt.Errorf("demo connector %s: %w", name, err)
		}
		cfg := resilience.Defaults()
		cfg.Retry.MaxAttempts = 2
		chained, err := resilience.Chain(cfg, conn, resilience.Deps{Department: dept})
		if err != nil {
			out.Close()
			return nil, fmt.Errorf("demo connector %s: %w", name, err)
		}
		if err := a.Caps.Relay.Registry().Put(dispatch.Entry{Name: name, Kind: "httpjson", Department: dept, CallbackSecret: secret, Connector: chained}); err != nil {
			out.Close()
			return nil, fmt.Errorf("demo connector %s: %w", name, err)
		}
	}
	return out, nil
}
