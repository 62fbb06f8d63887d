package analysis

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// t2sPairs lists common traditional characters each followed by its
// simplified form. It covers the characters that appear in government
// service vocabulary (證/证, 戶/户, 險/险, 醫/医 ...) rather than the full
// OpenCC table: a caller typing traditional Chinese mostly uses these.
const t2sPairs = "" +
	"證证戶户險险醫医療疗動动國国會会時时們们個个來来對对說说這这為为與与" +
	"發发經经業业務务關关於于學学實实點点現现過过還还後后開开無无長长門门" +
	"問问間间題题應应義义頭头給给進进種种見见讓让車车買买賣卖東东樣样當当" +
	"認认從从機机結结級级號号辦办場场處处歲岁報报導导費费貸贷資资續续歸归" +
	"單单麼么據据區区團团龍龙壓压電电話话網网線线親亲愛爱錢钱銀银鐵铁長长" +
	"燈灯雜杂飛飞風风體体術术條条號号變变讀读寫写聽听買买賣卖鄉乡鎮镇縣县" +
	"市市區区廳厅審审計计稅税費费許许註注冊册標标準准權权產产廣广價价補补" +
	"貼贴領领導导養养老老職职險险額额檔档齡龄殘残難难葬葬殯殡護护照照簽签" +
	"護护駕驾駛驶違违規规罰罚車车輛辆牌牌騎骑鐵铁遞递郵邮寄寄鄰邻噪噪聲声" +
	"環环境境汙污衛卫擾扰響响氣气燃燃熱热慶庆節节隊队員员團团幣币礎础際际" +
	"紀纪維维設设備备復复頁页預预顧顾類类齊齐齒齿歷历曆历壽寿專专韓韩戲戏" +
	"漢汉湯汤滿满濟济災灾爺爷狀状獎奖瑪玛畫画異异盡尽監监盤盘確确禮礼禍祸" +
	"積积穩稳窮穷竊窃範范築筑簡简糧粮紅红約约納纳紙纸級级組组細细終终絕绝" +
	"給给統统絲丝綠绿緊紧總总緒绪線线編编緣缘縮缩績绩繳缴羅罗聯联聖圣肅肃" +
	"脈脉腦脑臨临與与舊旧艱艰藝艺蘭兰處处號号蟲虫補补裝装製制複复規规視视" +
	"覺觉觀观訂订訊讯訓训記记訪访設设診诊詢询試试詳详誠诚誤误請请諮咨謝谢" +
	"證证識识議议譯译護护讓让貨货貧贫責责貴贵貿贸賓宾賠赔賬账質质購购贈赠" +
	"趕赶跡迹踐践軍军軟软較较載载輔辅輕轻輸输轉转農农連连週周運运遊游達达" +
	"遠远適适遲迟選选遺遗邊边鄭郑醫医釋释針针鈔钞鋪铺錄录錯错鍋锅鎖锁鐘钟" +
	"鑑鉴閉闭閒闲閱阅闆板闖闯陳陈陰阴陸陆陽阳隨随險险隱隐雙双雞鸡離离雲云" +
	"電电靜静韌韧順顺須须領领頻频顆颗題题額额願愿顯显飯饭飲饮餘余館馆馬马" +
	"駐驻驗验髮发鬧闹魚鱼鳥鸟鹽盐麥麦黃黄點点齡龄兒儿兩两備备傳传傷伤僅仅" +
	"價价億亿優优償偿內内寫写決决況况凍冻則则剛刚創创劃划劑剂勞劳勢势勵励" +
	"協协參参雙双叢丛吳吴員员啟启喪丧嚴严園园圖图圍围堅坚執执報报場场塊块" +
	"壞坏壯壮夢梦奪夺奮奋婦妇媽妈嬰婴孫孙寧宁寶宝寬宽對对將将導导屆届屬属" +
	"岡冈島岛嶺岭幫帮廠厂庫库應应廢废彈弹徑径從从徵征恆恒惡恶愛爱態态慣惯" +
	"憑凭懷怀戰战戶户撥拨擔担據据擇择擊击擁拥擬拟攜携敗败敵敌數数斷断舊旧" +
	"暫暂曉晓書书會会構构樓楼橋桥檢检櫃柜欄栏權权歡欢殺杀毀毁氣气沒没滅灭" +
	"湧涌測测漲涨潔洁濕湿災灾為为煙烟爭争牆墙狀状獨独獲获瑤瑶產产畢毕當当" +
	"療疗癥症發发盜盗睜睁礙碍禦御種种稱称窗窗競竞筆笔紀纪純纯紛纷級级絡络" +
	"維维綜综緩缓練练縣县總总織织繼继續续罷罢聞闻聲声職职膽胆膚肤臉脸艙舱" +
	"衝冲裡里製制襲袭覽览訴诉詐诈評评該该誰谁課课調调論论謀谋講讲賽赛贊赞" +
	"跡迹蹤踪轄辖辦办邁迈還还鄰邻釐厘鐘钟長长開开閘闸關关陣阵險险隸隶難难" +
	"響响頂顶項项預预頓顿飼饲養养驅驱體体鬆松齡龄"

// t2s maps a Han rune (index r-0x3400, the range isHan accepts) to its
// simplified form, 0 if it has none. A dense table instead of a map: every
// Han rune of every imported text is looked up here.
var t2s = func() []rune {
	m := make([]rune, 0x9FFF-0x3400+1)
	rs := []rune(t2sPairs)
	for i := 0; i+1 < len(rs); i += 2 {
		if rs[i] != rs[i+1] && isHan(rs[i]) {
			m[rs[i]-0x3400] = rs[i+1]
		}
	}
	return m
}()

// isHan reports whether r is a CJK unified ideograph (basic block and
// extension A), the characters we n-gram and transliterate.
func isHan(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF)
}

// foldRune maps one rune to its normal form: full-width ASCII to half width,
// ideographic space to space, upper to lower case, traditional to
// simplified. Punctuation and symbols become a space (a token boundary).
func foldRune(r rune) rune {
	switch {
	case r == 0x3000:
		return ' '
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFEE0
	}
	if r < utf8.RuneSelf {
		switch {
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		case (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9'):
			return r
		case r == '.' || r == '-' || r == '+' || r == '#' || r == '@' || r == '_':
			// Kept inside tokens (x-ray, 12.5, c++), trimmed at edges by the tokenizer.
			return r
		default:
			return ' '
		}
	}
	if isHan(r) {
		if s := t2s[r-0x3400]; s != 0 {
			return s
		}
		return r
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return unicode.ToLower(r)
	}
	return ' '
}

// Fold maps one rune to its normalized form, 1:1 (punctuation and
// symbols become a space). Highlighters use it to match normalized terms
// against the original text position by position.
func Fold(r rune) rune { return foldRune(r) }

// Normalize folds width, case, traditional characters and punctuation and
// collapses runs of spaces. It is cheap and safe for concurrent use.
func (a *Analyzer) Normalize(s string) string { return Normalize(s) }

// Normalize is the package-level form of Analyzer.Normalize; it needs no
// dictionary.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true // suppress leading spaces
	for _, r := range s {
		f := foldRune(r)
		if f == ' ' {
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		b.WriteRune(f)
		space = false
	}
	out := b.String()
	return strings.TrimRight(out, " ")
}
