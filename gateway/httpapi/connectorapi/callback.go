package connectorapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/gateway/dispatch"
	"github.com/hallgate/hallgate/gateway/httpapi"
	"github.com/hallgate/hallgate/gateway/store"
)

// CollKBProposals keeps knowledge-base proposals sent by departments for
// editors to review.
const CollKBProposals = "kb_proposals"

var eventTypes = map[string]bool{
	connectors.EventAccepted: true, connectors.EventReturned: true, connectors.EventProgress: true,
	connectors.EventReplied: true, connectors.EventExtensionRequested: true, connectors.EventKBProposal: true,
}

// callback verifies, deduplicates and applies one department event. Order
// matters: nothing is written before the signature holds, and the duplicate
// key is forgotten again when applying fails so the department may retry.
func (m *Module) callback(c *fiber.Ctx) error {
	name := strings.Clone(c.Params("name"))
	entry, ok := m.o.Relay.Registry().ByName(name)
	if !ok {
		return httpapi.Errorf(fiber.StatusNotFound, "对接系统 %q 不存在", name)
	}
	body := append([]byte(nil), c.Body()...)
	if entry.CallbackSecret == "" {
		return httpapi.Errorf(fiber.StatusUnauthorized, "对接系统 %q 未配置回调密钥", name)
	}
	if err := connectors.Verify([]byte(entry.CallbackSecret), c.Get(connectors.HeaderTimestamp), c.Get(connectors.HeaderSignature), body, m.o.Now(), m.o.Tolerance); err != nil {
		c.Set(fiber.HeaderWWWAuthenticate, `HMAC-SHA256 headers="`+connectors.HeaderTimestamp+` `+connectors.HeaderSignature+`"`)
		return httpapi.Errorf(fiber.StatusUnauthorized, "签名无效或已过期: %v", err)
	}
	var ev connectors.Event
	if err := httpapi.DecodeJSONBytes(body, &ev); err != nil {
		return err
	}
	var bad []string
	if ev.ID == "" {
		bad = append(bad, "id")
	}
	if !eventTypes[ev.Type] {
		bad = append(bad, "type")
	}
	if ev.Type != connectors.EventKBProposal && ev.TicketID == "" && ev.TicketCode == "" {
		bad = append(bad, "ticket_id")
	}
	if ev.Type == connectors.EventKBProposal && len(ev.Proposal) == 0 {
		bad = append(bad, "proposal")
	}
	if ev.Type == connectors.EventExtensionRequested && ev.Days <= 0 {
		bad = append(bad, "days")
	}
	if len(bad) > 0 {
		return httpapi.Errorf(fiber.StatusUnprocessableEntity, "回调事件字段不完整或无效").With("fields", bad)
	}

	ctx := c.UserContext()
	digest := sha256.Sum256(body)
	key := dispatch.EventKey(name, ev.ID)
	sum := hex.EncodeToString(digest[:])
	stored, fresh, err := m.o.Store.PutIfAbsent(ctx, key, []byte(sum), m.o.DuplicateTTL)
	if err != nil {
		return err
	}
	if !fresh {
		if string(stored) != sum {
			return httpapi.Errorf(fiber.StatusConflict, "事件 id %q 已用于另一内容的回调", ev.ID)
		}
		return c.JSON(fiber.Map{"duplicate": true, "event_id": ev.ID})
	}
	if err := m.apply(c, entry.Department, name, ev); err != nil {
		if ferr := m.o.Store.ForgetIdempotency(ctx, key); ferr != nil {
			return errors.Join(err, ferr)
		}
		return err
	}
	return c.JSON(fiber.Map{"applied": true, "event_id": ev.ID})
}

func (m *Module) apply(c *fiber.Ctx, department, connector string, ev connectors.Event) error {
	ctx := c.UserContext()
	if ev.Type == connectors.EventKBProposal {
		data, _ := json.Marshal(map[string]any{"connector": connector, "department": department, "event": ev, "status": "pending"})
		_, err := m.o.Store.Commit(ctx, store.Tx{Puts: []store.Put{{Force: true, Record: store.Record{
			Collection: CollKBProposals, ID: connector + ":" + ev.ID, Data: data,
			Index: map[string]string{"department": department, "status": "pending"},
		}}}})
		if err != nil {
			return fmt.Errorf("store kb proposal: %w", err)
		}
		return nil
	}
	if m.o.Apply == nil {
		return nil
	}
	return m.o.Apply(ctx, department, ev)
}

func urlUnescape(s string) (string, error) { return url.PathUnescape(s) }
