package meili

import (
	"fmt"
	"strconv"
	"strings"
)

// A small evaluator of Meilisearch's documented filter syntax, enough for
// the fake server to answer the adapter's filters the way Meilisearch would
// (and to reject what Meilisearch rejects: unknown or non-filterable
// attributes, malformed expressions).
//
//	expr   := and ("OR" and)*
//	and    := unary ("AND" unary)*
//	unary  := "NOT" unary | "(" expr ")" | attr op value | attr "IN" "[" value ("," value)* "]"
//	op     := "=" | "!=" | ">" | ">=" | "<" | "<="

type filterFn func(doc map[string]any) bool

// compileFilter accepts the JSON forms of the filter parameter: a string,
// or an array whose elements (ANDed) are strings or arrays of strings (ORed).
func compileFilter(v any, filterable map[string]bool) (filterFn, error) {
	switch f := v.(type) {
	case nil:
		return func(map[string]any) bool { return true }, nil
	case string:
		return compileFilterString(f, filterable)
	case []any:
		var parts []filterFn
		for _, el := range f {
			switch e := el.(type) {
			case string:
				fn, err := compileFilterString(e, filterable)
				if err != nil {
					return nil, err
				}
				parts = append(parts, fn)
			case []any:
				var ors []filterFn
				for _, o := range e {
					s, ok := o.(string)
					if !ok {
						return nil, fmt.Errorf("nested filter element %v is not a string", o)
					}
					fn, err := compileFilterString(s, filterable)
					if err != nil {
						return nil, err
					}
					ors = append(ors, fn)
				}
				parts = append(parts, func(d map[string]any) bool {
					for _, fn := range ors {
						if fn(d) {
							return true
						}
					}
					return false
				})
			default:
				return nil, fmt.Errorf("filter element %v is neither a string nor an array", el)
			}
		}
		return func(d map[string]any) bool {
			for _, fn := range parts {
				if !fn(d) {
					return false
				}
			}
			return true
		}, nil
	}
	return nil, fmt.Errorf("filter must be a string or an array, got %T", v)
}

type ftoken struct {
	text   string
	quoted bool
}

func tokenizeFilter(s string) ([]ftoken, error) {
	var out []ftoken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case strings.IndexByte("()[],", c) >= 0:
			out = append(out, ftoken{text: string(c)})
			i++
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string in %q", s)
			}
			out = append(out, ftoken{text: b.String(), quoted: true})
			i = j + 1
		case strings.HasPrefix(s[i:], "!=") || strings.HasPrefix(s[i:], ">=") || strings.HasPrefix(s[i:], "<="):
			out = append(out, ftoken{text: s[i : i+2]})
			i += 2
		case c == '=' || c == '>' || c == '<':
			out = append(out, ftoken{text: string(c)})
			i++
		default:
			j := i
			for j < len(s) && strings.IndexByte(" \t\n()[],=!<>\"'", s[j]) < 0 {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("unexpected %q in %q", c, s)
			}
			out = append(out, ftoken{text: s[i:j]})
			i = j
		}
	}
	return out, nil
}

type fparser struct {
	toks       []ftoken
	pos        int
	src        string
	filterable map[string]bool
}

func compileFilterString(s string, filterable map[string]bool) (filterFn, error) {
	toks, err := tokenizeFilter(s)
	if err != nil {
		return nil, err
	}
	p := &fparser{toks: toks, src: s, filterable: filterable}
	fn, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("trailing %q in filter %q", p.toks[p.pos].text, s)
	}
	return fn, nil
}

func (p *fparser) peekKeyword(k string) bool {
	return p.pos < len(p.toks) && !p.toks[p.pos].quoted && strings.EqualFold(p.toks[p.pos].text, k)
}

func (p *fparser) next() (ftoken, error) {
	if p.pos >= len(p.toks) {
		return ftoken{}, fmt.Errorf("filter %q ends early", p.src)
	}
	t := p.toks[p.pos]
	p.pos++
	return t, nil
}

func (p *fparser) or() (filterFn, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peekKeyword("OR") {
		p.pos++
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(d map[string]any) bool { return l(d) || right(d) }
	}
	return left, nil
}

func (p *fparser) and() (filterFn, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.peekKeyword("AND") {
		p.pos++
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(d map[string]any) bool { return l(d) && right(d) }
	}
	return left, nil
}

func (p *fparser) unary() (filterFn, error) {
	if p.peekKeyword("NOT") {
		p.pos++
		inner, err := p.unary()
		if err != nil {
			return nil, err
		}
		return func(d map[string]any) bool { return !inner(d) }, nil
	}
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	if t.text == "(" && !t.quoted {
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		if c, err := p.next(); err != nil || c.text != ")" {
			return nil, fmt.Errorf("missing ) in filter %q", p.src)
		}
		return inner, nil
	}
	attr := t.text
	if !p.filterable[attr] {
		return nil, fmt.Errorf("attribute `%s` is not filterable", attr)
	}
	if p.peekKeyword("IN") {
		p.pos++
		if o, err := p.next(); err != nil || o.text != "[" {
			return nil, fmt.Errorf("IN needs [ in filter %q", p.src)
		}
		var vals []string
		for {
			v, err := p.next()
			if err != nil {
				return nil, err
			}
			vals = append(vals, v.text)
			sep, err := p.next()
			if err != nil {
				return nil, err
			}
			if sep.text == "]" {
				break
			}
			if sep.text != "," {
				return nil, fmt.Errorf("bad IN list in filter %q", p.src)
			}
		}
		return func(d map[string]any) bool {
			for _, v := range vals {
				if compare(d[attr], "=", v) {
					return true
				}
			}
			return false
		}, nil
	}
	op, err := p.next()
	if err != nil {
		return nil, err
	}
	switch op.text {
	case "=", "!=", ">", ">=", "<", "<=":
	default:
		return nil, fmt.Errorf("unknown operator %q in filter %q", op.text, p.src)
	}
	val, err := p.next()
	if err != nil {
		return nil, err
	}
	return func(d map[string]any) bool { return compare(d[attr], op.text, val.text) }, nil
}

// compare applies op between a document value and a filter literal; arrays
// match when any element does, as in Meilisearch.
func compare(v any, op, lit string) bool {
	if op == "!=" {
		return !compare(v, "=", lit)
	}
	switch x := v.(type) {
	case []any:
		for _, el := range x {
			if compare(el, op, lit) {
				return true
			}
		}
		return false
	case string:
		return op == "=" && x == lit
	case bool:
		return op == "=" && strconv.FormatBool(x) == lit
	case float64:
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			return false
		}
		switch op {
		case "=":
			return x == f
		case ">":
			return x > f
		case ">=":
			return x >= f
		case "<":
			return x < f
		case "<=":
			return x <= f
		}
	}
	return false
}
