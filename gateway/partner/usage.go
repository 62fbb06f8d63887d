package partner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hallgate/hallgate/gateway/store"
)

// CallsCollection holds one record per partner call.
const CallsCollection = "partner_calls"

// MaxUsageDays bounds one usage query.
const MaxUsageDays = 92

// ErrBadRange: a usage query's days are malformed or too many.
var ErrBadRange = errors.New("partner: bad usage range")

// Zone is the calendar the days of usage are counted in (the city's, UTC+8).
var Zone = time.FixedZone("CST", 8*3600)

// DayOf returns the usage day of t, YYYY-MM-DD in Zone.
func DayOf(t time.Time) string { return t.In(Zone).Format(time.DateOnly) }

type call struct {
	Partner  string    `json:"partner"`
	Endpoint string    `json:"endpoint"`
	At       time.Time `json:"at"`
	Status   int       `json:"status,omitempty"`
}

// Count records one call of endpoint by partner. Each call is its own
// record with a random id, so concurrent calls on any replica never
// conflict and Count over the indexes is exact.
func (r *Registry) Count(ctx context.Context, partnerID, endpoint string) error {
	now := r.now()
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	day := DayOf(now)
	data, err := json.Marshal(call{Partner: partnerID, Endpoint: endpoint, At: now.UTC()})
	if err != nil {
		return err
	}
	_, err = r.st.Commit(ctx, store.Tx{Puts: []store.Put{{Record: store.Record{
		Collection: CallsCollection,
		ID:         partnerID + "/" + day + "/" + hex.EncodeToString(b[:]),
		Data:       data,
		Index:      map[string]string{"partner": partnerID, "day": day, "endpoint": endpoint, "partner_day": partnerID + "/" + day},
	}}}})
	if err != nil {
		return fmt.Errorf("count partner call: %w", err)
	}
	return nil
}

// DayUsage is one day's calls of a partner.
type DayUsage struct {
	Day        string         `json:"day"`
	Total      int            `json:"total"`
	ByEndpoint map[string]int `json:"by_endpoint"`
}

// Usage is a partner's calls over a range of days.
type Usage struct {
	Partner string     `json:"partner"`
	From    string     `json:"from"`
	To      string     `json:"to"`
	Total   int        `json:"total"`
	Days    []DayUsage `json:"days"`
}

// Usage counts the partner's calls per day and per endpoint from from to
// to (days YYYY-MM-DD in Zone, inclusive; empty = the last 7 days).
// endpoints are the endpoint names to break the days down by.
func (r *Registry) Usage(ctx context.Context, partnerID, from, to string, endpoints []string) (Usage, error) {
	if _, err := r.Get(ctx, partnerID); err != nil {
		return Usage{}, err
	}
	today := DayOf(r.now())
	if to == "" {
		to = today
	}
	end, err1 := time.ParseInLocation(time.DateOnly, to, Zone)
	if from == "" {
		from = end.AddDate(0, 0, -6).Format(time.DateOnly)
	}
	start, err2 := time.ParseInLocation(time.DateOnly, from, Zone)
	if err := errors.Join(err1, err2); err != nil {
		return Usage{}, fmt.Errorf("%w: days are YYYY-MM-DD", ErrBadRange)
	}
	if end.Before(start) {
		return Usage{}, fmt.Errorf("%w: from is after to", ErrBadRange)
	}
	if end.Sub(start) > MaxUsageDays*24*time.Hour {
		return Usage{}, fmt.Errorf("%w: at most %d days", ErrBadRange, MaxUsageDays)
	}
	u := Usage{Partner: partnerID, From: from, To: to, Days: []DayUsage{}}
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		du, err := r.dayUsage(ctx, partnerID, d.Format(time.DateOnly), endpoints)
		if err != nil {
			return Usage{}, err
		}
		u.Total += du.Total
		u.Days = append(u.Days, du)
	}
	return u, nil
}

// dayUsage adds the day's call records to its compacted summary. The
// summary's version is read before and after counting: Compact moves calls
// from records to the summary in one transaction that bumps the version,
// so an unchanged version means no call was seen twice or missed.
func (r *Registry) dayUsage(ctx context.Context, partnerID, day string, endpoints []string) (DayUsage, error) {
	filter := map[string]string{"partner_day": partnerID + "/" + day}
	for attempt := 0; ; attempt++ {
		sum, v1, err := r.summary(ctx, partnerID, day)
		if err != nil {
			return DayUsage{}, err
		}
		du := DayUsage{Day: day, ByEndpoint: map[string]int{}}
		if du.Total, err = r.st.Count(ctx, CallsCollection, filter); err != nil {
			return DayUsage{}, err
		}
		if du.Total > 0 {
			for _, ep := range endpoints {
				n, err := r.st.Count(ctx, CallsCollection, map[string]string{"partner_day": partnerID + "/" + day, "endpoint": ep})
				if err != nil {
					return DayUsage{}, err
				}
				if n > 0 {
					du.ByEndpoint[ep] = n
				}
			}
		}
		_, v2, err := r.summary(ctx, partnerID, day)
		if err != nil {
			return DayUsage{}, err
		}
		if v1 != v2 && attempt < 10 {
			continue
		}
		for ep, n := range sum.ByEndpoint {
			du.ByEndpoint[ep] += n
			du.Total += n
		}
		return du, nil
	}
}
