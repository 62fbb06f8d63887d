// Package calendar computes deadlines in working days: a per-year table of
// public holidays and adjusted working weekends (调休), as published each year
// by the General Office of the State Council, with a Monday–Friday fallback
// for years that have no table. The 2026 schedule is embedded as the default.
package calendar
