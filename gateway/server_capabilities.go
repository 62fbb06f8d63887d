package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/hallgate/hallgate/config"
	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/kinds"
	"github.com/hallgate/hallgate/connectors/resilience"
	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/department"
	"github.com/hallgate/hallgate/gateway/dispatch"
	"github.com/hallgate/hallgate/gateway/hotline"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/httpapi/auditapi"
	"github.com/hallgate/hallgate/gateway/httpapi/connectorapi"
	"github.com/hallgate/hallgate/gateway/httpapi/hotlineapi"
	"github.com/hallgate/hallgate/gateway/httpapi/kbapi"
	"github.com/hallgate/hallgate/gateway/httpapi/messageapi"
	"github.com/hallgate/hallgate/gateway/httpapi/partnerapi"
	"github.com/hallgate/hallgate/gateway/httpapi/routingapi"
	"github.com/hallgate/hallgate/gateway/httpapi/ticketapi"
	"github.com/hallgate/hallgate/gateway/httpapi/topicsapi"
	"github.com/hallgate/hallgate/gateway/message"
	"github.com/hallgate/hallgate/gateway/open311"
	"github.com/hallgate/hallgate/gateway/partner"
	"github.com/hallgate/hallgate/gateway/pii"
	"github.com/hallgate/hallgate/gateway/routing"
	"github.com/hallgate/hallgate/gateway/store"
	"github.com/hallgate/hallgate/gateway/store/redis"
	"github.com/hallgate/hallgate/gateway/ticket"
	"github.com/hallgate/hallgate/gateway/ticket/calendar"
	"github.com/hallgate/hallgate/gateway/topics"
	"github.com/hallgate/hallgate/gateway/web"
	"github.com/hallgate/hallgate/gateway/widget"
	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/analysis"
	"github.com/hallgate/hallgate/knowledgebase/embedded"
	"github.com/hallgate/hallgate/knowledgebase/meili"
)

// Capabilities are the gateway's services, built once from the
// configuration and shared by the HTTP modules, the background workers and
// in-process callers (tests, the demo loader, evaluation commands).
type Capabilities struct {
	Sealer      *pii.Sealer
	Normalizer  hotline.Normalizer
	Departments *department.Service
	Index       knowledgebase.Index
	KB          *knowledgebase.Service
	Routing     *routing.Suggester
	Tickets     *ticket.Service
	Hotlines    *hotline.Registry
	Calls       *hotline.Calls
	Messages    *message.Service
	Relay       *dispatch.Relay
	Topics      *topics.Detector
	// Web is the pages' module (users, sessions, the session bridge).
	Web *web.Module
	Log *slog.Logger
}

// routingKBTrainEntries caps the KB entries the routing model trains on: a
// city's 100,000 entries would cost many seconds per retraining and add
// little over a few thousand spread over the departments.
const routingKBTrainEntries = 5000

// IndexDir is the embedded search index's directory inside the data directory.
const IndexDir = "index"

// openIndex opens Meilisearch when configured, the embedded index otherwise.
func openIndex(ctx context.Context, cfg config.Config) (knowledgebase.Index, error) {
	go analysis.Warm() // beside the index's load, not in the first search
	if cfg.Meili.URL != "" {
		return meili.Open(ctx, meili.Options{URL: cfg.Meili.URL, APIKey: cfg.Meili.Key.Reveal(), IndexUID: cfg.Meili.Index})
	}
	return embedded.Open(ctx, embedded.Options{Dir: filepath.Join(cfg.Server.DataDir, IndexDir)})
}

