// Package hotline federates the old departmental hotline numbers into 12345:
// a registry of legacy numbers with their consolidation mode, caller number
// normalisation, call events from CTI integrations, the screen pop and the
// missed-call call-back list.
package hotline
