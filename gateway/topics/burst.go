package topics

import "math"

// nbTail returns P(N >= n) for N ~ NegativeBinomial(r, p): the number of
// failures before the r-th success, pmf(k) = Γ(k+r)/(Γ(r) k!) p^r (1-p)^k,
// mean r(1-p)/p. It is the Gamma–Poisson predictive of a count whose rate
// has a Gamma(r, b) posterior, with p = b/(b+exposure).
func nbTail(n int, r, p float64) float64 {
	if n <= 0 {
		return 1
	}
	if p >= 1 {
		return 0
	}
	if p <= 0 {
		return 1
	}
	lgR, _ := math.Lgamma(r)
	logPMF := func(k int) float64 {
		a, _ := math.Lgamma(float64(k) + r)
		b, _ := math.Lgamma(float64(k) + 1)
		return a - lgR - b + r*math.Log(p) + float64(k)*math.Log1p(-p)
	}
	mean := r * (1 - p) / p
	if float64(n) > mean {
		// Upper tail directly: terms fall off geometrically past the mode,
		// and summing them keeps precision for tiny tails.
		sum := 0.0
		lp := logPMF(n)
		for k := n; k < n+100000; k++ {
			t := math.Exp(lp)
			sum += t
			if t < sum*1e-15 {
				break
			}
			// pmf(k+1)/pmf(k) = (k+r)/(k+1) * (1-p)
			lp += math.Log(float64(k)+r) - math.Log(float64(k)+1) + math.Log1p(-p)
		}
		return math.Min(1, sum)
	}
	lower := 0.0
	for k := 0; k < n; k++ {
		lower += math.Exp(logPMF(k))
	}
	return math.Max(0, 1-lower)
}
