package meili

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/analysis"
)

// Attribute names of the stored Meilisearch document.
const (
	attrID         = "id"
	attrKind       = "kind"
	attrTitle      = "title"
	attrAlternates = "alternates"
	attrBody       = "body"
	attrKeywords   = "keywords"
	attrDepartment = "department"
	attrCategory   = "category"
	attrCatPath    = "category_path" // the category and each of its "/" prefixes
	attrChannels   = "channels"
	attrRegion     = "region"
	attrInternal   = "internal"
	attrSearchable = "searchable"
	attrExpiresAt  = "expires_at" // Unix milliseconds; 0 = never expires
	attrUpdatedAt  = "updated_at" // Unix milliseconds
	attrLenHead    = "len_head"   // number of terms in the head term fields
	attrLenBody    = "len_body"   // number of terms in t_body

	// Pre-analysed term fields, one encoded word per term occurrence.
	attrTermsTitle = "t_title"
	attrTermsAlt   = "t_alternates"
	attrTermsKw    = "t_keywords"
	attrTermsCat   = "t_category"
	attrTermsBody  = "t_body"
)

// termAttributes are searched by the term queries, strongest first; the
// order is Meilisearch's attribute ranking.
var termAttributes = []string{attrTermsTitle, attrTermsAlt, attrTermsKw, attrTermsCat, attrTermsBody}

// headAttributes are the short, question-like term fields: a match there is
// worth more than one in the answer, and gets its own idf.
var headAttributes = []string{attrTermsTitle, attrTermsAlt, attrTermsKw, attrTermsCat}

// rawAttributes are searched only by the highlight query.
var rawAttributes = []string{attrTitle, attrAlternates, attrKeywords, attrBody}

// meiliDoc is the stored shape. Term fields are strings of space-separated
// encoded terms: Meilisearch splits them on spaces only.
type meiliDoc struct {
	ID         string   `json:"id"`
	Kind       string   `json:"kind"`
	Title      string   `json:"title"`
	Alternates []string `json:"alternates"`
	Body       string   `json:"body"`
	Keywords   []string `json:"keywords"`
	Department string   `json:"department"`
	Category   string   `json:"category"`
	CatPath    []string `json:"category_path"`
	Channels   []string `json:"channels"`
	Region     string   `json:"region"`
	Internal   bool     `json:"internal"`
	Searchable bool     `json:"searchable"`
	ExpiresAt  int64    `json:"expires_at"`
	UpdatedAt  int64    `json:"updated_at"`
	LenHead    int      `json:"len_head"`
	LenBody    int      `json:"len_body"`

	TermsTitle string `json:"t_title"`
	TermsAlt   string `json:"t_alternates"`
	TermsKw    string `json:"t_keywords"`
	TermsCat   string `json:"t_category"`
	TermsBody  string `json:"t_body"`
}

// encodeTerm turns an analysis term ("社保", "~shebao", "^sbk", "app") into
// one opaque word of letters a–p (two per byte) framed by 'x' and 'z'.
// Meilisearch keeps such a run whole (no CJK segmentation, no split of the
// pinyin markers), and the closing 'z', which no encoded byte uses, stops
// its prefix matching from treating 社 as a prefix of 社保.
func encodeTerm(t string) string {
	b := make([]byte, 0, 2*len(t)+2)
	b = append(b, 'x')
	for i := 0; i < len(t); i++ {
		b = append(b, 'a'+t[i]>>4, 'a'+t[i]&0x0f)
	}
	return string(append(b, 'z'))
}

// maxTermBytes keeps encoded words (2 bytes per byte, plus 2) under the
// length at which Meilisearch stops indexing a word; longer terms (long
// Latin runs such as URLs) are left out of documents and queries alike.
const maxTermBytes = 120

func encodeTerms(terms []analysis.Term) string {
	var b strings.Builder
	for _, t := range terms {
		if len(t.Text) > maxTermBytes {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(encodeTerm(t.Text))
	}
	return b.String()
}

// Meilisearch document ids may hold only ASCII letters, digits, - and _ and
// at most 511 bytes. Other ids are stored base64url-encoded behind
// encodedIDPrefix, which an id is never allowed to start with as is, so the
// mapping is reversible and injective.
const (
	encodedIDPrefix = "b64_"
	maxIDBytes      = 360 // 4/3 × 360 + prefix stays under 511
)

func safeID(id string) bool {
	if id == "" || strings.HasPrefix(id, encodedIDPrefix) {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func toPK(id string) (string, error) {
	if id == "" || len(id) > maxIDBytes {
		return "", fmt.Errorf("%w: id must be 1..%d bytes, got %d", ErrBadDocument, maxIDBytes, len(id))
	}
	if safeID(id) {
		return id, nil
	}
	return encodedIDPrefix + base64.RawURLEncoding.EncodeToString([]byte(id)), nil
}

func fromPK(pk string) string {
	if rest, ok := strings.CutPrefix(pk, encodedIDPrefix); ok {
		if b, err := base64.RawURLEncoding.DecodeString(rest); err == nil {
			return string(b)
		}
	}
	return pk
}

// categoryPrefixes returns "a", "a/b", "a/b/c" for "a/b/c", so that a filter
// on any path prefix is one equality on an array attribute.
func categoryPrefixes(path string) []string {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil
	}
	parts := strings.Split(path, "/")
	out := make([]string, 0, len(parts))
	for i := range parts {
		out = append(out, strings.Join(parts[:i+1], "/"))
	}
	return out
}

func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// toMeili projects a document and its analysed terms into the stored shape.
func toMeili(a *analysis.Analyzer, d knowledgebase.Document) (meiliDoc, error) {
	pk, err := toPK(d.ID)
	if err != nil {
		return meiliDoc{}, err
	}
	if d.Kind != knowledgebase.KindEntry && d.Kind != knowledgebase.KindItem {
		return meiliDoc{}, fmt.Errorf("%w: %s: kind %q", ErrBadDocument, d.ID, d.Kind)
	}
	var alt, kw []analysis.Term
	for _, s := range d.Alternates {
		alt = append(alt, a.IndexTerms(analysis.FieldAlternates, s)...)
	}
	for _, s := range d.Keywords {
		kw = append(kw, a.IndexTerms(analysis.FieldKeywords, s)...)
	}
	exp := unixMilli(d.ExpiresAt)
	title := a.IndexTerms(analysis.FieldTitle, d.Title)
	cat := a.IndexTerms(analysis.FieldCategory, strings.ReplaceAll(d.Category, "/", " "))
	body := a.IndexTerms(analysis.FieldBody, d.Body)
	return meiliDoc{
		ID:         pk,
		Kind:       d.Kind,
		Title:      d.Title,
		Alternates: nonNil(d.Alternates),
		Body:       d.Body,
		Keywords:   nonNil(d.Keywords),
		Department: d.Department,
		Category:   d.Category,
		CatPath:    nonNil(categoryPrefixes(d.Category)),
		Channels:   nonNil(d.Channels),
		Region:     d.Region,
		Internal:   d.Internal,
		Searchable: d.Searchable,
		ExpiresAt:  exp,
		UpdatedAt:  unixMilli(d.UpdatedAt),
		LenHead:    len(title) + len(alt) + len(kw) + len(cat),
		LenBody:    len(body),
		TermsTitle: encodeTerms(title),
		TermsAlt:   encodeTerms(alt),
		TermsKw:    encodeTerms(kw),
		TermsCat:   encodeTerms(cat),
		TermsBody:  encodeTerms(body),
	}, nil
}

// nonNil stores empty lists as [] rather than null, which Meilisearch
// filters treat the same but which reads better in the documents API.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
