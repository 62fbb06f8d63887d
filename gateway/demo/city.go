package demo

import (
	_ "embed"

	"github.com/hallgate/hallgate/gateway/department"
	"github.com/hallgate/hallgate/gateway/routing"
	"github.com/hallgate/hallgate/knowledgebase"
)

// The demo city's departments. Two of them (城管局 and 市场监管局) get a
// simulated legacy system; 公积金中心 gets one too, used to show a dead
// letter and its redrive.
var departments = []department.Department{
	{Code: "rsj", Name: "示范市人力资源和社会保障局", ShortName: "人社局", LegacyHotlines: []string{"12333"}, ConsolidationMode: department.ModeMerged, Responsibilities: "就业创业、社会保险、劳动关系、工资支付、职业技能培训"},
	{Code: "scjg", Name: "示范市市场监督管理局", ShortName: "市场监管局", LegacyHotlines: []string{"12315"}, ConsolidationMode: department.ModeParallel, Responsibilities: "消费维权、食品安全、商品质量、价格监督、营业执照登记"},
	{Code: "swj", Name: "国家税务总局示范市税务局", ShortName: "税务局", LegacyHotlines: []string{"12366"}, ConsolidationMode: department.ModeMerged, Responsibilities: "个人所得税、发票、纳税申报、社保费征收"},
	{Code: "jtj", Name: "示范市交通运输局", ShortName: "交通局", LegacyHotlines: []string{"12328"}, ConsolidationMode: department.ModeMerged, Responsibilities: "公交线路、出租车与网约车、道路运输、公路养护"},
	{Code: "cgj", Name: "示范市城市管理局", ShortName: "城管局", LegacyHotlines: []string{"12319"}, ConsolidationMode: department.ModeMerged, Responsibilities: "占道经营、违章搭建、市容环境、路灯、生活垃圾清运、噪音扰民（施工夜间）"},
	{Code: "gjj", Name: "示范市住房公积金管理中心", ShortName: "公积金中心", LegacyHotlines: []string{"12329"}, ConsolidationMode: department.ModeSubcentre, Responsibilities: "公积金缴存、提取、贷款"},
	{Code: "hbj", Name: "示范市生态环境局", ShortName: "生态环境局", LegacyHotlines: []string{"12369"}, ConsolidationMode: department.ModeMerged, Responsibilities: "大气、水、噪声污染，工业排污，环境影响评价"},
	{Code: "gaj", Name: "示范市公安局", ShortName: "公安局", LegacyHotlines: []string{}, ConsolidationMode: department.ModeMerged, Responsibilities: "户籍、居住证、身份证、出入境证件（非紧急事项）"},
}

// hotlineNames are the display names of the legacy numbers.
var hotlineNames = map[string]string{
	"12333": "人社服务热线", "12315": "消费者投诉举报热线", "12366": "纳税服务热线", "12328": "交通运输服务热线",
	"12319": "城市管理服务热线", "12329": "住房公积金热线", "12369": "环保举报热线",
}

type qa struct {
	id, dept, cat, q, a string
	kw                  []string
}

