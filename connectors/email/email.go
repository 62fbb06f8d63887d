package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/hallgate/hallgate/connectors"
)

// Config is the typed settings of an email connector.
type Config struct {
	Host     string   `json:"host" yaml:"host"`
	Port     int      `json:"port" yaml:"port"` // default 587
	Username string   `json:"username,omitempty" yaml:"username,omitempty"`
	Password string   `json:"password,omitempty" yaml:"password,omitempty"`
	From     string   `json:"from" yaml:"from"`
	To       []string `json:"to" yaml:"to"`
	// ConsoleURL is a text/template for the link to the ticket in the
	// department console, e.g. https://hallgate.example.gov.cn/console/tickets/{{.TicketID}}
	ConsoleURL string `json:"console_url" yaml:"console_url"`
	// AllowPlaintext permits servers without STARTTLS (never in production).
	AllowPlaintext bool          `json:"allow_plaintext,omitempty" yaml:"allow_plaintext,omitempty"`
	Timeout        time.Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"` // dial timeout, default 10 s
}

// ErrInvalidConfig is wrapped by Validate.
var ErrInvalidConfig = errors.New("email: invalid config")

// WithDefaults fills the documented defaults.
func (c Config) WithDefaults() Config {
	if c.Port == 0 {
		c.Port = 587
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	return c
}

// Validate reports every problem at once. No I/O.
func (c Config) Validate() error {
	var p []string
	if c.Host == "" {
		p = append(p, "host is required")
	}
	if c.Port < 1 || c.Port > 65535 {
		p = append(p, "port must be 1–65535")
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		p = append(p, "from must be a mail address")
	}
	if len(c.To) == 0 {
		p = append(p, "to needs at least one address")
	}
	for _, to := range c.To {
		if _, err := mail.ParseAddress(to); err != nil {
			p = append(p, fmt.Sprintf("to: %q is not a mail address", to))
		}
	}
	if c.ConsoleURL == "" {
		p = append(p, "console_url is required (the mail links to the department console)")
	} else if _, err := template.New("u").Parse(c.ConsoleURL); err != nil {
		p = append(p, "console_url: "+err.Error())
	}
	if len(p) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(p, "; "))
	}
	return nil
}

// Client is an email connector.
type Client struct {
	name string
	cfg  Config
	link *template.Template
	tls  *tls.Config
	now  func() time.Time
}

var _ connectors.Connector = (*Client)(nil)

// New validates cfg and builds the connector; tlsConfig may be nil (system
// roots, ServerName = Host).
func New(name string, cfg Config, tlsConfig *tls.Config) (*Client, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("email %s: %w", name, err)
	}
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	}
	link, _ := template.New("u").Parse(cfg.ConsoleURL)
	return &Client{name: name, cfg: cfg, link: link, tls: tlsConfig, now: time.Now}, nil
}

// Factory adapts New to the kind registry.
func Factory(name string, decode connectors.Decode) (connectors.Connector, error) {
	var cfg Config
	if err := decode(&cfg); err != nil {
		return nil, fmt.Errorf("email settings: %w", err)
	}
	return New(name, cfg, nil)
}

// Name returns the connector's name.
func (c *Client) Name() string { return c.name }

