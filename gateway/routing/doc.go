// Package routing is the dispatch catalogue and the suggester of hallgate:
// given a citizen's request text it proposes the lead department (主办), the
// co-departments (协办), the request type, whether the matter is urgent, KB
// entries an agent could answer from on the spot (直接答复), and the evidence
// for each proposal in Chinese.
//
// What it learns from, and only from: the departments' responsibilities
// (三定 duties), the shipped starter examples (starter.go: requests labelled
// by kind of department, given to the city's department of each kind,
// unless Options.NoStarters), the knowledge-base entries (each carries its department),
// the labelled history of tickets (Observe / ObserveBatch, persisted in the
// store collection "routing_examples" and reloaded at Open), and the rules
// an administrator enters in the catalogue (collection "routing_rules"),
// the city's edits of the concept lexicon (collection "routing_settings")
// and the knowledge base's runtime synonyms.
//
// How the department is scored (predict.go), on hashed features (Han
// character bigrams and trigrams plus the shared analyzer's words and their
// synonyms, plus one feature per concept of the concept lexicon the text
// mentions: concepts.go, the shipped concepts.txt with the city's edits
// and the KB's runtime synonyms applied, concepts_edit.go), after removing
// address spans:
//   - a multinomial logistic regression trained by SGD over history, KB and
//     duty documents;
//   - k nearest history tickets and KB entries ("similar past tickets and
//     where they went");
//   - the cosine to each department's centroid;
//   - a BM25 vote over the KB entries, answers included;
//   - a BM25 match against each responsibility clause of each department
//     (the 三定 text split on 、；，。 and 负责, every clause its own
//     mini-document, the best clause per department), quoted as evidence;
//   - complement naive Bayes (cnb.go) over the same weighted features;
//   - catalogue rules, which add a priority-scaled bonus and co-departments;
//   - the catalogue's scope rules (lines of a city's dispatch guide, read by
//     ParseGuide, guide.go): their clauses are training documents of their
//     department like the 三定 text, and a BM25 over the clauses is one more
//     scorer in the stack (scope.go); the lead's best-matching clause brings
//     the co-departments the guide names for that case, and urgent rules'
//     phrases mark a request urgent.
//
// The scorers are combined by stacking (stack.go): the history is cut into
// five inner folds, models trained without each fold score it, and a
// conditional logit learns from those out-of-sample views how far to trust
// each scorer (its share, rank, confidence, and how many scorers agree).
// With too little history the fixed blend weights are used.
//
// Features are weighted by TF-IDF times a supervised weight learned from the
// same documents (one minus the normalised entropy of a feature's spread
// over departments), so call-centre boilerplate and place names lose weight
// without any hand-made stop list.
//
// Request type is a separate class-balanced logistic regression over history
// with general cue-phrase features (咨询/投诉/举报/建议/表扬/求助 phrasing, a
// live hazard), the channel, and how close the request is to its nearest KB
// question (requests that match one are mostly enquiries), its distribution
// averaged with a complement naive Bayes over the same features (typecal.go). Urgency is recall-first: a general safety-hazard lexicon
// (strong phrases alone, weak ones in context) or urgent nearest neighbours.
// Direct answers are offered only for enquiries that are not about the
// caller's own case, from KB hits of the lead department reranked by topical
// similarity.
//
// Wiring: Open(ctx, Options{Store, Departments, KBEntries, KBSearch, Synonyms}) — use
// FromIndex to adapt a knowledgebase.Index; call Observe when a ticket is
// closed with its final department, and Invalidate when KB entries or
// departments change, SyncConcepts to notice concept edits or synonyms
// saved elsewhere. Evaluate prints the evaluation table for
// `hallgate eval routing`.
package routing
