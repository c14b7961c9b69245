// Package sdnotify speaks systemd's notification protocol (sd_notify(3)):
// READY=1 once the daemon serves, WATCHDOG=1 pings, STOPPING=1 on shutdown.
// It is a datagram to the socket named by $NOTIFY_SOCKET; with no socket
// (not started by systemd) every call is a no-op.
package sdnotify

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Notifier sends state updates to systemd.
type Notifier struct {
	socket string
}

// New returns a notifier for the socket path in $NOTIFY_SOCKET (passed in:
// only cmd/ reads the environment). An empty path disables it.
func New(socket string) *Notifier { return &Notifier{socket: socket} }

// Enabled reports whether there is a socket to notify.
func (n *Notifier) Enabled() bool { return n != nil && n.socket != "" }

// Notify sends one state string, e.g. "READY=1".
func (n *Notifier) Notify(state string) error {
	if !n.Enabled() {
		return nil
	}
	addr := n.socket
	// A leading @ names a socket in the abstract namespace.
	if strings.HasPrefix(addr, "@") {
		addr = "\x00" + addr[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}

// WatchdogInterval returns half the interval systemd expects pings at, from
// $WATCHDOG_USEC and $WATCHDOG_PID (pid is ours, or the ping is for someone
// else), or 0 when there is no watchdog.
func WatchdogInterval(usec, pid string, ourPID int) time.Duration {
	if usec == "" {
		return 0
	}
	if pid != "" {
		if p, err := strconv.Atoi(pid); err != nil || p != ourPID {
			return 0
		}
	}
	us, err := strconv.ParseInt(usec, 10, 64)
	if err != nil || us <= 0 {
		return 0
	}
	return time.Duration(us) * time.Microsecond / 2
}

// Watchdog pings every interval while healthy() is true, until ctx ends. A
// daemon that stops pinging is restarted by systemd, which is exactly what
// should happen when the main loops are wedged.
func (n *Notifier) Watchdog(ctx context.Context, interval time.Duration, healthy func() bool) {
	if !n.Enabled() || interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if healthy == nil || healthy() {
				n.Notify("WATCHDOG=1")
			}
		}
	}
}