// entries are the demo knowledge base: short, plain answers in the style of
// a hotline's FAQ.
var entries = []qa{
	{"demo-rsj-001", "rsj", "社会保险/养老保险", "灵活就业人员怎么参加职工养老保险？", "持身份证到户籍地或居住地社保经办窗口登记，也可在示范市人社网上服务大厅办理“灵活就业人员参保登记”，按月或按季缴费。", []string{"灵活就业", "养老保险", "参保"}},
	{"demo-rsj-002", "rsj", "社会保险/医疗保险", "异地就医需要备案吗？怎么备案？", "跨省异地就医需先备案。可通过国家医保服务平台App或示范市医保窗口办理，备案后在就医地定点医院直接结算。", []string{"异地就医", "备案", "医保"}},
	{"demo-rsj-003", "rsj", "劳动关系/工资支付", "公司拖欠工资怎么办？", "可先与单位协商；协商不成可向用人单位所在地劳动保障监察机构投诉，或申请劳动争议仲裁。请保留劳动合同、考勤和工资条等证据。", []string{"拖欠工资", "欠薪", "劳动监察"}},
	{"demo-rsj-004", "rsj", "就业创业/失业保险", "失业保险金怎么申领？", "非因本人意愿中断就业、已办理失业登记并有求职要求，且缴纳失业保险满一年的，可在线或到社保窗口申领失业保险金。", []string{"失业金", "失业保险", "申领"}},
	{"demo-rsj-005", "rsj", "社会保险/社保卡", "社保卡丢了怎么补办？", "先拨打12333或在App上办理挂失，再携带身份证到合作银行网点或社保窗口补卡，补卡工本费按规定收取。", []string{"社保卡", "挂失", "补办"}},
	{"demo-scjg-001", "scjg", "消费维权/网购", "网购商品有质量问题，商家不退货怎么办？", "可先通过平台申请售后；协商不成可向经营者所在地市场监管部门投诉，或拨打12345、12315反映，请保留订单、聊天记录和商品照片。", []string{"网购", "退货", "质量问题", "投诉"}},
	{"demo-scjg-002", "scjg", "食品安全", "发现餐馆卫生状况差可以向哪里举报？", "可向餐馆所在地市场监管部门举报，或拨打12345，提供店名、地址、时间和照片等线索。", []string{"餐馆", "卫生", "食品安全", "举报"}},
	{"demo-scjg-003", "scjg", "登记注册/个体工商户", "个体工商户营业执照怎么办？", "可登录示范市企业开办一网通办平台在线申请，也可到政务服务中心市场监管窗口办理，材料齐全的当场办结。", []string{"营业执照", "个体户", "登记"}},
	{"demo-scjg-004", "scjg", "价格监督", "商家明码标价和结账价格不一致怎么办？", "保留价签照片和付款凭证，可向当地市场监管部门举报价格违法行为。", []string{"明码标价", "价格", "乱收费"}},
	{"demo-swj-001", "swj", "个人所得税/汇算清缴", "个人所得税年度汇算什么时候办？", "每年3月1日至6月30日，可通过个人所得税App办理年度汇算，需补税的按时补缴，可退税的提交退税申请。", []string{"个税", "汇算", "退税"}},
	{"demo-swj-002", "swj", "个人所得税/专项附加扣除", "子女教育专项附加扣除怎么填报？", "在个人所得税App“专项附加扣除填报”中选择子女教育，填写子女信息和受教育阶段，可选择由单位按月扣除或年度汇算时扣除。", []string{"专项附加扣除", "子女教育", "个税"}},
	{"demo-swj-003", "swj", "发票", "个人怎么代开增值税发票？", "可通过电子税务局或到办税服务厅申请代开，需提供身份证件和合同等资料。", []string{"代开发票", "发票"}},
	{"demo-jtj-001", "jtj", "公共交通/公交", "公交车长时间不来、到站不停可以投诉吗？", "可以。请提供线路、车牌号、时间和站点，向12345或交通运输部门反映，核实后督促公交企业整改。", []string{"公交", "不停站", "投诉"}},
	{"demo-jtj-002", "jtj", "出租汽车", "出租车拒载、绕路怎么投诉？", "记下车牌号、上下车时间和地点，保留发票或行程记录，拨打12345或12328投诉。", []string{"出租车", "拒载", "绕路"}},
	{"demo-jtj-003", "jtj", "公共交通/老年卡", "老年人乘公交免费吗？怎么办理老年卡？", "年满65周岁的本市户籍老人可凭身份证到公交卡服务网点办理老年卡，乘坐市内公交免费。", []string{"老年卡", "免费乘车", "公交"}},
	{"demo-cgj-001", "cgj", "市容环境/占道经营", "小区门口有人占道摆摊怎么办？", "可拨打12345反映具体位置和时间段，城管部门将安排人员核查并依法处理。", []string{"占道经营", "摆摊", "流动摊贩"}},
	{"demo-cgj-002", "cgj", "违法建设", "楼顶有人违章搭建怎么举报？", "提供详细地址、搭建时间和照片，通过12345或城管部门举报，执法人员核实后依法处理。", []string{"违章搭建", "违建", "举报"}},
	{"demo-cgj-003", "cgj", "市政设施/路灯", "路灯不亮找哪个部门？", "城市道路路灯由城管部门负责维护。请说明道路名称和灯杆编号（或附近门牌），一般在3个工作日内修复。", []string{"路灯", "不亮", "维修"}},
	{"demo-cgj-004", "cgj", "环境卫生/生活垃圾", "垃圾几天没人清运怎么办？", "请说明小区或路段位置，城管环卫部门将督促清运单位及时清运。", []string{"垃圾", "清运", "环卫"}},
	{"demo-cgj-005", "cgj", "噪音/施工噪音", "工地夜间施工很吵可以投诉吗？", "夜间（22时至次日6时）未经许可施工产生噪音的，可拨打12345投诉，提供工地位置，城管部门将核查处理。", []string{"夜间施工", "噪音", "扰民"}},
	{"demo-gjj-001", "gjj", "公积金/提取", "租房可以提取住房公积金吗？", "无自有住房且租房自住的职工可申请租房提取，可通过公积金App或网上服务大厅办理，按规定额度每季度提取。", []string{"公积金", "租房提取"}},
	{"demo-gjj-002", "gjj", "公积金/贷款", "公积金贷款最高能贷多少？", "示范市公积金贷款最高额度单人40万元、双人60万元，具体额度按账户余额、缴存时间和还款能力计算。", []string{"公积金贷款", "额度"}},
	{"demo-gjj-003", "gjj", "公积金/缴存", "换工作后公积金怎么转移？", "新单位为您开户缴存后，可在公积金App申请“个人账户转移”，市内转移即时到账。", []string{"公积金", "转移", "换工作"}},
	{"demo-hbj-001", "hbj", "大气污染", "工厂排放刺鼻气味向哪里举报？", "可拨打12345或12369举报，提供工厂名称、位置和气味出现时间，生态环境部门将安排执法检查。", []string{"废气", "异味", "排污", "举报"}},
	{"demo-hbj-002", "hbj", "水污染", "河道发黑发臭怎么反映？", "请提供河道名称和具体位置、照片，通过12345反映，生态环境部门会同水务部门处理。", []string{"河道", "黑臭", "水污染"}},
	{"demo-gaj-001", "gaj", "户政/居住证", "怎么办理居住证？", "在本市居住半年以上、有合法稳定就业或住所或连续就读的，可持身份证、居住证明到居住地派出所或政务服务中心公安窗口申领，15个工作日内制证。", []string{"居住证", "办理"}},
	{"demo-gaj-002", "gaj", "户政/身份证", "身份证丢了怎么补办？", "可到任一派出所户籍窗口或政务服务中心补领，现场采集照片，补领费用20元，也可申请临时身份证。", []string{"身份证", "补办", "丢失"}},
	{"demo-gaj-003", "gaj", "出入境", "护照怎么办理？", "可通过移民局App预约后，到出入境接待大厅办理，7个工作日内制证，可选择邮寄。", []string{"护照", "出入境"}},
	{"demo-rsj-006", "rsj", "职业技能/补贴", "参加职业技能培训有补贴吗？", "取得职业资格证书或职业技能等级证书的，可按规定申领技能提升补贴，在人社网上服务大厅申请。", []string{"技能补贴", "培训"}},
	{"demo-swj-004", "swj", "社保费", "城乡居民医保怎么缴费？", "每年集中缴费期内可通过税务App、微信或银行渠道缴纳城乡居民医保费。", []string{"居民医保", "缴费"}},
}

