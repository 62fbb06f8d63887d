package topics

import (
	"fmt"
	"strings"
)

// KBDraft is a knowledge-base entry proposed from a topic (material type
// 热点问答). An editor completes the answer before it is published.
type KBDraft struct {
	Title        string   `json:"title"`
	Question     string   `json:"question"`
	Answer       string   `json:"answer"`
	Category     string   `json:"category"`
	MaterialType string   `json:"material_type"`
	Keywords     []string `json:"keywords"`
	Department   string   `json:"department,omitempty"`
	SourceTopic  string   `json:"source_topic"`
	Status       string   `json:"status"` // always "draft"
}

// Notice is a public notice (通知公告) drafted from a topic.
type Notice struct {
	Title       string   `json:"title"`
	Body        string   `json:"body"`
	District    string   `json:"district,omitempty"`
	Departments []string `json:"departments,omitempty"`
	SourceTopic string   `json:"source_topic"`
	Status      string   `json:"status"` // always "draft"
}

func topicPlace(t Topic) string {
	if len(t.TopAddresses) > 0 {
		return t.TopAddresses[0]
	}
	if t.District != "" {
		return t.District
	}
	return "本市"
}

func topicMatter(t Topic) string {
	if len(t.Keywords) == 0 {
		return "群众集中反映的问题"
	}
	return strings.Join(first(t.Keywords, 3), "、")
}

// KBDraftOf drafts a 热点问答 entry from a topic. It uses only aggregated
// facts (place, keywords, counts, departments), never ticket text.
func KBDraftOf(t Topic) KBDraft {
	place, matter := topicPlace(t), topicMatter(t)
	d := KBDraft{
		Title:        fmt.Sprintf("%s%s有关问题", place, matter),
		Question:     fmt.Sprintf("%s出现%s的情况，怎么办？什么时候能解决？", place, matter),
		Answer:       fmt.Sprintf("【待承办部门补充】%s起，%s陆续有市民反映%s（共%d件）。目前情况：（处置进展）。预计解决时间：（时间）。如有紧急情况请拨打12345。", t.FirstSeen.Local().Format("1月2日15:04"), place, matter, t.Count),
		Category:     "热点问答",
		MaterialType: "热点问答",
		Keywords:     first(t.Keywords, 5),
		SourceTopic:  t.ID,
		Status:       "draft",
	}
	if len(t.Departments) > 0 {
		d.Department = t.Departments[0]
	}
	for i, k := range d.Keywords {
		if r := []rune(k); len(r) > 20 { // the KB schema caps keywords at 20 characters
			d.Keywords[i] = string(r[:20])
		}
	}
	return d
}

// NoticeOf drafts a public notice about a topic.
func NoticeOf(t Topic) Notice {
	place, matter := topicPlace(t), topicMatter(t)
	return Notice{
		Title: fmt.Sprintf("关于%s%s有关情况的通告", place, matter),
		Body: fmt.Sprintf("近期，%s有市民通过12345热线反映%s。相关部门已经介入处置，现将有关情况通告如下：（处置情况、影响范围、恢复时间）。"+
			"请广大市民关注官方发布的信息，如有相关诉求请拨打12345热线。特此通告。", place, matter),
		District: t.District, Departments: t.Departments, SourceTopic: t.ID, Status: "draft",
	}
}
