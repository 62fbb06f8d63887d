package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
	goredis "github.com/redis/go-redis/v9"
)

// Claim leases up to max items of topic: expired leases first, then due
// delayed items, then new stream entries.
func (s *Store) Claim(ctx context.Context, topic, consumer string, max int, lease time.Duration) ([]store.OutboxItem, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if err := store.CheckName("topic", topic, false); err != nil {
		return nil, err
	}
	if max <= 0 || lease <= 0 {
		return nil, fmt.Errorf("claim %s: %w: max and lease must be positive", topic, store.ErrInvalid)
	}
	if consumer == "" {
		consumer = "anonymous"
	}
	max = min(max, store.MaxClaim)
	raw, err := s.run(ctx, claimScript, nil, s.args(topic, consumer, max, ms(lease), store.NewID())...)
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", topic, err)
	}
	rows, _ := raw.([]any)
	out := make([]store.OutboxItem, 0, len(rows))
	for _, row := range rows {
		f, _ := row.([]any)
		if len(f) < 8 {
			continue
		}
		attempts, _ := strconv.Atoi(str(f[5]))
		out = append(out, store.OutboxItem{
			ID: str(f[0]), Topic: topic, Key: str(f[2]), Payload: []byte(str(f[3])),
			Attempts: attempts, NotBefore: parseNs(str(f[7])), CreatedAt: parseNs(str(f[4])),
			LastError: str(f[6]), Lease: str(f[1]),
		})
	}
	return out, nil
}

func (s *Store) leased(ctx context.Context, op string, sc *goredis.Script, item store.OutboxItem, extra ...any) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if item.Lease == "" {
		return fmt.Errorf("%s %s/%s: %w", op, item.Topic, item.ID, store.ErrLeaseLost)
	}
	raw, err := s.run(ctx, sc, nil, s.args(append([]any{item.Topic, item.ID, item.Lease}, extra...)...)...)
	if err != nil {
		return fmt.Errorf("%s %s/%s: %w", op, item.Topic, item.ID, err)
	}
	if str(raw) == "LOST" {
		return fmt.Errorf("%s %s/%s: %w", op, item.Topic, item.ID, store.ErrLeaseLost)
	}
	return nil
}

// Ack removes a claimed item for good.
func (s *Store) Ack(ctx context.Context, item store.OutboxItem) error {
	return s.leased(ctx, "ack", ackScript, item)
}

// Retry makes a claimed item due again at at.
func (s *Store) Retry(ctx context.Context, item store.OutboxItem, at time.Time, lastError string, countAttempt bool) error {
	count := "0"
	if countAttempt {
		count = "1"
	}
	atMs := int64(0)
	if !at.IsZero() {
		atMs = at.UnixMilli()
	}
	return s.leased(ctx, "retry", retryScript, item, atMs, nsString(at), lastError, count)
}

// Release returns claimed items at once without counting an attempt; items
// whose lease was lost are reported with ErrLeaseLost.
func (s *Store) Release(ctx context.Context, items []store.OutboxItem) error {
	var errs []error
	for _, it := range items {
		if err := s.leased(ctx, "release", releaseScript, it); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// DeadLetter parks a claimed item until an operator redrives it.
func (s *Store) DeadLetter(ctx context.Context, item store.OutboxItem, reason string) error {
	return s.leased(ctx, "dead-letter", deadScript, item, reason)
}

// ListDeadLetters lists dead letters of topic, oldest first.
func (s *Store) ListDeadLetters(ctx context.Context, topic string, limit int) ([]store.DeadLetter, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	limit, err := store.ListLimit(limit)
	if err != nil {
		return nil, err
	}
	ids, err := s.rdb.ZRange(ctx, s.p+"x:"+topic, 0, int64(limit-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("list dead letters %s: %w", topic, mapErr(err))
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*goredis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGetAll(ctx, s.p+"o:"+topic+"\x00"+id)
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("list dead letters %s: %w", topic, mapErr(err))
		}
	}
	out := make([]store.DeadLetter, 0, len(ids))
	for i, id := range ids {
		h := cmds[i].Val()
		if h["st"] != "x" {
			continue // redriven between the two reads
		}
		attempts, _ := strconv.Atoi(h["a"])
		out = append(out, store.DeadLetter{
			Item: store.OutboxItem{ID: id, Topic: topic, Key: h["k"], Payload: []byte(h["p"]), Attempts: attempts,
				NotBefore: parseNs(h["nb"]), CreatedAt: parseNs(h["c"]), LastError: h["e"]},
			Reason: h["r"],
			At:     parseStamp(h["da"]),
		})
	}
	return out, nil
}

// Redrive queues a dead letter again with its attempts reset.
func (s *Store) Redrive(ctx context.Context, topic, id string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	raw, err := s.run(ctx, redriveScript, nil, s.args(topic, id)...)
	if err != nil {
		return fmt.Errorf("redrive %s/%s: %w", topic, id, err)
	}
	if str(raw) == "NOTFOUND" {
		return fmt.Errorf("redrive %s/%s: %w", topic, id, store.ErrNotFound)
	}
	return nil
}

// Pending reports depth and oldest CreatedAt (millisecond precision) per key.
func (s *Store) Pending(ctx context.Context, topic string) (map[string]store.QueueStats, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	raw, err := s.run(ctx, pendingScript, nil, s.args(topic)...)
	if err != nil {
		return nil, fmt.Errorf("pending %s: %w", topic, err)
	}
	out := map[string]store.QueueStats{}
	rows, _ := raw.([]any)
	for _, row := range rows {
		f, _ := row.([]any)
		if len(f) < 3 {
			continue
		}
		oldest, _ := strconv.ParseFloat(str(f[2]), 64)
		out[str(f[0])] = store.QueueStats{Depth: int(num(f[1])), Oldest: time.UnixMilli(int64(oldest)).UTC()}
	}
	return out, nil
}
