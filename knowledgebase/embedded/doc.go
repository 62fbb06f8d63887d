// Package embedded is the default, in-process knowledgebase.Index: an
// inverted index over the terms of the analysis package, scored with BM25F
// (title and alternates > keywords > category > answer), kept in memory and
// persisted under a directory as a compact binary snapshot plus a
// write-ahead log of the changes since. Re-opening reads the snapshot
// without re-analysing any text.
package embedded
