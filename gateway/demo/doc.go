// Package demo is a small city written for hallgate ("示范市": eight
// departments, their legacy hotlines, a few dozen knowledge-base entries and
// service items, dispatch rules, staff users and sample tickets) and the
// in-process department simulators that `hallgate serve --demo` starts, so a
// newcomer can click through a whole call in a minute. Nothing here is taken
// from a real city's data.
package demo
