package kbapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/knowledgebase"
	"github.com/hallgate/hallgate/knowledgebase/embedded"
)

// Scale benchmarks over HTTP: HALLGATE_BENCH_DOCS (default 100,000)
// generated entries imported through POST /api/v1/kb/import into bolt and
// the embedded index, then GET /api/v1/kb/search on a loopback listener by
// many keep-alive clients. Run with
//
//	HALLGATE_BENCH_DOCS=20000 go test -run '^$' -bench ScaleHTTP -benchtime 2000x ./gateway/httpapi/kbapi
//
// (the import through the API, store included, is the slow part: about
// 1,500 entries/s at 20,000 and slower as the store grows). The load
// generator runs in the same process, so cpu-ms/search includes the
// clients' share.
// Each figure is reported beside the embedded index's own throughput on the
// same queries in the same process (idx-searches/s), so the gateway's
// overhead is visible. The corpus and queries are generated from our own
// vocabulary (not from the development data).

type scaleEnv struct {
	app       *fiber.App
	idx       *embedded.Index
	base      string
	client    *http.Client
	n         int
	importDur time.Duration
	importCPU time.Duration
}

var (
	scaleHTTPOnce sync.Once
	scaleHTTP     *scaleEnv
)

var (
	sbSubjects = strings.Fields(`社保卡 医保卡 公积金 居住证 身份证 户口簿 护照 驾驶证 行驶证 营业执照 结婚证 残疾人证
		养老保险 失业保险 工伤保险 生育津贴 医疗保险 公租房 人才公寓 住房补贴 燃气开户 自来水过户 供暖缴费
		新生儿落户 幼儿园报名 小学学位 学籍转移 个人所得税 契税 车船税 商标注册 专利申请 机动车年检 违章处理
		公交卡 停车位 充电桩 垃圾分类 噪声投诉 违法建设 路灯维修 犬只登记 低保申请 临时救助 高龄津贴 婚姻登记
		退役军人优待 宅基地 种粮补贴 导游证 消防检查 预防接种 健康证 献血证 图书馆借阅 网约车资格 预付卡退费`)
	sbActions = strings.Fields(`申请 办理 补办 换领 变更 注销 查询 转移 提取 续期 挂失 缴纳 退费 认定 审批 备案 预约`)
	sbAsk     = []string{"如何%s%s？", "%[2]s%[1]s需要哪些材料？", "%[2]s%[1]s要多长时间？", "在哪里%s%s？",
		"%[2]s可以网上%[1]s吗？", "%[2]s%[1]s的条件是什么？", "%[2]s%[1]s的流程是怎样的？"}
	sbPlaces = strings.Fields(`东城区 西城区 南湖区 北山区 高新区 临江县 青石镇 花园街道 滨河街道 江川新区`)
	sbSent   = []string{"申请人可携带身份证原件和相关材料到%s政务服务中心窗口办理。", "也可通过政务服务网在线提交，审核通过后%d个工作日内办结。",
		"材料齐全的当场受理，不收取费用。", "委托他人代办的，还需提供授权委托书。", "咨询电话为12345，工作日受理。",
		"逾期未办理的，将暂停相关待遇。", "%s的街道便民服务站可提供帮办代办服务。", "对办理结果有异议的，可在%d日内申请复核。"}
	sbDepts = []string{"sb-a", "sb-b", "sb-c", "sb-d", "sb-e"}
)

func scaleHTTPDocs() int {
	if v, err := strconv.Atoi(os.Getenv("HALLGATE_BENCH_DOCS")); err == nil && v > 0 {
		return v
	}
	return 100_000
}

