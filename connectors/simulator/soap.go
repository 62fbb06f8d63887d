package simulator

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
)

// soap is the SOAP flavour: it reads IdempotencyKey/TicketId/TicketCode from
// the body's first element and answers DeliverResponse, or a Client fault.
func (s *Simulator) soap(w http.ResponseWriter, r *http.Request) {
	v12 := strings.HasPrefix(r.Header.Get("Content-Type"), "application/soap+xml")
	lostAck, ok := s.injected(w, r)
	if !ok {
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		soapFault(w, v12, true, "unreadable body")
		return
	}
	fields, err := soapFields(raw)
	if err != nil {
		soapFault(w, v12, true, "malformed envelope: "+err.Error())
		return
	}
	key := fields["IdempotencyKey"]
	if key == "" {
		key = r.Header.Get("Idempotency-Key")
	}
	if key == "" || fields["TicketId"] == "" {
		soapFault(w, v12, true, "IdempotencyKey and TicketId are required")
		return
	}
	ref, dup := s.store(key, fields["TicketId"], fields["TicketCode"])
	if !dup {
		s.scheduleCallbacks(key, fields["TicketId"], fields["TicketCode"], ref)
	}
	if lostAck {
		soapFault(w, v12, false, "crashed after commit")
		return
	}
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(ref))
	dupText := "false"
	if dup {
		dupText = "true"
	}
	writeEnvelope(w, v12, http.StatusOK, `<DeliverResponse xmlns="urn:hallgate:dispatch"><Reference>`+b.String()+`</Reference><Duplicate>`+dupText+`</Duplicate></DeliverResponse>`)
}

// soapFields collects the text of the leaf elements inside soap:Body.
func soapFields(raw []byte) (map[string]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	out := map[string]string{}
	depth, inBody := 0, false
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 2 && t.Name.Local == "Body" {
				inBody = true
			}
			text.Reset()
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if inBody && depth >= 4 {
				if _, ok := out[t.Name.Local]; !ok {
					out[t.Name.Local] = strings.TrimSpace(text.String())
				}
			}
			if depth == 2 && t.Name.Local == "Body" {
				inBody = false
			}
			depth--
			text.Reset()
		}
	}
	if len(out) == 0 {
		return nil, errors.New("empty body")
	}
	return out, nil
}

func soapFault(w http.ResponseWriter, v12, client bool, reason string) {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(reason))
	if v12 {
		code := "soap:Receiver"
		if client {
			code = "soap:Sender"
		}
		writeEnvelope(w, true, http.StatusInternalServerError, `<soap:Fault><soap:Code><soap:Value>`+code+`</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="zh">`+b.String()+`</soap:Text></soap:Reason></soap:Fault>`)
		return
	}
	code := "soap:Server"
	if client {
		code = "soap:Client"
	}
	writeEnvelope(w, false, http.StatusInternalServerError, `<soap:Fault><faultcode>`+code+`</faultcode><faultstring>`+b.String()+`</faultstring></soap:Fault>`)
}

func writeEnvelope(w http.ResponseWriter, v12 bool, status int, inner string) {
	ns, ct := "http://schemas.xmlsoap.org/soap/envelope/", "text/xml; charset=utf-8"
	if v12 {
		ns, ct = "http://www.w3.org/2003/05/soap-envelope", "application/soap+xml; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="`+ns+`"><soap:Body>`+inner+`</soap:Body></soap:Envelope>`)
}