// items are the demo service items with their guides.
var items = []knowledgebase.ServiceItem{
	{ID: "demo-item-juzhuzheng", Name: "居住证申领", Code: "530100-GA-GG-0001", Type: "公共服务", Department: "gaj", ImplementingBody: "示范市公安局各派出所",
		LegalBasis: []string{"《居住证暂行条例》"}, Conditions: []string{"在本市居住半年以上", "有合法稳定就业、合法稳定住所或连续就读之一"},
		Materials: []knowledgebase.Material{{Name: "居民身份证", Form: "原件", Count: 1}, {Name: "居住证明（租赁合同或房产证明）", Form: "原件和复印件", Count: 1}, {Name: "就业或就读证明", Form: "原件", Count: 1, Note: "三者之一即可"}},
		Steps:     []string{"网上预约或现场取号", "窗口提交材料并采集照片", "审核通过后制证", "领取居住证或邮寄送达"}, StatutoryDays: 15, PromisedDays: 10,
		Place: "居住地派出所户籍窗口、示范市政务服务中心二楼公安窗口", Hours: "工作日 9:00-12:00，13:30-17:00", Visits: 1, EnquiryPhone: "12345", ComplaintPhone: "12345",
		OnlineURL: "https://zwfw.example.gov.cn/items/juzhuzheng", Category: "户政", Keywords: []string{"居住证", "暂住证"}, Status: knowledgebase.StatusPublished},
	{ID: "demo-item-getihu", Name: "个体工商户设立登记", Code: "530100-SJ-XK-0002", Type: "行政许可", Department: "scjg", ImplementingBody: "示范市市场监督管理局",
		LegalBasis: []string{"《促进个体工商户发展条例》"}, Conditions: []string{"有经营能力的自然人", "有固定的经营场所"},
		Materials: []knowledgebase.Material{{Name: "经营者身份证", Form: "原件", Count: 1}, {Name: "经营场所使用证明", Form: "复印件", Count: 1}},
		Steps:     []string{"在线填报或窗口申请", "材料审核", "领取营业执照"}, StatutoryDays: 15, OnTheSpot: true,
		Place: "示范市政务服务中心一楼市场监管窗口", Hours: "工作日 9:00-17:00", Visits: 0, EnquiryPhone: "12345",
		OnlineURL: "https://zwfw.example.gov.cn/items/getihu", Category: "登记注册", Keywords: []string{"营业执照", "个体户"}, Status: knowledgebase.StatusPublished},
	{ID: "demo-item-shiye", Name: "失业保险金申领", Code: "530100-RS-JF-0003", Type: "行政给付", Department: "rsj", ImplementingBody: "示范市社会保险服务中心",
		Conditions: []string{"非因本人意愿中断就业", "已办理失业登记并有求职要求", "失业前缴纳失业保险满一年"},
		Materials:  []knowledgebase.Material{{Name: "居民身份证", Form: "原件", Count: 1}, {Name: "解除或终止劳动关系证明", Form: "电子件", Count: 1}},
		Steps:      []string{"在线申请或窗口申请", "经办机构审核", "按月发放失业保险金"}, StatutoryDays: 10, PromisedDays: 5,
		Place: "示范市社会保险服务中心", Hours: "工作日 9:00-17:00", Visits: 0, EnquiryPhone: "12333",
		OnlineURL: "https://zwfw.example.gov.cn/items/shiye", Category: "就业创业", Keywords: []string{"失业金", "失业保险"}, Status: knowledgebase.StatusPublished},
	{ID: "demo-item-zufang", Name: "住房公积金租房提取", Code: "530100-GJ-JF-0004", Type: "公共服务", Department: "gjj", ImplementingBody: "示范市住房公积金管理中心",
		Conditions: []string{"职工及配偶在本市无自有住房", "租房自住"},
		Materials:  []knowledgebase.Material{{Name: "居民身份证", Form: "原件", Count: 1}, {Name: "无房证明", Form: "电子件", Count: 1, Note: "系统自动核验"}},
		Steps:      []string{"公积金App提交申请", "系统核验", "资金转入本人银行卡"}, OnTheSpot: true,
		Place: "示范市住房公积金管理中心各营业部", Hours: "工作日 9:00-17:00", EnquiryPhone: "12329",
		OnlineURL: "https://zwfw.example.gov.cn/items/zufang", Category: "公积金", Keywords: []string{"公积金", "租房提取"}, Status: knowledgebase.StatusPublished},
	{ID: "demo-item-laonianka", Name: "老年人公交乘车卡办理", Code: "530100-JT-GG-0005", Type: "公共服务", Department: "jtj", ImplementingBody: "示范市公交卡服务中心",
		Conditions: []string{"年满65周岁的本市户籍居民"},
		Materials:  []knowledgebase.Material{{Name: "居民身份证", Form: "原件", Count: 1}, {Name: "近期一寸照片", Form: "原件", Count: 1}},
		Steps:      []string{"到服务网点提交材料", "现场制卡"}, OnTheSpot: true,
		Place: "各公交卡服务网点", Hours: "每日 8:30-17:30", Visits: 1, EnquiryPhone: "12328",
		Category: "公共交通", Keywords: []string{"老年卡", "免费乘车"}, Status: knowledgebase.StatusPublished},
	{ID: "demo-item-shebaoka", Name: "社会保障卡补换", Code: "530100-RS-GG-0006", Type: "公共服务", Department: "rsj", ImplementingBody: "示范市社会保险服务中心",
		Conditions: []string{"社会保障卡遗失、损坏或信息变更"},
		Materials:  []knowledgebase.Material{{Name: "居民身份证", Form: "原件", Count: 1}},
		Steps:      []string{"挂失（遗失时）", "到合作银行或社保窗口申请补卡", "领取新卡"}, PromisedDays: 1,
		Place: "合作银行网点、示范市社会保险服务中心", Hours: "工作日 9:00-17:00", Fees: "按规定收取工本费", Visits: 1, EnquiryPhone: "12333",
		Category: "社会保险", Keywords: []string{"社保卡", "补办"}, Status: knowledgebase.StatusPublished},
}

