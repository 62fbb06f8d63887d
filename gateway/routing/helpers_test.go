package routing

import "strings"

type testWriter struct{ strings.Builder }