// wireCapabilities builds every capability and adds its module, workers,
// readiness checks and stoppers to a.
func (a *App) wireCapabilities(ctx context.Context) error {
	cfg := a.Config
	encKey, err1 := config.DecodeKey(cfg.Security.PIIKey)
	hashKey, err2 := config.DecodeKey(cfg.Security.HashKey)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	sealer, err := pii.New(encKey, hashKey)
	if err != nil {
		return err
	}
	c := &Capabilities{Log: a.Log, Sealer: sealer, Normalizer: hotline.Normalizer{DefaultAreaCode: cfg.City.AreaCode}}
	a.Caps = c
	c.Departments = department.NewService(a.Store)

	if c.Index, err = openIndex(ctx, cfg); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	a.OnStop(func(context.Context) error { return c.Index.Close() })
	// With the embedded store this process is its only writer, so search
	// hits can be filled from the embedded index's own documents; replicas
	// sharing Redis re-read each hit from the store (see the option).
	c.KB = knowledgebase.NewService(a.Store, c.Index, c.Departments, knowledgebase.Options{Logger: a.Log,
		HydrateFromIndex: cfg.Redis.URL == ""})
	if rebuilt, err := c.KB.EnsureIndex(ctx); err != nil {
		return fmt.Errorf("search index: %w", err)
	} else if rebuilt {
		a.Log.Info("search index rebuilt from the store")
	}
	a.Background = append(a.Background, c.KB.Run)
	a.OnStop(c.KB.Shutdown)
	a.Readiness = append(a.Readiness, ReadinessCheck{Name: "index", Check: func(ctx context.Context) error {
		_, err := c.Index.Count(ctx)
		return err
	}})

	c.Routing, err = routing.Open(ctx, routing.Options{
		Store:       a.Store,
		Departments: routingDepartments(c.Departments),
		KBEntries:   routingKBEntries(c.KB, c.Departments, routingKBTrainEntries),
		// The adapter already reads no more than this; routing's own cap
		// is the same number.
		MaxKBTrainEntries: routingKBTrainEntries,
		KBSearch:          routingKBSearch(c.KB),
		// The KB editors' runtime synonyms join the concept lexicon.
		Synonyms: func(ctx context.Context) ([][]string, uint64, error) {
			set, err := c.KB.Synonyms(ctx)
			return set.Groups, set.Version, err
		},
		// A city's history and KB can take many seconds to train on; the
		// gateway serves from the duties and the catalogue meanwhile.
		TrainInBackground: true,
		NoStarters:        !a.Config.Routing.StarterExamples,
		Logger:            a.Log,
	})
	if err != nil {
		return fmt.Errorf("routing: %w", err)
	}
	a.OnStop(func(context.Context) error { return c.Routing.Close() })
	a.Background = append(a.Background, retrainOnChange(c, a.Store))

	c.Topics, err = topics.Open(ctx, topics.Options{Store: a.Store, Logger: a.Log})
	if err != nil {
		return fmt.Errorf("topics: %w", err)
	}
	a.Background = append(a.Background, c.Topics.Run)
	if cfg.Topics.WebhookURL != "" {
		alerter, err := topics.NewAlerter(topics.AlertOptions{Store: a.Store, URL: cfg.Topics.WebhookURL,
			Secret: []byte(cfg.Topics.WebhookSecret.Reveal()), Logger: a.Log})
		if err != nil {
			return fmt.Errorf("topic alerts: %w", err)
		}
		a.Background = append(a.Background, alerter.Run)
	}

	norm := c.Normalizer
	cal, err := calendar.Load(cfg.Tickets.CalendarFile, calendar.China, a.Log)
	if err != nil {
		return fmt.Errorf("tickets.calendar_file: %w", err)
	}
	limits := map[ticket.RequestType]int{}
	for typ, n := range cfg.Tickets.TimeLimits {
		limits[ticket.RequestType(typ)] = n
	}
	c.Tickets, err = ticket.NewService(a.Store, ticket.Options{
		Calendar:          cal,
		Limits:            limits,
		UrgentDays:        cfg.Tickets.UrgentDays,
		DispatchDays:      cfg.Tickets.DispatchDays,
		ReturnDays:        cfg.Tickets.ReturnDays,
		MaxExtensionDays:  cfg.Tickets.MaxExtensionDays,
		WarningDays:       cfg.Tickets.WarningDays,
		MergeWindow:       cfg.Tickets.MergeWindow,
		SchedulerInterval: cfg.Tickets.SchedulerInterval,
		Sealer:            sealer,
		PhoneKey: func(raw string) (string, bool) {
			n, err := norm.Normalize(raw)
			return n.Key, err == nil
		},
		DepartmentExists:  c.Departments.Exists,
		ResolveDepartment: c.Departments.Resolve,
		Observers:         []func(context.Context, *ticket.Ticket){observeForRouting(c.Routing, a)},
		ImportObservers:   []func(context.Context, []*ticket.Ticket){observeImportForRouting(c.Routing, a)},
		ImportDone:        []func(context.Context, int){awaitRoutingAfterImport(c.Routing, a)},
		IntakeOutbox:      []func(*ticket.Ticket) (store.OutboxItem, error){topicSignal},
		Logger:            a.Log,
	})
	if err != nil {
		return fmt.Errorf("tickets: %w", err)
	}
	a.Background = append(a.Background, c.Tickets.Run)
	a.Modules = append(a.Modules, auditapi.New(a.Audit, c.Tickets.Calendar().Location(), callerTicketCodes(c.Tickets)))

	c.Hotlines = hotline.NewRegistry(a.Store)
	c.Calls = hotline.NewCalls(a.Store, c.Hotlines, norm, sealer, hotline.Lookups{
		History:     c.Tickets.History,
		Suggestions: kbSuggestions(c.KB),
	})
	if days := a.Config.Tickets.CallerRetentionDays; days > 0 {
		a.Background = append(a.Background, eraseCallers(c, a.Store, a.Audit, days, a.Log))
	}

	c.Messages = message.NewService(a.Store, c.Tickets, message.Options{
		KBDraft:        kbDraft(c.KB),
		DepartmentName: departmentName(c.Departments),
	})

	var deps resilience.Deps
	if rs, ok := a.Store.(*redis.Store); ok {
		deps.Redis = rs.Client()
	}
	reg, err := connectorRegistry(cfg, deps)
	if err != nil {
		return fmt.Errorf("connectors: %w", err)
	}
	dc := cfg.Dispatch
	c.Relay, err = dispatch.New(a.Store, reg, dispatch.Config{Workers: dc.Workers, Lease: dc.Lease, MaxAge: dc.MaxAge,
		RetryBase: dc.RetryBase, RetryMax: dc.RetryMax, BreakerWait: dc.BreakerWait}, dispatch.Options{Logger: a.Log})
	if err != nil {
		return fmt.Errorf("dispatch: %w", err)
	}
	a.Background = append(a.Background, c.Relay.Run)
	apply := func(ctx context.Context, dept string, ev connectors.Event) error {
		_, err := c.Tickets.ApplyDepartmentEvent(ctx, dept, ev)
		return err
	}
	a.Background = append(a.Background, dispatch.NewPoller(a.Store, reg, apply, dispatch.PollerOptions{}).Run)

	a.Modules = append(a.Modules,
		kbapi.New(c.KB, c.Departments),
		ticketapi.New(c.Tickets),
		routingapi.New(c.Routing).ResolveDepartments(c.Departments.Resolve),
		hotlineapi.New(c.Hotlines, c.Calls, func(code string) bool {
			ok, err := c.Departments.Exists(context.Background(), code)
			return err == nil && ok
		}),
		messageapi.New(c.Messages, auth.NewTokenBucket(cfg.RateLimit.Messages.PerSecond, cfg.RateLimit.Messages.Burst)),
		connectorapi.New(connectorapi.Options{Relay: c.Relay, Store: a.Store, Apply: apply, Kinds: kinds.Default(),
			Chain: func(dept string, conn connectors.Connector) (connectors.Connector, error) {
				d := deps
				d.Department = dept
				return resilience.Chain(resilience.Defaults(), conn, d)
			}}),
		topicsapi.New(c.Topics, topicActions(c)),
		open311.New(c.Tickets, open311Catalogue(c.Departments), open311.Options{
			Jurisdiction: cfg.City.Jurisdiction, Authenticate: a.Tokens.Authenticate, Log: a.Log,
		}),
	)

	c.Web, err = web.New(web.Options{Store: a.Store, Tokens: a.Tokens, KB: c.KB, Tickets: c.Tickets, Departments: c.Departments,
		Messages: c.Messages, Log: a.Log, Health: c.Relay.Health, SignIns: signIns(a.Audit, c.Tickets.Calendar().Location()),
		SignInLimiter: a.signInLimiter()})
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	a.Modules = append(a.Modules, c.Web)
	partners := partnerapi.New(partnerapi.Options{Partners: partner.NewRegistry(a.Store, a.Tokens), Store: a.Store, Redis: deps.Redis, RedisPrefix: cfg.Redis.Prefix, OnError: func(err error) { a.Log.Warn("partner usage compaction failed", "error", err) },
		Upstream: []httpapi.Module{kbapi.New(c.KB, c.Departments), ticketapi.New(c.Tickets), messageapi.New(c.Messages, partnerapi.PerClient(auth.NewTokenBucket(cfg.RateLimit.Messages.PerSecond, cfg.RateLimit.Messages.Burst)))}})
	a.Modules, a.Background = append(a.Modules, widget.New(), partners), append(a.Background, partners.Run)
	a.Background = append(a.Background, c.Web.Sessions().Run)
	return nil
}

