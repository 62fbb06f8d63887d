package routing

import "strings"

type testWriter struct{ strings.Builder }

// foldSplit is fold f of k over exs in their order: every k-th example
// (from f) is held out, the rest train.
func foldSplit(exs []Example, k, f int) (train, test []Example) {
	for i, ex := range exs {
		if i%k == f {
			test = append(test, ex)
		} else {
			train = append(train, ex)
		}
	}
	return train, test
}
