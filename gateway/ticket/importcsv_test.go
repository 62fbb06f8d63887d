package ticket

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/hallgate/hallgate/gateway/tabular"
)

// A spreadsheet export with Chinese headings, in GBK as Excel saves it:
// rows become closed historical tickets, a quoted cell may span lines, a
// bad cell refuses its row by line, unknown columns are listed.
func TestImportCSVFromAnOlderSystem(t *testing.T) {
	for _, enc := range []string{"utf-8 with BOM", "gbk"} {
		t.Run(enc, func(t *testing.T) {
			stored := map[string]*Ticket{}
			e := newEnv(t, func(o *Options) {
				o.Observers = []func(context.Context, *Ticket){func(_ context.Context, tk *Ticket) { stored[tk.ExternalID] = tk }}
			})
			body := strings.Join([]string{
				"工单编号,受理时间（北京时间）,来源,诉求内容,诉求类型,承办单位,协办单位,区县,是否紧急,来电号码,坐席工号",
				`C1,2025/3/4 9:30,电话,小区停水两天了,求助类,water,"tax、eco",江川区,是,13812345678,A001`,
				`C2,2025-03-05,网站,"税务发票怎么开？` + "\n" + `第二行说明",咨询,tax,,临江区,否,,A002`,
				`C3,2025-03-06,APP,噪音扰民,投诉,water,,高新区,也许,,A003`,
				`,,,,,,,,,,`,
				`C4,昨天,电话,路灯不亮,求助,water,,东湖县,否,,A004`,
				`C5,2025-03-07,大厅,表扬窗口人员,表扬,nowhere,,江川区,否,,A005`,
			}, "\r\n")
			raw := []byte(body)
			if enc == "gbk" {
				var err error
				if raw, err = simplifiedchinese.GBK.NewEncoder().Bytes(raw); err != nil {
					t.Fatal(err)
				}
			} else {
				raw = append([]byte("\xef\xbb\xbf"), raw...)
			}
			res, err := e.svc.ImportCSV(context.Background(), supervisor, strings.NewReader(string(raw)))
			if err != nil {
				t.Fatal(err)
			}
			if res.Imported != 2 || len(res.Errors) != 3 {
				t.Fatalf("result %+v", res)
			}
			lines := []int{res.Errors[0].Line, res.Errors[1].Line, res.Errors[2].Line}
			if !slices.Equal(lines, []int{5, 7, 8}) || !strings.Contains(res.Errors[0].Error, `urgent: "也许"`) ||
				!strings.Contains(res.Errors[1].Error, "created_at") || !strings.Contains(res.Errors[2].Error, "nowhere") {
				t.Errorf("errors %+v", res.Errors)
			}
			if !slices.Equal(res.IgnoredColumns, []string{"坐席工号"}) {
				t.Errorf("ignored columns %v", res.IgnoredColumns)
			}
			c1, c2 := stored["C1"], stored["C2"]
			if c1 == nil || c2 == nil {
				t.Fatalf("stored %v", stored)
			}
			if c1.Channel != ChannelHotline || c1.Type != "求助" || c1.Department != "water" || !slices.Equal(c1.CoDepartments, []string{"tax", "eco"}) ||
				!c1.Urgent || c1.District != "江川区" || !c1.CreatedAt.Equal(time.Date(2025, 3, 4, 9, 30, 0, 0, chinaZone)) || c1.Status != StatusClosed {
				t.Errorf("C1 %+v", c1)
			}
			if c2.Channel != ChannelWebsite || c2.Text != "税务发票怎么开？\n第二行说明" || c2.Urgent {
				t.Errorf("C2 %+v", c2)
			}
			// The caller's number is sealed like any caller's, never logged.
			if strings.Contains(e.logs.String(), "13812345678") {
				t.Error("a phone number reached the log")
			}
			again, err := e.svc.ImportCSV(context.Background(), supervisor, strings.NewReader(string(raw)))
			if err != nil || again.Imported != 0 || again.Skipped != 2 {
				t.Errorf("re-import: %+v %v", again, err)
			}
		})
	}
}

func TestImportCSVHeadingRow(t *testing.T) {
	e := newEnv(t, nil)
	_, err := e.svc.ImportCSV(context.Background(), supervisor, strings.NewReader("编号,内容,内容\nx,y,z\n"))
	var he *tabular.HeaderError
	if !errors.As(err, &he) || !slices.Equal(he.Missing, []string{"type", "department"}) || !slices.Equal(he.Duplicates, []string{"text"}) {
		t.Fatalf("heading: %v", err)
	}
	_, err = e.svc.ImportCSV(context.Background(), supervisor, strings.NewReader(""))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("empty: %v", err)
	}
	_, err = e.svc.ImportCSV(context.Background(), supervisor, strings.NewReader("text,type,department\n\xff\xfe\xfd\xfc,咨询,water\n"))
	if !errors.As(err, &ve) || !strings.Contains(ve.Error(), "GB 18030") {
		t.Fatalf("undecodable: %v", err)
	}
	if n, _ := e.st.Count(context.Background(), Collection, nil); n != 0 {
		t.Fatalf("%d tickets written by refused imports", n)
	}
}

// FuzzImportCSV: any body is an answer — imported rows, refused rows by
// line, or a refused heading row — never a store error or a panic, and
// never more rows accounted for than the body has lines.
func FuzzImportCSV(f *testing.F) {
	f.Add([]byte("工单编号,诉求内容,诉求类型,承办单位\nx,路灯,求助,tax\ny,,,\n"))
	f.Add([]byte("\xef\xbb\xbftext,type,department,urgent,created_at\n\"a\n\"\"b\"\"\",咨询,water,是,2025/1/2\n"))
	f.Add([]byte("text,type,department\n\"unterminated,咨询,tax\n"))
	f.Add([]byte("\xd6\xd0\xce\xc4,type,department\n"))
	e := newEnv(f, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := e.svc.ImportCSV(context.Background(), supervisor, bytes.NewReader(data))
		var he *tabular.HeaderError
		var ve *ValidationError
		if err != nil && !errors.As(err, &he) && !errors.As(err, &ve) {
			t.Fatal(err)
		}
		lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) + 1
		if res.Imported+res.Skipped+len(res.Errors) > lines {
			t.Fatalf("%+v for %d lines", res, lines)
		}
	})
}

// Every column the CSV import recognises is read into its field.
func TestEveryCSVColumnIsRead(t *testing.T) {
	for field := range csvColumns {
		l, problems := csvLine(map[string]string{field: "是"})
		if reflect.ValueOf(l).IsZero() && len(problems) == 0 {
			t.Errorf("column %s: a cell left the line empty", field)
		}
	}
}
