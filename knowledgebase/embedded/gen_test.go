package embedded

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/hallgate/hallgate/knowledgebase"
)

// Synthetic Chinese FAQ entries for scale tests, generated from our own
// vocabulary (not from any dataset): a subject, an action and a question
// template, answered by a few templated sentences with random specifics.

var (
	genSubjects = strings.Fields(`社保卡 医保卡 公积金 居住证 身份证 户口簿 护照 港澳通行证 驾驶证 行驶证 营业执照
		食品经营许可证 药品经营许可证 不动产权证书 结婚证 出生医学证明 残疾人证 老年人优待证 电动自行车号牌
		养老保险 失业保险 工伤保险 生育津贴 医疗保险 长期护理保险 灵活就业参保 创业担保贷款 职业技能补贴
		公租房 人才公寓 住房补贴 维修资金 物业服务 燃气开户 自来水过户 电费发票 供暖缴费 有线电视
		新生儿落户 随迁子女入学 幼儿园报名 小学学位 学籍转移 助学金 高考报名 中考加分 教师资格证
		个人所得税 增值税发票 契税 车船税 印花税 房产税 社保费 残保金 出口退税 税务登记
		商标注册 专利申请 计量器具检定 特种设备登记 广告备案 网络交易 价格投诉 预付卡退费
		机动车年检 违章处理 驾驶证换证 网约车资格 出租车投诉 公交卡 停车位 充电桩 道路占用 施工围挡
		垃圾分类 噪声投诉 油烟污染 违法建设 户外广告 树木修剪 路灯维修 井盖缺失 积水内涝 犬只登记
		低保申请 特困供养 临时救助 高龄津贴 殡葬补贴 婚姻登记 收养登记 社会组织登记 慈善募捐 养老机构
		退役军人优待 优抚补助 烈士褒扬 军人家属安置 征兵报名 伤残抚恤
		土地承包 宅基地 农机购置补贴 农产品认证 种粮补贴 动物检疫 渔船登记 林木采伐
		景区门票 导游证 旅行社许可 文物保护 演出审批 网吧许可 体育场馆 图书馆借阅
		安全生产许可 危化品经营 消防检查 应急避难 防汛物资 地震预警
		预防接种 健康证 母婴保健 职业病诊断 医疗纠纷 献血证 药品不良反应 中医诊所备案`)
	genActions = strings.Fields(`申请 办理 补办 换领 变更 注销 查询 转移 提取 续期 挂失 缴纳 退费 认定 审批 备案 年审 迁移 核验 预约`)
	genAsk     = []string{
		"如何%s%s？", "%[2]s%[1]s需要哪些材料？", "%[2]s%[1]s要多长时间？", "%[2]s%[1]s收费吗？",
		"在哪里%s%s？", "%[2]s可以网上%[1]s吗？", "%[2]s%[1]s的条件是什么？", "外地人能否%s本市%s？",
		"%[2]s%[1]s的流程是怎样的？", "代办%[2]s%[1]s需要什么手续？", "%[2]s%[1]s后多久能领取？",
	}
	genPlaces   = strings.Fields(`东城区 西城区 南湖区 北山区 江川新区 高新区 临江县 青石镇 花园街道 滨河街道`)
	genChannels = []string{"hotline", "website", "service_item"}
	genDepts    = strings.Fields(`hrss hpf psb mca edu tax amr tran urban water power gas housing nrb health agri culture va em`)
	genSentence = []string{
		"申请人可携带身份证原件和%s相关材料到%s政务服务中心%d号窗口办理。",
		"也可通过“江川政务”APP或政务服务网在线提交，审核通过后%d个工作日内办结。",
		"办理%s不收取任何费用，材料齐全的当场受理。",
		"委托他人代办的，还需提供授权委托书和代办人身份证。",
		"符合条件的，按每月%d元的标准发放，次月起计算。",
		"咨询电话为12345，工作日上午九点至下午五点受理。",
		"逾期未办理的，将暂停相关待遇，补办后恢复。",
		"%s所在地的街道便民服务站可提供帮办代办服务。",
		"材料不全的，工作人员会一次性告知需补正的内容。",
		"特殊情况可预约上门服务，老年人和残疾人优先。",
		"结果可通过邮寄送达，邮费由政府承担。",
		"对办理结果有异议的，可在%d日内申请复核。",
	}
)

func genDoc(r *rand.Rand, i int) knowledgebase.Document {
	subj := genSubjects[r.IntN(len(genSubjects))]
	act := genActions[r.IntN(len(genActions))]
	q := genAsk[r.IntN(len(genAsk))]
	title := fmt.Sprintf(q, act, subj)
	if strings.Contains(title, "%!") {
		title = fmt.Sprintf("如何%s%s？", act, subj)
	}
	var body strings.Builder
	n := 3 + r.IntN(4)
	for range n {
		s := genSentence[r.IntN(len(genSentence))]
		var args []any
		for j := 0; j+1 < len(s); j++ {
			if s[j] != '%' {
				continue
			}
			switch s[j+1] {
			case 's':
				if r.IntN(2) == 0 {
					args = append(args, subj)
				} else {
					args = append(args, genPlaces[r.IntN(len(genPlaces))])
				}
			case 'd':
				args = append(args, 1+r.IntN(30))
			}
		}
		body.WriteString(fmt.Sprintf(s, args...))
	}
	return knowledgebase.Document{
		ID: fmt.Sprintf("gen-%06d", i), Kind: knowledgebase.KindEntry, Title: title,
		Body: body.String(), Department: genDepts[r.IntN(len(genDepts))],
		Category: "综合/" + subj, Channels: []string{genChannels[r.IntN(3)]},
		Keywords: []string{subj, act + subj}, Searchable: true,
	}
}

func genDocs(n int, seed uint64) []knowledgebase.Document {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]knowledgebase.Document, n)
	for i := range out {
		out[i] = genDoc(r, i)
	}
	return out
}

// genQueries are caller-like queries over the generated vocabulary.
func genQueries(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 9))
	forms := []string{"%s怎么%s", "%s%s要带什么", "我想%[2]s一下%[1]s", "%s%s多久能好", "%s", "%s在哪%s"}
	out := make([]string, n)
	for i := range out {
		subj := genSubjects[r.IntN(len(genSubjects))]
		act := genActions[r.IntN(len(genActions))]
		f := forms[r.IntN(len(forms))]
		q := fmt.Sprintf(f, subj, act)
		out[i] = strings.SplitN(q, "%!", 2)[0]
	}
	return out
}
