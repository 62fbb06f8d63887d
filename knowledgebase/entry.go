package knowledgebase

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Lifecycle states of entries and service items.
const (
	StatusDraft     = "draft"
	StatusInReview  = "in_review"
	StatusPublished = "published"
	StatusArchived  = "archived"
)

// Visibility of an entry.
const (
	VisibilityPublic   = "public"
	VisibilityInternal = "internal" // agents only
)

// Channels an entry serves.
const (
	ChannelHotline     = "hotline"
	ChannelWebsite     = "website"
	ChannelServiceItem = "service_item"
)

// MaterialTypes is the fixed set of material types (资料类型) of the city
// schema.
var MaterialTypes = []string{"办事指南", "法律法规", "热点问答", "日常咨询", "通知公告", "业务指引"}

// Limits from the city's entry schema.
const (
	MaxTitleRunes   = 128
	MaxKeywordRunes = 20
	MaxKeywords     = 50
	MaxAlternates   = 50
	MaxAnswerRunes  = 20000
)

// chinaTime is the zone of bare dates (YYYY-MM-DD) in entries.
var chinaTime = time.FixedZone("CST", 8*3600)

// Date is an instant that also accepts a bare date, read as 00:00 China time
// of that day: an entry whose expires_at is "2027-01-01" leaves public search
// when 2027-01-01 begins in China.
type Date struct{ time.Time }

// UnmarshalJSON accepts RFC 3339, a bare date or null/"".
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date must be a string: %w", err)
	}
	t, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = t
	return nil
}

// MarshalJSON writes RFC 3339.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.Time.Format(time.RFC3339))
}

// ParseDate parses RFC 3339 or YYYY-MM-DD (China time); "" is the zero Date.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return Date{t}, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, chinaTime); err == nil {
		return Date{t}, nil
	}
	return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD or RFC 3339", s)
}

// Entry is one knowledge-base entry (知识条目). The question is its title.
type Entry struct {
	ID             string   `json:"id"`
	Title          string   `json:"title"`
	Alternates     []string `json:"alternates,omitempty"`
	Answer         string   `json:"answer"`
	Category       string   `json:"category"`
	Department     string   `json:"department"`
	MaterialType   string   `json:"material_type,omitempty"`
	Keywords       []string `json:"keywords,omitempty"`
	Channels       []string `json:"channels,omitempty"`
	Region         string   `json:"region,omitempty"`
	IssuingUnit    string   `json:"issuing_unit,omitempty"`
	SourceDocument string   `json:"source_document,omitempty"`
	EffectiveFrom  Date     `json:"effective_from,omitzero"`
	ExpiresAt      Date     `json:"expires_at,omitzero"`
	ReviewDue      Date     `json:"review_due,omitzero"`
	Visibility     string   `json:"visibility"`
	Status         string   `json:"status"`

	// Bookkeeping, set by the service.
	Version   uint64    `json:"version"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	CreatedBy string    `json:"created_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	// Flags is computed on read: "expired", "review_due", "not_yet_effective".
	Flags []string `json:"flags,omitempty"`
}

// Flags computed for entries and items.
const (
	FlagExpired         = "expired"
	FlagReviewDue       = "review_due"
	FlagNotYetEffective = "not_yet_effective"
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)

// normalize cleans the free-text fields in place so that stored entries are
// canonical (trimmed, deduplicated keywords, default visibility).
func (e *Entry) normalize() {
	e.ID = strings.TrimSpace(e.ID)
	e.Title = strings.TrimSpace(e.Title)
	e.Answer = strings.TrimSpace(e.Answer)
	e.Category = strings.Trim(strings.TrimSpace(e.Category), "/")
	e.Department = strings.TrimSpace(e.Department)
	e.MaterialType = strings.TrimSpace(e.MaterialType)
	e.Alternates = cleanList(e.Alternates)
	e.Keywords = cleanList(e.Keywords)
	e.Channels = cleanList(e.Channels)
	if e.Visibility == "" {
		e.Visibility = VisibilityPublic
	}
}

