// Package topicsapi exposes hot topics (gateway/topics) to supervisors:
// the list of rising and recent topics, one topic, drafts of a KB entry and
// a public notice made from a topic, and merging (并单) or answering the
// topic's tickets together through functions the gateway injects.
package topicsapi
