package knowledgebase

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ItemTypes is the set of service-item types (事项类型) of the basic
// catalogue.
var ItemTypes = []string{
	"行政许可", "行政给付", "行政确认", "行政征收", "行政奖励", "行政裁决",
	"行政检查", "行政处罚", "行政强制", "其他行政权力", "公共服务",
}

// Material forms (申请材料形式); English aliases are accepted on input and
// stored in Chinese.
var materialForms = map[string]string{
	"原件": "原件", "复印件": "复印件", "电子件": "电子件", "原件和复印件": "原件和复印件",
	"original": "原件", "copy": "复印件", "electronic": "电子件",
}

// Material is one application material of a guide.
type Material struct {
	Name  string `json:"name"`
	Form  string `json:"form"`  // 原件, 复印件, 电子件, 原件和复印件
	Count int    `json:"count"` // copies required
	Note  string `json:"note,omitempty"`
}

// ServiceItem is one government service item (政务服务事项) with its guide
// (办事指南).
type ServiceItem struct {
	ID               string     `json:"id"`
	Name             string     `json:"name"`
	Code             string     `json:"code"` // GB/T 39554.1 style: region code + body + type + sequence
	Type             string     `json:"type"`
	Department       string     `json:"department"` // competent department (主管部门) code
	ImplementingBody string     `json:"implementing_body,omitempty"`
	LegalBasis       []string   `json:"legal_basis,omitempty"`
	Conditions       []string   `json:"conditions,omitempty"`
	Materials        []Material `json:"materials,omitempty"`
	Steps            []string   `json:"steps,omitempty"`
	// Time limits in working days; OnTheSpot marks a 即办件 (promised 0).
	StatutoryDays  int      `json:"statutory_days,omitempty"`
	PromisedDays   int      `json:"promised_days,omitempty"`
	OnTheSpot      bool     `json:"on_the_spot,omitempty"`
	Fees           string   `json:"fees,omitempty"`
	Place          string   `json:"place,omitempty"`
	Hours          string   `json:"hours,omitempty"`
	Visits         int      `json:"visits,omitempty"` // 到现场次数
	EnquiryPhone   string   `json:"enquiry_phone,omitempty"`
	ComplaintPhone string   `json:"complaint_phone,omitempty"`
	OnlineURL      string   `json:"online_url,omitempty"`
	Category       string   `json:"category,omitempty"`
	Keywords       []string `json:"keywords,omitempty"`
	Region         string   `json:"region,omitempty"`
	Status         string   `json:"status"`

	Version   uint64    `json:"version"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	CreatedBy string    `json:"created_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// itemCodePattern accepts catalogue codes: letters, digits and '-', starting
// with a digit (the region code), 6–64 characters. Local catalogues differ in
// the parts after the region code, so only the shape is checked.
var (
	itemCodePattern = regexp.MustCompile(`^[0-9][0-9A-Za-z-]{5,63}$`)
	phonePattern    = regexp.MustCompile(`^[0-9+()\- ]{3,32}$`)
)

func (it *ServiceItem) normalize() {
	it.ID = strings.TrimSpace(it.ID)
	it.Name = strings.TrimSpace(it.Name)
	it.Code = strings.ToUpper(strings.TrimSpace(it.Code))
	if it.ID == "" {
		it.ID = it.Code
	}
	it.Type = strings.TrimSpace(it.Type)
	it.Department = strings.TrimSpace(it.Department)
	it.Category = strings.Trim(strings.TrimSpace(it.Category), "/")
	it.LegalBasis = cleanList(it.LegalBasis)
	it.Conditions = cleanList(it.Conditions)
	it.Steps = cleanList(it.Steps)
	it.Keywords = cleanList(it.Keywords)
	for i := range it.Materials {
		m := &it.Materials[i]
		m.Name = strings.TrimSpace(m.Name)
		if f, ok := materialForms[strings.ToLower(strings.TrimSpace(m.Form))]; ok {
			m.Form = f
		}
		if m.Count == 0 {
			m.Count = 1
		}
	}
	if it.OnTheSpot {
		it.PromisedDays = 0
	}
}

func (it *ServiceItem) validate() fieldErrors {
	var fe fieldErrors
	if !idPattern.MatchString(it.ID) {
		fe.add("id", "1–64 letters, digits, '.', '_', ':' or '-' (defaults to code)")
	}
	switch n := utf8.RuneCountInString(it.Name); {
	case n == 0:
		fe.add("name", "required")
	case n > MaxTitleRunes:
		fe.add("name", fmt.Sprintf("at most %d characters", MaxTitleRunes))
	}
	if !itemCodePattern.MatchString(it.Code) {
		fe.add("code", "6–64 letters, digits or '-', starting with the region code")
	}
	if !slices.Contains(ItemTypes, it.Type) {
		fe.add("type", "one of "+strings.Join(ItemTypes, ", "))
	}
	if it.Department == "" {
		fe.add("department", "required")
	}
	for i, m := range it.Materials {
		p := fmt.Sprintf("materials[%d].", i)
		if m.Name == "" {
			fe.add(p+"name", "required")
		}
		if _, ok := materialForms[m.Form]; !ok {
			fe.add(p+"form", "原件, 复印件, 电子件 or 原件和复印件")
		}
		if m.Count < 1 || m.Count > 100 {
			fe.add(p+"count", "1–100")
		}
	}
	if it.StatutoryDays < 0 || it.StatutoryDays > 3650 {
		fe.add("statutory_days", "0–3650 working days")
	}
	if it.PromisedDays < 0 || it.PromisedDays > 3650 {
		fe.add("promised_days", "0–3650 working days")
	}
	if it.StatutoryDays > 0 && it.PromisedDays > it.StatutoryDays {
		fe.add("promised_days", "must not exceed statutory_days")
	}
	if it.Visits < 0 || it.Visits > 20 {
		fe.add("visits", "0–20")
	}
	for field, p := range map[string]string{"enquiry_phone": it.EnquiryPhone, "complaint_phone": it.ComplaintPhone} {
		if p != "" && !phonePattern.MatchString(p) {
			fe.add(field, "digits, spaces, '+', '-', '(' or ')'")
		}
	}
	if it.OnlineURL != "" && !strings.HasPrefix(it.OnlineURL, "https://") && !strings.HasPrefix(it.OnlineURL, "http://") {
		fe.add("online_url", "an http(s) URL")
	}
	if it.Category != "" {
		validateCategory(&fe, it.Category)
	}
	validateKeywords(&fe, it.Keywords)
	if !validStatus(it.Status) {
		fe.add("status", "one of draft, in_review, published, archived")
	}
	slices.SortFunc(fe, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
	return fe
}

// itemDocID keeps item ids apart from entry ids in the shared index.
func itemDocID(id string) string { return "item:" + id }

// Document projects the item into the index: its name is the title, the
// guide's text is the body.
func (it *ServiceItem) Document(now time.Time) Document {
	return Document{
		ID:         itemDocID(it.ID),
		Kind:       KindItem,
		Title:      it.Name,
		Body:       it.GuideText(),
		Department: it.Department,
		Category:   it.Category,
		Channels:   []string{ChannelServiceItem},
		Keywords:   it.Keywords,
		Region:     it.Region,
		Searchable: searchable(it.Status, Date{}, Date{}, now),
		UpdatedAt:  it.UpdatedAt,
	}
}

// GuideText is the guide as one Chinese text, used as the searchable body and
// as the answer shown in search hits.
func (it *ServiceItem) GuideText() string {
	var b strings.Builder
	section := func(title string, lines []string) {
		if len(lines) == 0 {
			return
		}
		b.WriteString(title)
		b.WriteString("：")
		b.WriteString(strings.Join(lines, "；"))
		b.WriteString("。")
	}
	section("受理条件", it.Conditions)
	var mats []string
	for _, m := range it.Materials {
		mats = append(mats, fmt.Sprintf("%s（%s%d份）", m.Name, m.Form, m.Count))
	}
	section("申请材料", mats)
	section("办理流程", it.Steps)
	section("承诺时限", []string{it.promisedText()})
	if it.Fees != "" {
		section("收费", []string{it.Fees})
	}
	if it.Place != "" {
		section("办理地点", []string{it.Place})
	}
	if it.Hours != "" {
		section("办理时间", []string{it.Hours})
	}
	return b.String()
}

func (it *ServiceItem) promisedText() string {
	if it.OnTheSpot {
		return "即办件，当场办结"
	}
	if it.PromisedDays > 0 {
		return "承诺件，" + strconv.Itoa(it.PromisedDays) + "个工作日"
	}
	return "详询窗口"
}

// GuideSection is one titled part of a guide view.
type GuideSection struct {
	Title string   `json:"title"`
	Lines []string `json:"lines"`
}

// Guide is the structured guide view (办事指南) of a service item.
type Guide struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	Code             string         `json:"code"`
	Type             string         `json:"type"`
	Department       string         `json:"department"`
	DepartmentName   string         `json:"department_name,omitempty"`
	ImplementingBody string         `json:"implementing_body,omitempty"`
	Materials        []Material     `json:"materials"`
	Sections         []GuideSection `json:"sections"`
	OnlineURL        string         `json:"online_url,omitempty"`
	Version          uint64         `json:"version"`
	UpdatedAt        time.Time      `json:"updated_at,omitzero"`
}

// BuildGuide lays the item out as the sections of a printed guide, in the
// order citizens read them.
func (it *ServiceItem) BuildGuide(departmentName string) Guide {
	g := Guide{
		ID: it.ID, Name: it.Name, Code: it.Code, Type: it.Type,
		Department: it.Department, DepartmentName: departmentName,
		ImplementingBody: it.ImplementingBody, Materials: it.Materials,
		OnlineURL: it.OnlineURL, Version: it.Version, UpdatedAt: it.UpdatedAt,
	}
	if g.Materials == nil {
		g.Materials = []Material{}
	}
	add := func(title string, lines ...string) {
		lines = cleanList(lines)
		if len(lines) > 0 {
			g.Sections = append(g.Sections, GuideSection{Title: title, Lines: lines})
		}
	}
	add("事项类型", it.Type)
	add("实施机关", it.ImplementingBody)
	add("设定和实施依据", it.LegalBasis...)
	add("受理条件", it.Conditions...)
	var mats []string
	for _, m := range it.Materials {
		line := fmt.Sprintf("%s（%s，%d份）", m.Name, m.Form, m.Count)
		if m.Note != "" {
			line += "：" + m.Note
		}
		mats = append(mats, line)
	}
	add("申请材料", mats...)
	add("办理流程", it.Steps...)
	var limits []string
	if it.StatutoryDays > 0 {
		limits = append(limits, "法定时限："+strconv.Itoa(it.StatutoryDays)+"个工作日")
	}
	limits = append(limits, "承诺时限："+it.promisedText())
	add("办理时限", limits...)
	fees := it.Fees
	if fees == "" {
		fees = "不收费"
	}
	add("收费标准", fees)
	add("办理地点", it.Place)
	add("办理时间", it.Hours)
	if it.Visits >= 0 {
		add("到现场次数", strconv.Itoa(it.Visits)+"次")
	}
	var phones []string
	if it.EnquiryPhone != "" {
		phones = append(phones, "咨询电话："+it.EnquiryPhone)
	}
	if it.ComplaintPhone != "" {
		phones = append(phones, "监督投诉电话："+it.ComplaintPhone)
	}
	add("咨询与投诉", phones...)
	add("网上办理", it.OnlineURL)
	if g.Sections == nil {
		g.Sections = []GuideSection{}
	}
	return g
}
