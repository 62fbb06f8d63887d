package topics

import (
	"testing"
	"time"
)

// FuzzProcess feeds arbitrary ticket text and places to the engine: it must
// never panic, and every accepted ticket lands in a live cluster.
func FuzzProcess(f *testing.F) {
	f.Add("阳光花园停水了", "乙区", "乙区阳光花园")
	f.Add("", "", "")
	f.Add("\xff\xfe 来电", "甲区", "路")
	f.Add("ＡＢＣ１２３ 市民来电：燃气味很重！！", "", "一二三四五六七八九十")
	e, err := NewEngine(EngineOptions{})
	if err != nil {
		f.Fatal(err)
	}
	n := 0
	f.Fuzz(func(t *testing.T, text, district, address string) {
		n++
		s := TicketSignal{ID: "f" + time.Duration(n).String(), Text: text, District: district, Address: address, Created: t0.Add(time.Duration(n) * time.Minute)}
		res, err := e.Process(s)
		if err != nil {
			return // invalid input is refused, not processed
		}
		if res.Duplicate {
			return
		}
		if e.Cluster(res.ClusterID) == nil {
			t.Fatalf("ticket %q landed in no live cluster (%+v)", text, res)
		}
	})
}
