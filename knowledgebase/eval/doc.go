// Package eval measures search quality: recall@k and MRR overall and per
// query kind, over any Searcher, so the same evaluation runs in-process
// against an Index or over HTTP against a running gateway. It also loads a
// knowledge base in the JSON Lines shape of the development data into
// Documents.
package eval