// sbCorpus writes n import lines (JSON Lines).
func sbCorpus(n int) []string {
	r := rand.New(rand.NewPCG(21, 3))
	lines := make([]string, n)
	for i := range lines {
		subj, act := sbSubjects[r.IntN(len(sbSubjects))], sbActions[r.IntN(len(sbActions))]
		var body strings.Builder
		for range 3 + r.IntN(4) {
			s := sbSent[r.IntN(len(sbSent))]
			switch {
			case strings.Contains(s, "%s"):
				s = fmt.Sprintf(s, sbPlaces[r.IntN(len(sbPlaces))])
			case strings.Contains(s, "%d"):
				s = fmt.Sprintf(s, 1+r.IntN(30))
			}
			body.WriteString(s)
		}
		b, _ := json.Marshal(map[string]any{
			"id": fmt.Sprintf("sb-%06d", i), "question": sbPlaces[r.IntN(len(sbPlaces))] + fmt.Sprintf(sbAsk[r.IntN(len(sbAsk))], act, subj) +
				fmt.Sprintf("（第%d条）", i), // titles are unique
			"answer": body.String(), "department": sbDepts[r.IntN(len(sbDepts))], "category": "综合/" + subj,
			"channel": "hotline", "keywords": []string{subj, act + subj},
		})
		lines[i] = string(b)
	}
	return lines
}

// sbQueries are n distinct caller-like queries (place × subject × action × form).
func sbQueries(n int) []string {
	forms := []string{"%s%s怎么%s", "%s%s%s要带什么", "%s我想%[3]s一下%[2]s", "%s%s%s多久能好", "%s%s在哪%s"}
	seen := map[string]bool{}
	r := rand.New(rand.NewPCG(22, 5))
	var out []string
	for len(out) < n && len(seen) < 40000 {
		q := fmt.Sprintf(forms[r.IntN(len(forms))], sbPlaces[r.IntN(len(sbPlaces))],
			sbSubjects[r.IntN(len(sbSubjects))], sbActions[r.IntN(len(sbActions))])
		if !seen[q] {
			seen[q] = true
			out = append(out, q)
		}
	}
	return out
}

