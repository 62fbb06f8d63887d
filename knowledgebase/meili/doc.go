// Package meili is the Meilisearch backend of knowledgebase.Index, built on
// github.com/meilisearch/meilisearch-go.
//
// Meilisearch matches words by prefix, tokenises Chinese with its own
// segmenter and considers at most ten words of a query, so relying on its
// own analysis would make it disagree with the embedded backend and miss
// infixes (简单 in 安装简单), pinyin and homophone typos. Instead every
// document carries pre-analysed term fields produced by
// knowledgebase/analysis (n-grams, dictionary words, pinyin, initials), each
// term encoded as one opaque lower-case Latin word so that Meilisearch's
// tokenizer keeps it whole, and a query is analysed the same way.
//
// A search is one /multi-search round trip with one single-term query per
// analysed query term (so a term that matches nothing cannot veto the
// others, as it would under Meilisearch's matching strategies) plus a
// placeholder query that counts the filtered documents. The adapter fuses
// the answers BM25-style: each term contributes its analysis weight × its
// inverse document frequency (from estimatedTotalHits) × Meilisearch's
// ranking score (which ranks a title match above a body match). One more
// search over the page's ids, with the raw query text, asks Meilisearch for
// highlights (_formatted); where it marks nothing, the adapter marks the
// title itself from the analysed terms.
//
// Writes wait for their Meilisearch task (bounded by ctx and
// Options.Timeout), so a read after a write sees it; a failed task is an
// error wrapping ErrTaskFailed.
//
// The index implements knowledgebase.BuildStamper: the stamp of the last
// complete build is kept in a side index (<uid>__meta) together with the
// adapter's schema and the analysis version, so a binary whose analysis
// would produce other terms sees an empty stamp and rebuilds.
package meili
