package email

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallgate/hallgate/connectors"
	"github.com/hallgate/hallgate/connectors/connectortest"
)

// smtpServer is a minimal real SMTP server on loopback with STARTTLS.
type smtpServer struct {
	ln       net.Listener
	cert     tls.Certificate
	mailCode int // answer to MAIL FROM
	mu       sync.Mutex
	tlsSeen  bool
	data     []string
}

func newSMTP(t *testing.T, mailCode int) (*smtpServer, *x509.CertPool) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, mailCode: mailCode}
	go s.serve()
	t.Cleanup(func() { ln.Close() })
	return s, pool
}

func (s *smtpServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *smtpServer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.session(c)
	}
}

func (s *smtpServer) session(c net.Conn) {
	defer c.Close()
	tp := textproto.NewConn(c)
	_ = tp.PrintfLine("220 127.0.0.1 ESMTP test")
	secure := false
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "EHLO", "HELO":
			if secure {
				_ = tp.PrintfLine("250-127.0.0.1\r\n250 AUTH PLAIN")
			} else {
				_ = tp.PrintfLine("250-127.0.0.1\r\n250-STARTTLS\r\n250 AUTH PLAIN")
			}
		case "STARTTLS":
			_ = tp.PrintfLine("220 go ahead")
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{s.cert}})
			if tc.Handshake() != nil {
				return
			}
			c, secure = tc, true
			tp = textproto.NewConn(tc)
			s.mu.Lock()
			s.tlsSeen = true
			s.mu.Unlock()
		case "AUTH":
			_ = tp.PrintfLine("235 ok")
		case "MAIL":
			_ = tp.PrintfLine("%d sender answer", s.mailCode)
		case "RCPT":
			_ = tp.PrintfLine("250 ok")
		case "DATA":
			_ = tp.PrintfLine("354 go")
			var b strings.Builder
			r := bufio.NewReader(tp.DotReader())
			for {
				l, err := r.ReadString('\n')
				b.WriteString(l)
				if err != nil {
					break
				}
			}
			s.mu.Lock()
			s.data = append(s.data, b.String())
			s.mu.Unlock()
			_ = tp.PrintfLine("250 queued")
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("502 unknown")
		}
	}
}

func client(t *testing.T, s *smtpServer, pool *x509.CertPool) *Client {
	c, err := New("mail", Config{Host: "127.0.0.1", Port: s.port(), Username: "u", Password: "p", From: "12345热线 <hotline@example.gov.cn>",
		To: []string{"zjj@example.gov.cn"}, ConsoleURL: "https://hallgate.example.gov.cn/console/tickets/{{.TicketID}}"},
		&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDeliverOverSTARTTLS(t *testing.T) {
	s, pool := newSMTP(t, 250)
	c := client(t, s, pool)
	d := connectortest.Delivery("t9/ZJJ/1")
	rc, err := c.Deliver(t.Context(), d)
	if err != nil || rc.Status != 250 {
		t.Fatalf("rc=%+v err=%v", rc, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tlsSeen || len(s.data) != 1 {
		t.Fatalf("tls=%v mails=%d", s.tlsSeen, len(s.data))
	}
	m := s.data[0]
	for _, want := range []string{"console/tickets/t-t9/ZJJ/1", "T-t9/ZJJ/1", "噪声扰民", "Message-ID: <t9.ZJJ.1@hallgate>"} {
		if !strings.Contains(m, want) {
			t.Errorf("mail lacks %q:\n%s", want, m)
		}
	}
}

func TestSMTPReplyClassification(t *testing.T) {
	for code, want := range map[int]error{451: connectors.ErrRetryable, 550: connectors.ErrPermanent} {
		s, pool := newSMTP(t, code)
		_, err := client(t, s, pool).Deliver(t.Context(), connectortest.Delivery("k"))
		var ce *connectors.Error
		if !errors.Is(err, want) || !errors.As(err, &ce) || ce.Status != code {
			t.Errorf("%d: %v", code, err)
		}
	}
	// Nobody listening: retryable.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c, _ := New("m", Config{Host: "127.0.0.1", Port: port, From: "a@b.cn", To: []string{"c@d.cn"}, ConsoleURL: "x"}, nil)
	if _, err := c.Deliver(t.Context(), connectortest.Delivery("k")); !errors.Is(err, connectors.ErrRetryable) {
		t.Errorf("refused connection: %v", err)
	}
}

func TestValidate(t *testing.T) {
	err := Config{Port: 70000, From: "nope", To: []string{"bad"}}.Validate()
	for _, k := range []string{"host", "port", "from", "to", "console_url"} {
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%v does not name %s", err, k)
		}
	}
}