func setupScaleHTTP(b *testing.B) *scaleEnv {
	scaleHTTPOnce.Do(func() {
		// The gateway's process should run with a soft memory limit
		// (GOMEMLIMIT); HALLGATE_BENCH_MEMLIMIT_MIB changes it (0: none).
		limit := int64(480)
		if v, err := strconv.ParseInt(os.Getenv("HALLGATE_BENCH_MEMLIMIT_MIB"), 10, 64); err == nil {
			limit = v
		}
		if limit > 0 {
			debug.SetMemoryLimit(limit << 20)
		}
		dir, err := os.MkdirTemp("", "hallgate-kbapi-scale-")
		if err != nil {
			b.Fatal(err)
		}
		idx, err := embedded.Open(context.Background(), embedded.Options{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		// The environment outlives the benchmark that builds it (and the
		// testing package's first b.N=1 round), so nothing is cleaned up
		// with it; the temporary directory is removed by the OS.
		app, _, _ := testApp(keepTB{b, dir}, idx)
		var depts []map[string]any
		for _, c := range sbDepts {
			depts = append(depts, map[string]any{"code": c, "name": "测试部门" + c, "legacy_hotlines": []string{},
				"consolidation_mode": "merged"})
		}
		dj, _ := json.Marshal(depts)
		if r := do(b, app, "POST", "/api/v1/departments/import", admin, string(dj)); r.status != 200 {
			b.Fatalf("departments: %d %s", r.status, r.body)
		}
		n := scaleHTTPDocs()
		lines := sbCorpus(n)
		start, cpu0 := time.Now(), processCPUTime()
		for i := 0; i < n; i += 5000 {
			body := strings.Join(lines[i:min(i+5000, n)], "\n")
			r := do(b, app, "POST", "/api/v1/kb/import", editor, body)
			if r.status != 200 {
				b.Fatalf("import: %d %.500s", r.status, r.body)
			}
			var res struct{ Imported int }
			if err := json.Unmarshal(r.body, &res); err != nil || res.Imported != min(5000, n-i) {
				b.Fatalf("import: %.500s", r.body)
			}
		}
		env := &scaleEnv{app: app, idx: idx, n: n, importDur: time.Since(start), importCPU: processCPUTime() - cpu0}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		go func() { _ = app.Listener(ln) }()
		env.base = "http://" + ln.Addr().String()
		env.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
		scaleHTTP = env
	})
	if scaleHTTP == nil {
		b.Fatal("scale setup failed")
	}
	return scaleHTTP
}

// keepTB hands testApp a directory and ignores its cleanups.
type keepTB struct {
	*testing.B
	dir string
}

func (k keepTB) Cleanup(func())  {}
func (k keepTB) TempDir() string { return k.dir }

func processCPUTime() time.Duration {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ 100
}

// httpLoad sends b.N searches from 32 keep-alive clients and reports
// searches/s and the process CPU per search.
func httpLoad(b *testing.B, env *scaleEnv, qs []string, distinct bool) {
	if distinct {
		qs = freshQueries(qs, b.N)
	}
	urls := make([]string, len(qs))
	for i, q := range qs {
		urls[i] = env.base + "/api/v1/kb/search?limit=10&q=" + url.QueryEscape(q)
	}
	var next atomic.Int64
	b.SetParallelism(16) // × GOMAXPROCS clients
	if path := os.Getenv("HALLGATE_BENCH_CPUPROFILE"); path != "" {
		// A profile of the load phase alone (the import is not in it).
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	b.ReportAllocs()
	cpu0 := processCPUTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			res, err := env.client.Get(urls[int(i)%len(urls)])
			if err != nil {
				b.Error(err)
				return
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Errorf("status %d: %.300s", res.StatusCode, body)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "searches/s")
	b.ReportMetric(float64((processCPUTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/search")
	if distinct {
		qs = freshQueries(qs, max(b.N, 500))
	}
	indexAlone(b, env, qs)
}

// indexAlone reports the index's own throughput and CPU per search on
// queries of the same kind, same process, as the HTTP figure beside it.
// Distinct benchmarks hand it a fresh window of queries (freshQueries): on
// the very queries the HTTP phase just sent, the index's result cache
// would answer part of them.
func indexAlone(b *testing.B, env *scaleEnv, qs []string) {
	m := min(len(qs), max(b.N, 500))
	var k atomic.Int64
	var wg sync.WaitGroup
	start, cpu0 := time.Now(), processCPUClock()
	for range runtime.GOMAXPROCS(0) * 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(k.Add(1) - 1)
				if i >= m {
					return
				}
				if _, err := env.idx.Search(context.Background(), knowledgebase.Query{Text: qs[i], Limit: 10, Now: time.Now()}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(m)/time.Since(start).Seconds(), "idx-searches/s")
	b.ReportMetric(float64((processCPUClock()-cpu0).Microseconds())/1000/float64(m), "idx-cpu-ms/search")
}

// distinctNext is where the next fresh window of the distinct queries
// starts: each phase of a distinct benchmark (every b.N round, HTTP and
// index alone) gets queries no earlier phase sent, so none is answered by
// the index's result cache (1,024 results kept for up to 10 s).
var distinctNext int

// freshQueries returns the next n queries of qs (wrapping around) that no
// earlier phase used.
func freshQueries(qs []string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = qs[(distinctNext+i)%len(qs)]
	}
	distinctNext = (distinctNext + n) % len(qs)
	return out
}

// BenchmarkScaleHTTPImport reports the import of the corpus through the API
// (bolt store + embedded index), done once per process.
func BenchmarkScaleHTTPImport(b *testing.B) {
	env := setupScaleHTTP(b)
	for b.Loop() {
	}
	b.ReportMetric(float64(env.n)/env.importDur.Seconds(), "entries/s")
	b.ReportMetric(float64(env.n)/env.importCPU.Seconds(), "entries/cpu-s")
}

// BenchmarkScaleHTTPSearchDistinct: every request a different query.
func BenchmarkScaleHTTPSearchDistinct(b *testing.B) {
	env := setupScaleHTTP(b)
	httpLoad(b, env, sbQueries(40000), true)
}

// BenchmarkScaleHTTPSearchRepeated: 64 queries over and over (what a result
// cache could answer).
func BenchmarkScaleHTTPSearchRepeated(b *testing.B) {
	env := setupScaleHTTP(b)
	httpLoad(b, env, sbQueries(64), false)
}
