// Package analysis turns Chinese government-service text into search terms.
// Both index backends (embedded and meili) and the ticket router use it, so
// that a query is understood the same way everywhere.
//
// The pipeline is: Normalize (full/half width, traditional → simplified for
// common characters, case, punctuation) → Segment (forward maximum matching
// over a compact government-services dictionary that ships with hallgate,
// unknown runs fall back to single characters) → terms. Index terms are
// character unigrams and bigrams (so infixes match: 简单 finds 安装简单),
// dictionary words, and for short fields pinyin terms (bigram syllables,
// whole-word pinyin, initials such as sbk). Query terms add synonym
// expansions (a shipped default set plus runtime groups from SetSynonyms),
// pinyin of the query's bigrams (so homophone typos such as 公积斤 or 户藉
// still meet 公积金 and 户籍) and, for Latin runs, a split into pinyin
// syllables (shebaoka, tuoyu) or initials (sbk, gjj).
//
// We deliberately do not load gse's 230 MiB dictionary: a small dictionary
// plus n-grams gives the same recall for FAQ search, starts in milliseconds
// and keeps the process well under its memory budget.
package analysis
