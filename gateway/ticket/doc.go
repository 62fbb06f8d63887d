// Package ticket is the 工单: the ticket model, its state machine, deadlines
// on a working-day calendar, intake with idempotency and merge candidates,
// import of historical tickets, the SLA scheduler and statistics.
//
// Every change of a ticket is one store.Tx carrying the new ticket version
// and the outbox deliveries it causes (transactional outbox), so a crash
// never leaves a ticket without its deliveries or the reverse.
//
// Personal data: the caller's name and phone are sealed with pii.Sealer
// (AES-GCM) at rest; the phone is indexed through the keyed hash of its
// normalised form (the hash the hotline screen pop looks up). Who sees
// them in clear:
//   - agents, supervisors and admins: always (they call citizens back);
//   - departments (API and deliveries): only when the caller did not ask for
//     confidentiality (保密); confidential callers are masked (138****5678, 张*);
//   - every other role (editor, partner, open311): masked;
//   - citizens: the public tracking view by code + the phone's last 4 digits,
//     which carries no personal data at all.
package ticket
