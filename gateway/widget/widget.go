package widget

import (
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hallgate/hallgate/gateway/auth"
	"github.com/hallgate/hallgate/gateway/httpapi"
)

//go:embed assets/widget.js assets/widget.css
var assets embed.FS

// Prefix is where the widget is served.
const Prefix = "/widget/v1/"

// cssMarker is replaced by the stylesheet, as a JS string literal.
const cssMarker = `/*__HG_CSS__*/""`

// Bundle is the assembled widget.
type Bundle struct {
	JS        []byte
	Hash      string // first 16 hex digits of the SHA-256 of JS
	Integrity string // "sha384-<base64>" for the integrity attribute
	Loader    []byte
}

// File is the hashed file name, e.g. "widget.0123456789abcdef.js".
func (b *Bundle) File() string { return "widget." + b.Hash + ".js" }

// Build assembles the widget from the embedded assets.
func Build() (*Bundle, error) {
	js, err1 := assets.ReadFile("assets/widget.js")
	css, err2 := assets.ReadFile("assets/widget.css")
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("widget assets: %v %v", err1, err2)
	}
	lit, err := json.Marshal(string(css))
	if err != nil {
		return nil, err
	}
	if !strings.Contains(string(js), cssMarker) {
		return nil, fmt.Errorf("widget assets: %s marker missing", cssMarker)
	}
	out := []byte(strings.Replace(string(js), cssMarker, string(lit), 1))
	sum := sha256.Sum256(out)
	sri := sha512.Sum384(out)
	b := &Bundle{JS: out, Hash: hex.EncodeToString(sum[:8]), Integrity: "sha384-" + base64.StdEncoding.EncodeToString(sri[:])}
	// The loader copies the data-* attributes of its own tag onto the
	// hashed script, which reads them from document.currentScript.
	b.Loader = []byte(`/* hallgate widget loader: short-lived, points at the immutable build */
(function () {
  var s = document.currentScript;
  if (!s) { return; }
  var n = document.createElement("script");
  n.src = new URL(` + jsString(b.File()) + `, s.src).href;
  n.integrity = ` + jsString(b.Integrity) + `;
  n.crossOrigin = "anonymous";
  n.async = true;
  for (var i = 0; i < s.attributes.length; i++) {
    var a = s.attributes[i];
    if (a.name.indexOf("data-") === 0) { n.setAttribute(a.name, a.value); }
  }
  s.parentNode.insertBefore(n, s.nextSibling);
})();
`)
	return b, nil
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Module serves the widget.
type Module struct{ b *Bundle }

var _ httpapi.Module = (*Module)(nil)

// New builds the module; the assets are embedded, so a failure is a build
// defect and panics at wiring time.
func New() *Module {
	b, err := Build()
	if err != nil {
		panic(err.Error())
	}
	return &Module{b: b}
}

// Bundle returns the assembled widget.
func (m *Module) Bundle() *Bundle { return m.b }

var public = []auth.Role{auth.RoleCitizen}

// Routes implements httpapi.Module.
func (m *Module) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: fiber.MethodGet, Path: Prefix + "embed", Roles: public, Summary: "嵌入代码：带完整性校验（SRI）的 script 标签", Handler: m.embed},
		{Method: fiber.MethodGet, Path: Prefix + ":file", Roles: public, Summary: "嵌入式政务服务组件脚本（widget.js 加载器；widget.<hash>.js 长期缓存）", Handler: m.file},
	}
}

func (m *Module) file(c *fiber.Ctx) error {
	// Any site may load the script; CORS is needed for the integrity check.
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	switch c.Params("file") {
	case "widget.js":
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
		return c.Send(m.b.Loader)
	case m.b.File():
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
		c.Set(fiber.HeaderETag, `"`+m.b.Hash+`"`)
		if c.Get(fiber.HeaderIfNoneMatch) == `"`+m.b.Hash+`"` {
			return c.SendStatus(fiber.StatusNotModified)
		}
		return c.Send(m.b.JS)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return httpapi.Errorf(fiber.StatusNotFound, "没有这个组件文件（当前版本为 %s）", m.b.File())
}

type embedResponse struct {
	ScriptURL string `json:"script_url"`
	Integrity string `json:"integrity"`
	LoaderURL string `json:"loader_url"`
	Snippet   string `json:"snippet"`
	// LoaderSnippet always follows the current build (no integrity on the
	// loader itself, which changes with every release).
	LoaderSnippet string `json:"loader_snippet"`
}

// embed returns the snippet for ?key=...&target=... (both optional: the
// placeholders stay for the partner to fill in).
func (m *Module) embed(c *fiber.Ctx) error {
	key := c.Query("key", "您的合作方密钥")
	target := c.Query("target", "#hallgate-widget")
	if len(key) > 200 || len(target) > 100 {
		return httpapi.Errorf(fiber.StatusBadRequest, "key or target too long")
	}
	base := c.BaseURL() + Prefix
	esc := html.EscapeString
	div := ""
	if id, ok := strings.CutPrefix(target, "#"); ok {
		div = `<div id="` + esc(id) + `"></div>` + "\n"
	}
	res := embedResponse{ScriptURL: base + m.b.File(), Integrity: m.b.Integrity, LoaderURL: base + "widget.js"}
	res.Snippet = div + `<script src="` + esc(res.ScriptURL) + `" integrity="` + res.Integrity + `" crossorigin="anonymous" data-key="` +
		esc(key) + `" data-target="` + esc(target) + `" async></script>`
	res.LoaderSnippet = div + `<script src="` + esc(res.LoaderURL) + `" data-key="` + esc(key) + `" data-target="` + esc(target) + `" async></script>`
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(res)
}
