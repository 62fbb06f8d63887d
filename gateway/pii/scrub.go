package pii

import (
	"regexp"
	"strings"
)

// Patterns of personal data removed from published messages and replies.
var (
	reIDCard   = regexp.MustCompile(`\b\d{17}[\dXx]\b|\b\d{15}\b`)
	reMobile   = regexp.MustCompile(`(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}`)
	reLandline = regexp.MustCompile(`0\d{2,3}[- ]?\d{7,8}`)
	reEmail    = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	reBankCard = regexp.MustCompile(`\b\d{16,19}\b`)
	// "我叫张三" / "本人李四" / "联系人：王五": a name after a self-introduction.
	reSelfName = regexp.MustCompile(`(我叫|我是|本人|联系人[:：]?|姓名[:：]?)([\p{Han}]{2,3})`)
)

// Scrub removes personal data from text: ID card,
// bank card, phone numbers and e-mail addresses, names the text introduces,
// and every occurrence of the names given (the caller's own).
func Scrub(text string, names ...string) string {
	text = reIDCard.ReplaceAllString(text, "[身份证号已隐去]")
	text = reBankCard.ReplaceAllString(text, "[卡号已隐去]")
	text = reMobile.ReplaceAllString(text, "[电话已隐去]")
	text = reLandline.ReplaceAllString(text, "[电话已隐去]")
	text = reEmail.ReplaceAllString(text, "[邮箱已隐去]")
	text = reSelfName.ReplaceAllString(text, "${1}**")
	for _, n := range names {
		if n = strings.TrimSpace(n); len([]rune(n)) >= 2 {
			text = strings.ReplaceAll(text, n, "**")
		}
	}
	return text
}
