package indextest

import (
	"time"

	"github.com/hallgate/hallgate/knowledgebase"
)

// The suite's documents are written for it: plausible service-hall text,
// chosen so that the documents of one subtest share no query word unless
// the subtest means them to.

// updated is a fixed modification time, so documents are reproducible.
var updated = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

type docOpt func(*knowledgebase.Document)

// doc builds a published, public FAQ entry with neutral filter fields;
// options change what a subtest needs.
func doc(id, title, body string, opts ...docOpt) knowledgebase.Document {
	d := knowledgebase.Document{
		ID:         id,
		Kind:       knowledgebase.KindEntry,
		Title:      title,
		Body:       body,
		Department: "dept-general",
		Category:   "综合服务/其他",
		Channels:   []string{"hotline", "website"},
		Searchable: true,
		UpdatedAt:  updated,
	}
	for _, o := range opts {
		o(&d)
	}
	return d
}

func department(code string) docOpt { return func(d *knowledgebase.Document) { d.Department = code } }
func category(path string) docOpt   { return func(d *knowledgebase.Document) { d.Category = path } }
func kind(k string) docOpt          { return func(d *knowledgebase.Document) { d.Kind = k } }
func internal() docOpt              { return func(d *knowledgebase.Document) { d.Internal = true } }
func hidden() docOpt                { return func(d *knowledgebase.Document) { d.Searchable = false } }

func channels(cs ...string) docOpt {
	return func(d *knowledgebase.Document) { d.Channels = cs }
}

func expires(at time.Time) docOpt { return func(d *knowledgebase.Document) { d.ExpiresAt = at } }

func alternates(as ...string) docOpt {
	return func(d *knowledgebase.Document) { d.Alternates = as }
}

func keywords(ks ...string) docOpt {
	return func(d *knowledgebase.Document) { d.Keywords = ks }
}