// retrainOnChange asks the routing model to rebuild when its inputs changed
// behind its back: departments imported, the knowledge base edited or
// imported (the store keeps both counts, so a poll is cheap), the concept
// lexicon's edits or the KB's synonyms saved (one record each). A large change
// — the first departments or entries, or a fifth of the knowledge base —
// is a bulk one: suggestions wait for its rebuild (bounded) instead of
// answering from a model that never saw the city's data. Examples observed
// through tickets retrain on their own; a history that grew behind this
// replica's back (another replica sharing Redis) is re-read.
func retrainOnChange(c *Capabilities, st interface {
	Count(ctx context.Context, collection string, filter map[string]string) (int, error)
}) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		seen := false
		var lastD, lastK int
		lastSync := time.Now()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			nd, err1 := st.Count(ctx, department.Collection, nil)
			nk, err2 := c.KB.StoredCount(ctx)
			if err1 == nil && err2 == nil {
				if seen && (nd != lastD || nk != lastK) {
					c.Routing.Refresh(bulkChange(lastD, nd) || bulkChange(lastK, nk))
				}
				seen, lastD, lastK = true, nd, nk
			}
			// The city's concept edits or the KB's synonyms, changed here
			// or on another replica.
			if _, err := c.Routing.SyncConcepts(ctx); err != nil && ctx.Err() == nil {
				c.Log.Warn("routing could not read the concept lexicon's edits", "error", err)
			}
			// Replicas sharing Redis: history learned elsewhere (an import
			// there at once, closed tickets within five minutes; re-reading
			// a large history every second would cost more than it gains).
			held := c.Routing.Examples()
			if ne, err := st.Count(ctx, routing.CollectionExamples, nil); err == nil && ne != held &&
				(bulkChange(held, ne) || time.Since(lastSync) > 5*time.Minute) {
				lastSync = time.Now()
				if _, err := c.Routing.SyncExamples(ctx); err != nil && ctx.Err() == nil {
					c.Log.Warn("routing could not re-read the history", "error", err)
				}
			}
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	}
}

// bulkChange: from nothing to something, or by more than a fifth.
func bulkChange(before, now int) bool {
	if before == 0 {
		return now > 0
	}
	d := now - before
	return d*5 > before || -d*5 > before
}

// connectorRegistry builds the configured department connectors, each in
// its resilience chain.
func connectorRegistry(cfg config.Config, deps resilience.Deps) (*dispatch.Registry, error) {
	specs := make([]dispatch.Spec, len(cfg.Connectors))
	for i, c := range cfg.Connectors {
		specs[i] = dispatch.Spec{Name: c.Name, Kind: c.Kind, Department: c.Department,
			CallbackSecret: c.CallbackSecret.Reveal(), Resilience: c.Resilience, Decode: c.Decode}
	}
	return dispatch.BuildRegistry(specs, kinds.Default(), deps)
}
