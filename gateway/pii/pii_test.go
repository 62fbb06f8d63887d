package pii

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func testSealer(t *testing.T, fill byte) *Sealer {
	t.Helper()
	s, err := New(bytes.Repeat([]byte{fill}, 32), bytes.Repeat([]byte{fill + 1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpen(t *testing.T) {
	s := testSealer(t, 1)
	sealed, err := s.Seal("13812345678")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "13812345678") || strings.Contains(sealed, "5678") {
		t.Fatalf("sealed value leaks the plain text: %s", sealed)
	}
	again, _ := s.Seal("13812345678")
	if again == sealed {
		t.Fatal("two seals of one value are equal: nonce reuse")
	}
	plain, err := s.Open(sealed)
	if err != nil || plain != "13812345678" {
		t.Fatalf("Open = %q, %v", plain, err)
	}
	if _, err := testSealer(t, 9).Open(sealed); !errors.Is(err, ErrSealed) {
		t.Fatalf("open with another key: %v, want ErrSealed", err)
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := s.Open(tampered); !errors.Is(err, ErrSealed) {
		t.Fatalf("open tampered: %v, want ErrSealed", err)
	}
}

func TestHash(t *testing.T) {
	a, b := testSealer(t, 1), testSealer(t, 5)
	if a.Hash("+8613812345678") != a.Hash("+8613812345678") {
		t.Fatal("hash is not deterministic")
	}
	if a.Hash("+8613812345678") == a.Hash("+8613812345679") {
		t.Fatal("different values hash equal")
	}
	if a.Hash("+8613812345678") == b.Hash("+8613812345678") {
		t.Fatal("hash does not depend on the key")
	}
}

func TestKeySize(t *testing.T) {
	if _, err := New(make([]byte, 16), make([]byte, 32)); !errors.Is(err, ErrKey) {
		t.Fatalf("16-byte key: %v", err)
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{"张三": "张*", "欧阳娜娜": "欧***", "李": "李*", "": ""} {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"13812345678": "138****5678", "027-87654321": "****4321", "+8613812345678": "138****5678", "123": "***"} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScrub(t *testing.T) {
	cases := map[string]string{
		"我叫张三，电话13812345678":          "我叫**，电话[电话已隐去]",
		"身份证110101199003071234请核实":    "身份证[身份证号已隐去]请核实",
		"座机027-87654321或邮箱a.b@qq.com": "座机[电话已隐去]或邮箱[邮箱已隐去]",
		"联系人：王五 小区停水三天":               "联系人：** 小区停水三天",
		"李四反映楼道灯不亮，李四家在三楼":            "**反映楼道灯不亮，**家在三楼",
	}
	for in, want := range cases {
		if got := Scrub(in, "李四"); got != want {
			t.Errorf("Scrub(%q) = %q, want %q", in, got, want)
		}
	}
}
