package topics

import (
	"math"
	"testing"
)

// nbTail against closed forms: r = 1 is geometric, P(N ≥ n) = (1-p)^n; and
// against a direct Poisson limit for large r.
func TestNBTail(t *testing.T) {
	for _, tc := range []struct {
		n    int
		p    float64
		want float64
	}{{1, 0.5, 0.5}, {3, 0.9, 1e-3}, {10, 0.8, math.Pow(0.2, 10)}, {0, 0.3, 1}} {
		if got := nbTail(tc.n, 1, tc.p); math.Abs(got-tc.want) > 1e-12+1e-9*tc.want {
			t.Errorf("nbTail(%d, 1, %.2f) = %g, want %g", tc.n, tc.p, got, tc.want)
		}
	}
	// r → ∞ with mean m fixed tends to Poisson(m).
	m, r := 2.0, 1e6
	p := r / (r + m)
	poissonTail := 1.0
	term := math.Exp(-m)
	for k := 0; k < 5; k++ {
		poissonTail -= term
		term *= m / float64(k+1)
	}
	if got := nbTail(5, r, p); math.Abs(got-poissonTail) > 1e-4 {
		t.Errorf("nbTail(5, big r) = %g, Poisson tail %g", got, poissonTail)
	}
	// Monotone in n.
	prev := 1.0
	for n := 0; n < 30; n++ {
		v := nbTail(n, 3.5, 0.7)
		if v > prev+1e-15 {
			t.Fatalf("nbTail not monotone at %d: %g > %g", n, v, prev)
		}
		prev = v
	}
}
