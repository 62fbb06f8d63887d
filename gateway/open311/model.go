package open311

import (
	"encoding/xml"
	"time"
)

// Service is one request type offered through Open311.
type Service struct {
	XMLName     xml.Name `json:"-" xml:"service"`
	ServiceCode string   `json:"service_code" xml:"service_code"`
	ServiceName string   `json:"service_name" xml:"service_name"`
	Description string   `json:"description,omitempty" xml:"description,omitempty"`
	Metadata    bool     `json:"metadata" xml:"metadata"`
	Type        string   `json:"type" xml:"type"` // realtime: a ticket is created at once
	Keywords    string   `json:"keywords,omitempty" xml:"keywords,omitempty"`
	Group       string   `json:"group,omitempty" xml:"group,omitempty"`

	// Department is the department that usually handles the service; it is
	// a routing hint, not part of the wire format.
	Department string `json:"-" xml:"-"`
}

// Attribute is one extra form field of a service definition.
type Attribute struct {
	XMLName             xml.Name         `json:"-" xml:"attribute"`
	Variable            bool             `json:"variable" xml:"variable"`
	Code                string           `json:"code" xml:"code"`
	Datatype            string           `json:"datatype" xml:"datatype"`
	Required            bool             `json:"required" xml:"required"`
	DatatypeDescription string           `json:"datatype_description,omitempty" xml:"datatype_description,omitempty"`
	Order               int              `json:"order" xml:"order"`
	Description         string           `json:"description" xml:"description"`
	Values              []AttributeValue `json:"values,omitempty" xml:"values>value,omitempty"`
}

// AttributeValue is one option of a list attribute.
type AttributeValue struct {
	Key  string `json:"key" xml:"key"`
	Name string `json:"name" xml:"name"`
}

// ServiceDefinition lists a service's attributes.
type ServiceDefinition struct {
	XMLName     xml.Name    `json:"-" xml:"service_definition"`
	ServiceCode string      `json:"service_code" xml:"service_code"`
	Attributes  []Attribute `json:"attributes" xml:"attributes>attribute"`
}

// Request is a service request as GET requests shows it.
type Request struct {
	XMLName           xml.Name   `json:"-" xml:"request"`
	ServiceRequestID  string     `json:"service_request_id" xml:"service_request_id"`
	Status            string     `json:"status" xml:"status"`
	StatusNotes       string     `json:"status_notes,omitempty" xml:"status_notes,omitempty"`
	ServiceName       string     `json:"service_name,omitempty" xml:"service_name,omitempty"`
	ServiceCode       string     `json:"service_code" xml:"service_code"`
	Description       string     `json:"description,omitempty" xml:"description,omitempty"`
	AgencyResponsible string     `json:"agency_responsible,omitempty" xml:"agency_responsible,omitempty"`
	ServiceNotice     string     `json:"service_notice,omitempty" xml:"service_notice,omitempty"`
	RequestedDatetime time.Time  `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   time.Time  `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  *time.Time `json:"expected_datetime,omitempty" xml:"expected_datetime,omitempty"`
	Address           string     `json:"address,omitempty" xml:"address,omitempty"`
	Lat               *float64   `json:"lat,omitempty" xml:"lat,omitempty"`
	Long              *float64   `json:"long,omitempty" xml:"long,omitempty"`
	MediaURL          string     `json:"media_url,omitempty" xml:"media_url,omitempty"`
}

// RequestResponse answers a POST requests.
type RequestResponse struct {
	XMLName          xml.Name `json:"-" xml:"request"`
	ServiceRequestID string   `json:"service_request_id,omitempty" xml:"service_request_id,omitempty"`
	Token            string   `json:"token,omitempty" xml:"token,omitempty"`
	ServiceNotice    string   `json:"service_notice,omitempty" xml:"service_notice,omitempty"`
}

// TokenResponse resolves a token to its request.
type TokenResponse struct {
	XMLName          xml.Name `json:"-" xml:"request"`
	ServiceRequestID string   `json:"service_request_id" xml:"service_request_id"`
	Token            string   `json:"token" xml:"token"`
}

// Update is one entry of the servicerequestupdates feed.
type Update struct {
	XMLName          xml.Name  `json:"-" xml:"request_update"`
	UpdateID         string    `json:"update_id" xml:"update_id"`
	ServiceRequestID string    `json:"service_request_id" xml:"service_request_id"`
	Status           string    `json:"status" xml:"status"`
	UpdatedDatetime  time.Time `json:"updated_datetime" xml:"updated_datetime"`
	Description      string    `json:"description,omitempty" xml:"description,omitempty"`
}

// APIError is the standard's error element.
type APIError struct {
	XMLName     xml.Name `json:"-" xml:"error"`
	Code        int      `json:"code" xml:"code"`
	Description string   `json:"description" xml:"description"`
}

// Discovery describes this endpoint (GeoReport v2 service discovery).
type Discovery struct {
	XMLName    xml.Name   `json:"-" xml:"discovery"`
	Changeset  time.Time  `json:"changeset" xml:"changeset"`
	Contact    string     `json:"contact" xml:"contact"`
	KeyService string     `json:"key_service" xml:"key_service"`
	Endpoints  []Endpoint `json:"endpoints" xml:"endpoints>endpoint"`
}

// Endpoint is one entry of the discovery document.
type Endpoint struct {
	Specification string    `json:"specification" xml:"specification"`
	URL           string    `json:"url" xml:"url"`
	Changeset     time.Time `json:"changeset" xml:"changeset"`
	Type          string    `json:"type" xml:"type"`
	Formats       []string  `json:"formats" xml:"formats>format"`
}