func cleanList(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// validate reports every problem of e except the department's existence,
// which needs the store.
func (e *Entry) validate() fieldErrors {
	var fe fieldErrors
	if e.ID != "" && !idPattern.MatchString(e.ID) {
		fe.add("id", "1–64 letters, digits, '.', '_', ':' or '-'")
	}
	switch n := utf8.RuneCountInString(e.Title); {
	case n == 0:
		fe.add("title", "required")
	case n > MaxTitleRunes:
		fe.add("title", fmt.Sprintf("at most %d characters", MaxTitleRunes))
	}
	if len(e.Alternates) > MaxAlternates {
		fe.add("alternates", fmt.Sprintf("at most %d", MaxAlternates))
	}
	for i, a := range e.Alternates {
		if utf8.RuneCountInString(a) > MaxTitleRunes {
			fe.add(fmt.Sprintf("alternates[%d]", i), fmt.Sprintf("at most %d characters", MaxTitleRunes))
		}
	}
	switch n := utf8.RuneCountInString(e.Answer); {
	case n == 0:
		fe.add("answer", "required")
	case n > MaxAnswerRunes:
		fe.add("answer", fmt.Sprintf("at most %d characters", MaxAnswerRunes))
	}
	validateCategory(&fe, e.Category)
	if e.Department == "" {
		fe.add("department", "required")
	}
	if e.MaterialType != "" && !slices.Contains(MaterialTypes, e.MaterialType) {
		fe.add("material_type", "one of "+strings.Join(MaterialTypes, ", "))
	}
	validateKeywords(&fe, e.Keywords)
	for i, c := range e.Channels {
		if c != ChannelHotline && c != ChannelWebsite && c != ChannelServiceItem {
			fe.add(fmt.Sprintf("channels[%d]", i), "one of hotline, website, service_item")
		}
	}
	if utf8.RuneCountInString(e.Region) > 64 {
		fe.add("region", "at most 64 characters")
	}
	if utf8.RuneCountInString(e.IssuingUnit) > 128 {
		fe.add("issuing_unit", "at most 128 characters")
	}
	if utf8.RuneCountInString(e.SourceDocument) > 256 {
		fe.add("source_document", "at most 256 characters")
	}
	if !e.EffectiveFrom.IsZero() && !e.ExpiresAt.IsZero() && !e.ExpiresAt.After(e.EffectiveFrom.Time) {
		fe.add("expires_at", "must be after effective_from")
	}
	if e.Visibility != VisibilityPublic && e.Visibility != VisibilityInternal {
		fe.add("visibility", "public or internal")
	}
	if !validStatus(e.Status) {
		fe.add("status", "one of draft, in_review, published, archived")
	}
	return fe
}

func validateCategory(fe *fieldErrors, category string) {
	if category == "" {
		fe.add("category", "required")
		return
	}
	if utf8.RuneCountInString(category) > 256 {
		fe.add("category", "at most 256 characters")
	}
	for _, seg := range strings.Split(category, "/") {
		if strings.TrimSpace(seg) == "" {
			fe.add("category", "empty path segment")
			break
		}
	}
}

func validateKeywords(fe *fieldErrors, kws []string) {
	if len(kws) > MaxKeywords {
		fe.add("keywords", fmt.Sprintf("at most %d", MaxKeywords))
	}
	for i, k := range kws {
		if utf8.RuneCountInString(k) > MaxKeywordRunes {
			fe.add(fmt.Sprintf("keywords[%d]", i), fmt.Sprintf("at most %d characters", MaxKeywordRunes))
		}
	}
}

func validStatus(s string) bool {
	switch s {
	case StatusDraft, StatusInReview, StatusPublished, StatusArchived:
		return true
	}
	return false
}

// searchable reports whether a published document with these dates is
// within its validity at now.
func searchable(status string, effective, expires Date, now time.Time) bool {
	if status != StatusPublished {
		return false
	}
	if !effective.IsZero() && now.Before(effective.Time) {
		return false
	}
	if !expires.IsZero() && !now.Before(expires.Time) {
		return false
	}
	return true
}

func dateFlags(effective, expires, reviewDue Date, now time.Time) []string {
	var out []string
	if !expires.IsZero() && !now.Before(expires.Time) {
		out = append(out, FlagExpired)
	}
	if !reviewDue.IsZero() && !now.Before(reviewDue.Time) {
		out = append(out, FlagReviewDue)
	}
	if !effective.IsZero() && now.Before(effective.Time) {
		out = append(out, FlagNotYetEffective)
	}
	return out
}

// Document projects e into the index at now.
func (e *Entry) Document(now time.Time) Document {
	return Document{
		ID:         e.ID,
		Kind:       KindEntry,
		Title:      e.Title,
		Alternates: e.Alternates,
		Body:       e.Answer,
		Department: e.Department,
		Category:   e.Category,
		Channels:   e.Channels,
		Keywords:   e.Keywords,
		Region:     e.Region,
		Internal:   e.Visibility == VisibilityInternal,
		Searchable: searchable(e.Status, e.EffectiveFrom, e.ExpiresAt, now),
		ExpiresAt:  e.ExpiresAt.Time,
		UpdatedAt:  e.UpdatedAt,
	}
}
