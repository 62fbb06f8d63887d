package department

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// AmbiguousError says that a name from an older system's export fits more
// than one department; Candidates are their codes. It wraps
// ErrUnknownDepartment, so a caller that only knows codes treats it alike.
type AmbiguousError struct {
	Ref        string
	Candidates []string
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("department %q fits several departments (%s): use the code", e.Ref, strings.Join(e.Candidates, ", "))
}

func (e *AmbiguousError) Unwrap() error { return ErrUnknownDepartment }

// Resolve finds the department that ref names. Exports of the systems a
// city replaces write a department as they knew it: the code hallgate
// uses, the full name (江川市人力资源和社会保障局), the short name (人社局,
// also written 市人社局) or the number of its old hotline (12333). A code
// is looked up first and costs one read; the rest compare with every
// department, ignoring spaces, letter case and full-width forms. A ref that
// fits none wraps ErrUnknownDepartment; one that fits several is an
// *AmbiguousError, never a guess.
func (s *Service) Resolve(ctx context.Context, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", fmt.Errorf("department %q: %w", ref, ErrUnknownDepartment)
	}
	if codePattern.MatchString(ref) {
		if _, err := s.Get(ctx, ref); err == nil {
			return ref, nil
		} else if !errors.Is(err, ErrUnknownDepartment) {
			return "", err
		}
	}
	all, err := s.List(ctx)
	if err != nil {
		return "", err
	}
	return resolveAmong(all, ref)
}

// resolveAmong matches ref against depts: exact forms first, then the
// looser ones, so 人社局 never competes with a department whose full name
// merely ends in it.
func resolveAmong(depts []Department, ref string) (string, error) {
	key := foldName(ref)
	for _, match := range []func(Department) bool{
		func(d Department) bool {
			if foldName(d.Code) == key || foldName(d.Name) == key || d.ShortName != "" && foldName(d.ShortName) == key {
				return true
			}
			return slices.Contains(d.LegacyHotlines, key)
		},
		// 市人社局, 区医保局: the short name behind the level of government.
		func(d Department) bool {
			short := foldName(d.ShortName)
			if short == "" {
				return false
			}
			for _, lvl := range []string{"市", "区", "县"} {
				if key == lvl+short {
					return true
				}
			}
			return false
		},
		// 人力资源和社会保障局 for 江川市人力资源和社会保障局: the full name
		// without the city (水务局), at least three characters so 局 or 支队
		// alone is never taken for a department.
		func(d Department) bool {
			name := foldName(d.Name)
			return utf8.RuneCountInString(key) >= 3 && len(name) > len(key) && strings.HasSuffix(name, key)
		},
	} {
		var codes []string
		for _, d := range depts {
			if match(d) {
				codes = append(codes, d.Code)
			}
		}
		switch len(codes) {
		case 0:
			continue
		case 1:
			return codes[0], nil
		default:
			return "", &AmbiguousError{Ref: ref, Candidates: codes}
		}
	}
	return "", fmt.Errorf("department %q: %w", ref, ErrUnknownDepartment)
}

// foldName drops spaces and folds full-width ASCII and letter case, the
// differences an export and hand-kept master data commonly have.
func foldName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			continue
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
