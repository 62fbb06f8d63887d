// Package email is the connector kind for departments without a system of
// their own: each delivery becomes a mail (SMTP with STARTTLS) to the
// department's mailbox carrying the ticket code, its title and a link to the
// department console where the ticket is handled. The mail never carries the
// caller's name or phone number.
package email
