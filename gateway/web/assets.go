package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

//go:embed templates/*.html static/*
var files embed.FS

// asset is one embedded static file with its content hash.
type asset struct {
	body []byte
	hash string // first 12 hex digits of SHA-256
	mime string
}

// loadAssets reads the static files once; their hashes version the URLs so
// browsers may cache them for a year.
func loadAssets() (map[string]asset, error) {
	out := map[string]asset{}
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		out[strings.TrimPrefix(p, "static/")] = asset{body: b, hash: hex.EncodeToString(sum[:])[:12], mime: ct}
		return nil
	})
	return out, err
}

// serveStatic answers /static/<name>: an ETag from the content hash, and a
// long immutable cache when the URL carries the current hash (?v=).
func (m *Module) serveStatic(c *fiber.Ctx) error {
	a, ok := m.assets[c.Params("*")]
	if !ok {
		return fiber.NewError(fiber.StatusNotFound, "没有这个文件")
	}
	etag := `"` + a.hash + `"`
	c.Set(fiber.HeaderETag, etag)
	if c.Query("v") == a.hash {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	}
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.mime)
	return c.Send(a.body)
}

// parseTemplates builds one template set per page: layout + page.
func parseTemplates(assets map[string]asset) (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"asset": func(name string) string {
			if a, ok := assets[name]; ok {
				return "/static/" + name + "?v=" + a.hash
			}
			return "/static/" + name
		},
		"highlight": highlight,
		"join":      strings.Join,
		"inc":       func(i int) int { return i + 1 },
	}
	pages, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", p)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// highlight escapes a search highlight and lets only the index's <em> marks
// through, so a KB text can never inject markup.
func highlight(s string) template.HTML {
	esc := template.HTMLEscapeString(s)
	esc = strings.ReplaceAll(esc, "&lt;em&gt;", "<mark>")
	esc = strings.ReplaceAll(esc, "&lt;/em&gt;", "</mark>")
	return template.HTML(esc) //nolint:gosec // escaped above; only <mark> re-enabled
}
