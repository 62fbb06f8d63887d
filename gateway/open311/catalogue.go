package open311

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/hallgate/hallgate/gateway/ticket"
)

// GeneralServiceCode is the catch-all service: agents route it like a call.
const GeneralServiceCode = "12345"

// DepartmentInfo is what the catalogue needs of a department.
type DepartmentInfo struct {
	Code             string
	Name             string
	ShortName        string
	Responsibilities string
}

// Catalogue derives the Open311 service list from the departments: one
// general service, and one service per department whose duties describe it.
type Catalogue struct {
	Departments func(ctx context.Context) ([]DepartmentInfo, error)
}

// Services lists every service.
func (c Catalogue) Services(ctx context.Context) ([]Service, error) {
	out := []Service{{
		ServiceCode: GeneralServiceCode, ServiceName: "12345 政务服务便民热线诉求",
		Description: "不确定由哪个部门办理的诉求，由热线坐席分派。", Metadata: true, Type: "realtime", Group: "综合",
	}}
	if c.Departments == nil {
		return out, nil
	}
	depts, err := c.Departments(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range depts {
		name := d.ShortName
		if name == "" {
			name = d.Name
		}
		out = append(out, Service{
			ServiceCode: d.Code, ServiceName: name + "诉求", Description: truncate(d.Responsibilities, 200),
			Metadata: true, Type: "realtime", Group: d.Name, Keywords: keywords(d.Responsibilities), Department: d.Code,
		})
	}
	return out, nil
}

// Service finds one service by code; ok is false when unknown.
func (c Catalogue) Service(ctx context.Context, code string) (Service, bool, error) {
	all, err := c.Services(ctx)
	if err != nil {
		return Service{}, false, err
	}
	for _, s := range all {
		if s.ServiceCode == code {
			return s, true, nil
		}
	}
	return Service{}, false, nil
}

// Definition lists the attributes every service takes.
func (c Catalogue) Definition(s Service) ServiceDefinition {
	types := make([]AttributeValue, 0, len(ticket.RequestTypes))
	for _, t := range ticket.RequestTypes {
		types = append(types, AttributeValue{Key: string(t), Name: string(t)})
	}
	return ServiceDefinition{ServiceCode: s.ServiceCode, Attributes: []Attribute{
		{Variable: true, Code: "request_type", Datatype: "singlevaluelist", Required: false, Order: 1,
			Description: "诉求类型（默认：求助）", Values: types},
		{Variable: true, Code: "district", Datatype: "string", Required: false, Order: 2,
			Description: "所在区县"},
		{Variable: true, Code: "confidential", Datatype: "singlevaluelist", Required: false, Order: 3,
			Description: "是否要求对来电人信息保密", Values: []AttributeValue{{Key: "yes", Name: "保密"}, {Key: "no", Name: "不保密"}}},
	}}
}

// keywords picks the duty phrases of a responsibilities text ("负责A、B和C；…").
func keywords(duties string) string {
	var out []string
	for _, part := range strings.FieldsFunc(duties, func(r rune) bool { return strings.ContainsRune("；。，、,;", r) }) {
		part = strings.TrimPrefix(strings.TrimSpace(part), "负责")
		if n := utf8.RuneCountInString(part); n >= 2 && n <= 12 {
			out = append(out, part)
		}
		if len(out) == 8 {
			break
		}
	}
	return strings.Join(out, ",")
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
