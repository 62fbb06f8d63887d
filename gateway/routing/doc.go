// Package routing is the dispatch catalogue and the suggester of hallgate:
// given a citizen's request text it proposes the lead department (主办), the
// co-departments (协办), the request type, whether the matter is urgent, KB
// entries an agent could answer from on the spot (直接答复), and the evidence
// for each proposal in Chinese.
//
// The suggester learns: a linear classifier and a nearest-neighbour index are
// built in-process over the labelled history of tickets, the knowledge-base
// entries (each carries its department) and the departments' duties, and
// rebuilt from the store at start. Catalogue rules entered by an
// administrator add explicit, explainable preferences on top. Nothing in the
// package is fitted to a particular city: the only written-in knowledge is a
// general lexicon of safety hazards and request-type phrasing.
package routing
