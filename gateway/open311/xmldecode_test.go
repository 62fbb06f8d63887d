package open311

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// xmlNode is a generic XML element.
type xmlNode struct {
	XMLName  xml.Name
	Children []xmlNode `xml:",any"`
	Text     string    `xml:",chardata"`
}

// decodeXMLBySchema turns an XML body into the JSON-like value the schema
// describes, honouring the schema's xml names and wrapped arrays, so that
// kin-openapi can validate XML responses like JSON ones.
func decodeXMLBySchema(body io.Reader, _ http.Header, ref *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	var root xmlNode
	if err := xml.NewDecoder(body).Decode(&root); err != nil {
		return nil, fmt.Errorf("xml: %w", err)
	}
	s := ref.Value
	if s.XML != nil && s.XML.Name != "" && s.XML.Name != root.XMLName.Local {
		return nil, fmt.Errorf("xml: root element %q, schema wants %q", root.XMLName.Local, s.XML.Name)
	}
	return convert(root, s)
}

func xmlName(s *openapi3.Schema, fallback string) string {
	if s != nil && s.XML != nil && s.XML.Name != "" {
		return s.XML.Name
	}
	return fallback
}

func convert(n xmlNode, s *openapi3.Schema) (any, error) {
	switch {
	case s.Type.Is("array"):
		items := []any{}
		want := xmlName(s.Items.Value, "")
		for _, ch := range n.Children {
			if want != "" && ch.XMLName.Local != want {
				return nil, fmt.Errorf("xml: <%s> inside <%s>, want <%s>", ch.XMLName.Local, n.XMLName.Local, want)
			}
			v, err := convert(ch, s.Items.Value)
			if err != nil {
				return nil, err
			}
			items = append(items, v)
		}
		return items, nil
	case s.Type.Is("object"):
		obj := map[string]any{}
		for name, p := range s.Properties {
			el := xmlName(p.Value, name)
			if p.Value.Type.Is("array") && (p.Value.XML == nil || !p.Value.XML.Wrapped) {
				// unwrapped: repeated elements named after the items
				var items []any
				for _, ch := range n.Children {
					if ch.XMLName.Local == xmlName(p.Value.Items.Value, name) {
						v, err := convert(ch, p.Value.Items.Value)
						if err != nil {
							return nil, err
						}
						items = append(items, v)
					}
				}
				if items != nil {
					obj[name] = items
				}
				continue
			}
			for _, ch := range n.Children {
				if ch.XMLName.Local == name || ch.XMLName.Local == el {
					v, err := convert(ch, p.Value)
					if err != nil {
						return nil, fmt.Errorf("%s: %w", name, err)
					}
					obj[name] = v
					break
				}
			}
		}
		for _, ch := range n.Children {
			if _, ok := s.Properties[ch.XMLName.Local]; !ok {
				obj[ch.XMLName.Local] = strings.TrimSpace(ch.Text) // unknown elements: let the schema judge them
			}
		}
		return obj, nil
	case s.Type.Is("boolean"):
		return strconv.ParseBool(strings.TrimSpace(n.Text))
	case s.Type.Is("number"):
		return strconv.ParseFloat(strings.TrimSpace(n.Text), 64)
	case s.Type.Is("integer"):
		return strconv.ParseInt(strings.TrimSpace(n.Text), 10, 64)
	}
	return n.Text, nil
}
