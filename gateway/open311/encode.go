package open311

import (
	"encoding/json"
	"encoding/xml"

	"github.com/gofiber/fiber/v2"
)

// xmlList wraps a list in the element the standard names for it.
type xmlList[T any] struct {
	XMLName xml.Name
	Items   []T
}

func (l xmlList[T]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	start = xml.StartElement{Name: l.XMLName}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, it := range l.Items {
		if err := e.Encode(it); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// respond writes v in the requested format. Lists take the wrapper element
// name the standard gives them (services, service_requests, ...).
func respond[T any](c *fiber.Ctx, format string, status int, wrapper string, items []T) error {
	if items == nil {
		items = []T{}
	}
	c.Status(status)
	if format == "xml" {
		body, err := xml.Marshal(xmlList[T]{XMLName: xml.Name{Local: wrapper}, Items: items})
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "application/xml; charset=utf-8")
		return c.Send(append([]byte(xml.Header), body...))
	}
	body, err := json.Marshal(items)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(body)
}

// respondOne writes a single object (service definition, discovery).
func respondOne(c *fiber.Ctx, format string, v any) error {
	if format == "xml" {
		body, err := xml.Marshal(v)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "application/xml; charset=utf-8")
		return c.Send(append([]byte(xml.Header), body...))
	}
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(body)
}

// fail answers with the standard's error list.
func fail(c *fiber.Ctx, format string, status int, description string) error {
	return respond(c, format, status, "errors", []APIError{{Code: status, Description: description}})
}