// guide is the demo city's dispatch guide (派单指引), imported into the
// catalogue as scope rules, one per department line, and urgent phrases.
//
//go:embed guide.md
var guide string

// rules are the demo dispatch catalogue: keywords that settle the lead
// department outright.
var rules = []routing.Rule{
	{ID: "demo-rule-luden", Keywords: []string{"路灯"}, Department: "cgj", Priority: 10, Note: "路灯维护"},
	{ID: "demo-rule-zhandao", Keywords: []string{"占道", "摆摊"}, Department: "cgj", Priority: 10, Note: "占道经营"},
	{ID: "demo-rule-weijian", Keywords: []string{"违章搭建", "违建"}, Department: "cgj", Priority: 10},
	{ID: "demo-rule-xiaofei", Keywords: []string{"退货", "消费纠纷"}, Department: "scjg", Priority: 10},
	{ID: "demo-rule-qianxin", Keywords: []string{"拖欠工资", "欠薪"}, Department: "rsj", Priority: 10},
	{ID: "demo-rule-paiwu", Keywords: []string{"排污", "刺鼻"}, Department: "hbj", Priority: 10},
}

// synonyms are runtime synonym groups for the demo KB.
var synonyms = [][]string{{"欠薪", "拖欠工资", "不发工资"}, {"违建", "违章搭建", "私搭乱建"}, {"暂住证", "居住证"}}
