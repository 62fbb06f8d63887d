package topics

import (
	"sort"
	"strings"
	"time"
)

// Topic statuses. A topic is rising while tickets arrive within the burst
// window, active until the cooldown has passed without one, then closed.
const (
	StatusRising = "rising"
	StatusActive = "active"
	StatusClosed = "closed"
	StatusMerged = "merged"
)

// TopicTicket is one ticket of a topic: ids only, never text or caller data.
type TopicTicket struct {
	ID         string    `json:"id"`
	Code       string    `json:"code,omitempty"`
	At         time.Time `json:"at"`
	District   string    `json:"district,omitempty"`
	Department string    `json:"department,omitempty"`
}

// TrendBucket counts a topic's tickets in one hour.
type TrendBucket struct {
	Start time.Time `json:"start"`
	Count int       `json:"count"`
}

// Topic is the supervisor's view of a flagged cluster, stored in the
// "topics" collection.
type Topic struct {
	ID           string         `json:"id"`
	Status       string         `json:"status"`
	MergedInto   string         `json:"merged_into,omitempty"`
	Title        string         `json:"title"`
	Keywords     []string       `json:"keywords"`
	Count        int            `json:"count"`
	Tickets      []TopicTicket  `json:"tickets"`
	District     string         `json:"district,omitempty"`
	Districts    map[string]int `json:"districts,omitempty"`
	TopAddresses []string       `json:"top_addresses,omitempty"`
	Departments  []string       `json:"departments,omitempty"`
	Categories   []string       `json:"categories,omitempty"`
	Trend        []TrendBucket  `json:"trend"`
	FirstSeen    time.Time      `json:"first_seen"`
	LastSeen     time.Time      `json:"last_seen"`
	FlaggedAt    time.Time      `json:"flagged_at"`
	P            float64        `json:"p"`
	Alpha        float64        `json:"alpha,omitempty"`
	// Fired is committed together with the alert's outbox item, so the
	// alert is enqueued once whatever restarts or replicas do.
	Fired bool `json:"fired"`
}

// StatusAt derives the status at now from the last ticket's time.
func (t Topic) StatusAt(now time.Time, window, cooldown time.Duration) string {
	switch {
	case t.Status == StatusMerged:
		return StatusMerged
	case now.Sub(t.LastSeen) <= window:
		return StatusRising
	case now.Sub(t.LastSeen) <= cooldown:
		return StatusActive
	}
	return StatusClosed
}

// topicOf builds the view of a cluster.
func (e *Engine) topicOf(c *Cluster) Topic {
	t := Topic{ID: c.ID, Count: c.Count, District: top(c.Districts), Districts: c.Districts,
		TopAddresses: ranked(c.Addresses, 3), Departments: ranked(c.Departments, 5), Categories: ranked(c.Categories, 3),
		FirstSeen: c.Created, LastSeen: c.Last, FlaggedAt: c.FlaggedAt, P: c.P, Keywords: keywords(c.Centroid, 6)}
	t.Status = t.StatusAt(e.st.Now, e.o.Window, e.o.Cooldown)
	for _, m := range c.Members {
		t.Tickets = append(t.Tickets, TopicTicket{ID: m.ID, Code: m.Code, At: m.At, District: m.District, Department: m.Department})
	}
	hours := make([]int64, 0, len(c.Hours))
	for h := range c.Hours {
		hours = append(hours, h)
	}
	sort.Slice(hours, func(i, j int) bool { return hours[i] < hours[j] })
	if len(hours) > 0 {
		// Dense hourly buckets over the last 48 hours of the topic.
		last := hours[len(hours)-1]
		first := max(hours[0], last-47)
		for h := first; h <= last; h++ {
			t.Trend = append(t.Trend, TrendBucket{Start: time.Unix(h*3600, 0).UTC(), Count: c.Hours[h]})
		}
	}
	place := t.District
	if len(t.TopAddresses) > 0 {
		place = t.TopAddresses[0]
	}
	t.Title = strings.TrimSpace(place + " " + strings.Join(first(t.Keywords, 3), "、"))
	return t
}

func first(xs []string, n int) []string {
	if len(xs) > n {
		return xs[:n]
	}
	return xs
}

// ranked returns up to n keys by descending count.
func ranked(m map[string]int, n int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return first(keys, n)
}

// keywords returns the heaviest dictionary words of a centroid.
func keywords(centroid map[string]float64, n int) []string {
	type tw struct {
		t string
		w float64
	}
	var all []tw
	for t, w := range centroid {
		if s, ok := strings.CutPrefix(t, "w:"); ok {
			all = append(all, tw{s, w})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].w != all[j].w {
			return all[i].w > all[j].w
		}
		return all[i].t < all[j].t
	})
	out := make([]string, 0, n)
	for _, x := range all {
		if len(out) == n {
			break
		}
		out = append(out, x.t)
	}
	return out
}

// Topic returns the view of a live cluster.
func (e *Engine) Topic(id string) (Topic, bool) {
	c := e.st.Clusters[id]
	if c == nil {
		return Topic{}, false
	}
	return e.topicOf(c), true
}
