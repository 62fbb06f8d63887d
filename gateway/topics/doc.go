// Package topics watches the ticket stream for hot topics (热点): many people
// calling about the same matter in the same place within a short time.
//
// The core is Engine, a pure in-memory online clusterer with a burst test:
//
//   - Each ticket becomes a TF-IDF vector over the shared Chinese analyzer's
//     words (synonyms folded to one canonical form, so 停水 and 没水 meet) and
//     Han bigrams of the content text (so unknown place and shop names still
//     match). It joins the most similar cluster that was active within the
//     idle horizon if text cosine plus district and address agreement pass a
//     threshold; otherwise it starts a cluster. Clusters that are both busy
//     in the current window and whose centroids agree are merged (same matter).
//   - Each arrival tests its cluster: n, the cluster's tickets in the sliding
//     window (default 2 h), against its own baseline. The baseline is the
//     cluster's share of the whole stream, learned from its history before the
//     window with a Gamma prior (a matter never seen before is assumed to run
//     at PriorPerDay tickets a day, with the weight of one ticket).
//     Conditioning on the number w of all tickets in the window makes the
//     test follow diurnal and seasonal volume without a separate model. The
//     predictive count is negative binomial; since the test runs because a
//     ticket just arrived, that ticket is given and the others are tested
//     (P(N ≥ n-1) among w-1). The cluster is flagged when the tail is below
//     alpha = target false alarms per day / tests per day (one test per
//     arrival, the day's volume learned from the stream): a Bonferroni bound
//     on the expected number of false alarms per day. Nothing is flagged
//     during the first Learning period (24 h of stream): a cold engine has no
//     baselines.
//   - A flagged topic is bound to its place (a like matter at another address
//     starts a new topic) and ends after Cooldown (24 h) without tickets.
//
// Detector wraps the engine for a replicated gateway. Observe (called on any
// replica) enqueues a TicketSignal on the store's outbox (topic
// "topic-signal"); one replica at a time holds the lease "topics/detector"
// and drains that queue into the engine, committing the engine snapshot
// (collection "topic_state") and the changed topics (collection "topics")
// before acking the signals. A replica that takes the lease over loads the
// snapshot first; a signal replayed after a crash is recognised by its ticket
// id and ignored. When a topic is first flagged, its record is committed with
// Fired=true in the same transaction as an outbox item "topic-alert" whose id
// is the topic id, so the alert is enqueued exactly once; Alerter delivers it
// to a webhook, HMAC-signed, with retries (at least once, the topic id is the
// receiver's deduplication key).
//
// Evaluate replays a background stream resampled from a tickets file with
// generated bursts injected, and reports detection and false alarms.
package topics
