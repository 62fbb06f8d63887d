// Package department holds the departments' master data (部门): code, names,
// the legacy hotlines merged into 12345, the consolidation mode and the duties
// (三定). Every later part — knowledge-base entries, service items, routing,
// hotlines — names departments by code and checks them here.
package department
