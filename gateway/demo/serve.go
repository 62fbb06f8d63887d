package demo

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/hallgate/hallgate/gateway"
)

// Serve is `hallgate serve --demo`: it loads the demo city into a, starts
// the department simulators with callbacks to ln's address, and runs the
// gateway on ln until ctx is cancelled.
func Serve(ctx context.Context, a *gateway.App, ln net.Listener) error {
	if err := Load(ctx, a); err != nil {
		_ = ln.Close()
		_ = a.Close(ctx)
		return fmt.Errorf("demo: %w", err)
	}
	sims, err := StartSimulators(ctx, a, callbackBase(ln.Addr()), time.Second)
	if err != nil {
		_ = ln.Close()
		_ = a.Close(ctx)
		return err
	}
	defer sims.Close()
	a.Log.Info("demo city ready: open / for the citizen portal, /login for staff",
		"agent", Users[0].Username+" / "+Users[0].Password, "supervisor", Users[1].Username+" / "+Users[1].Password,
		"admin", Users[2].Username+" / "+Users[2].Password, "simulated_departments", SimulatedDepartments)
	return a.Run(ctx, ln)
}

// Listen is Serve on a TCP address such as cfg.Server.Addr.
func Listen(ctx context.Context, a *gateway.App, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = a.Close(ctx)
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	return Serve(ctx, a, ln)
}

// callbackBase is the URL the in-process simulators call back: the
// listener's port on loopback (a wildcard address is not dialable).
func callbackBase(addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); ok {
		return fmt.Sprintf("http://127.0.0.1:%d", tcp.Port)
	}
	return "http://" + addr.String()
}