// Message renders the mail for d.
func (c *Client) Message(d connectors.Delivery) ([]byte, error) {
	var link bytes.Buffer
	if err := c.link.Execute(&link, d); err != nil {
		return nil, err
	}
	var doc struct {
		Title    string `json:"title"`
		Category string `json:"category"`
		Type     string `json:"type"`
		Deadline string `json:"deadline"`
	}
	_ = json.Unmarshal(d.Ticket, &doc) // fields are optional; the link carries the rest
	role := "主办"
	if d.Role == "co" {
		role = "协办"
	}
	subject := fmt.Sprintf("【12345】工单 %s 待%s部门处理", d.TicketCode, role)
	var body strings.Builder
	fmt.Fprintf(&body, "您好：\r\n\r\n12345 热线有一件工单需要贵部门%s（事件：%s）。\r\n\r\n", role, d.Event)
	fmt.Fprintf(&body, "工单编号：%s\r\n", d.TicketCode)
	if doc.Title != "" {
		fmt.Fprintf(&body, "标题：%s\r\n", doc.Title)
	}
	if doc.Deadline != "" {
		fmt.Fprintf(&body, "办理时限：%s\r\n", doc.Deadline)
	}
	fmt.Fprintf(&body, "\r\n请登录部门工作台查看详情并签收、办理、答复：\r\n%s\r\n\r\n（本邮件由系统自动发送，为保护市民隐私，不含来电人信息。）\r\n", link.String())

	var m bytes.Buffer
	hdr := textproto.MIMEHeader{}
	hdr.Set("From", c.cfg.From)
	hdr.Set("To", strings.Join(c.cfg.To, ", "))
	hdr.Set("Subject", mime.BEncoding.Encode("UTF-8", subject))
	hdr.Set("Date", c.now().Format(time.RFC1123Z))
	// The idempotency key as Message-ID lets mail systems drop a resend.
	hdr.Set("Message-ID", "<"+strings.NewReplacer("/", ".", " ", "").Replace(d.IdempotencyKey)+"@hallgate>")
	hdr.Set("MIME-Version", "1.0")
	hdr.Set("Content-Type", "text/plain; charset=UTF-8")
	hdr.Set("Content-Transfer-Encoding", "8bit")
	for _, k := range []string{"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding"} {
		fmt.Fprintf(&m, "%s: %s\r\n", k, hdr.Get(k))
	}
	m.WriteString("\r\n")
	m.WriteString(body.String())
	return m.Bytes(), nil
}

// Deliver sends the mail. SMTP 4xx and network failures are retryable, 5xx
// permanent; a server without STARTTLS is refused unless AllowPlaintext.
func (c *Client) Deliver(ctx context.Context, d connectors.Delivery) (connectors.Receipt, error) {
	msg, err := c.Message(d)
	if err != nil {
		return connectors.Receipt{}, connectors.Permanent(0, err)
	}
	addr := net.JoinHostPort(c.cfg.Host, strconv.Itoa(c.cfg.Port))
	dialer := &net.Dialer{Timeout: c.cfg.Timeout}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return connectors.Receipt{}, fmt.Errorf("email %s: %w", c.name, ctx.Err())
		}
		return connectors.Receipt{}, connectors.Retryable(0, 0, fmt.Errorf("email %s: %w", c.name, err))
	}
	// net/smtp has no ctx: bound the whole conversation by ctx's deadline
	// and close the connection when ctx ends.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	err = c.send(conn, msg)
	if err != nil && ctx.Err() != nil {
		return connectors.Receipt{}, fmt.Errorf("email %s: %w", c.name, ctx.Err())
	}
	if err != nil {
		return connectors.Receipt{}, classify(c.name, err)
	}
	return connectors.Receipt{Reference: "mail:" + d.IdempotencyKey, Status: 250}, nil
}

func (c *Client) send(conn net.Conn, msg []byte) error {
	cl, err := smtp.NewClient(conn, c.cfg.Host)
	if err != nil {
		conn.Close()
		return err
	}
	defer cl.Close()
	if ok, _ := cl.Extension("STARTTLS"); ok {
		if err := cl.StartTLS(c.tls); err != nil {
			return err
		}
	} else if !c.cfg.AllowPlaintext {
		return errNoTLS
	}
	if c.cfg.Username != "" {
		if err := cl.Auth(smtp.PlainAuth("", c.cfg.Username, c.cfg.Password, c.cfg.Host)); err != nil {
			return err
		}
	}
	from, _ := mail.ParseAddress(c.cfg.From)
	if err := cl.Mail(from.Address); err != nil {
		return err
	}
	for _, to := range c.cfg.To {
		a, _ := mail.ParseAddress(to)
		if err := cl.Rcpt(a.Address); err != nil {
			return err
		}
	}
	w, err := cl.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return cl.Quit()
}

var errNoTLS = errors.New("server does not offer STARTTLS")

func classify(name string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		if te.Code >= 500 {
			return connectors.Permanent(te.Code, fmt.Errorf("email %s: %w", name, err))
		}
		return connectors.Retryable(te.Code, 0, fmt.Errorf("email %s: %w", name, err))
	}
	if errors.Is(err, errNoTLS) {
		return connectors.Permanent(0, fmt.Errorf("email %s: %w", name, err))
	}
	return connectors.Retryable(0, 0, fmt.Errorf("email %s: %w", name, err))
}
