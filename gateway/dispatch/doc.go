// Package dispatch is the outbox relay: workers claim "delivery" items,
// deliver each through its department's connector wrapped in the resilience
// chain, record every attempt and the per-(ticket, destination) delivery
// state, park items without spending attempts while a breaker is open, back
// off retryable failures until a maximum age and dead-letter permanent
// failures with their reason. It also reports connector health and redrives
// dead letters.
package dispatch
