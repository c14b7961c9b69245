package sdnotify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// listen opens a datagram socket in a fresh directory, as systemd does for
// $NOTIFY_SOCKET, and returns its path and a function that reads the next
// datagram (failing the test after timeout).
func listen(t *testing.T) (string, func(timeout time.Duration) (string, error)) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return path, func(timeout time.Duration) (string, error) {
		buf := make([]byte, 4096)
		conn.SetReadDeadline(time.Now().Add(timeout))
		n, _, err := conn.ReadFromUnix(buf)
		if err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
}

func TestNotifySendsOneDatagramPerState(t *testing.T) {
	path, recv := listen(t)
	n := New(path)
	if !n.Enabled() {
		t.Fatal("Enabled() = false with a socket path")
	}
	states := []string{"READY=1\nSTATUS=watching INBOX", "WATCHDOG=1", "STOPPING=1"}
	for _, s := range states {
		if err := n.Notify(s); err != nil {
			t.Fatalf("Notify(%q): %v", s, err)
		}
	}
	for _, want := range states {
		got, err := recv(2 * time.Second)
		if err != nil {
			t.Fatalf("waiting for %q: %v", want, err)
		}
		if got != want {
			t.Errorf("datagram = %q, want %q", got, want)
		}
	}
}

func TestNotifyAbstractSocket(t *testing.T) {
	// "@name" is the abstract namespace: systemd uses it for some sockets.
	name := fmt.Sprintf("supportd-sdnotify-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: "\x00" + name, Net: "unixgram"})
	if err != nil {
		t.Skipf("abstract unix sockets unavailable: %v", err)
	}
	defer conn.Close()
	if err := New("@" + name).Notify("READY=1"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	nr, _, err := conn.ReadFromUnix(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(buf[:nr]); got != "READY=1" {
		t.Errorf("datagram = %q, want READY=1", got)
	}
}

func TestNotifyWithoutSocketIsNoop(t *testing.T) {
	var nilNotifier *Notifier
	for _, n := range []*Notifier{New(""), nilNotifier} {
		if n.Enabled() {
			t.Error("Enabled() = true without a socket")
		}
		if err := n.Notify("READY=1"); err != nil {
			t.Errorf("Notify without a socket: %v", err)
		}
	}
}

func TestNotifyMissingSocketFails(t *testing.T) {
	err := New(filepath.Join(t.TempDir(), "absent.sock")).Notify("READY=1")
	if err == nil {
		t.Fatal("Notify to a missing socket succeeded")
	}
}

func TestWatchdogInterval(t *testing.T) {
	const me = 4242
	tests := []struct {
		usec, pid string
		want      time.Duration
	}{
		{"", "", 0},
		{"60000000", "", 30 * time.Second},
		{"60000000", "4242", 30 * time.Second},
		{"60000000", "1", 0},       // someone else's watchdog
		{"60000000", "garbage", 0}, // unreadable pid: not ours
		{"2000000", "", time.Second},
		{"0", "", 0},
		{"-5", "", 0},
		{"soon", "", 0},
	}
	for _, tt := range tests {
		if got := WatchdogInterval(tt.usec, tt.pid, me); got != tt.want {
			t.Errorf("WatchdogInterval(%q, %q) = %v, want %v", tt.usec, tt.pid, got, tt.want)
		}
	}
}

func TestWatchdogPingsUntilCancelled(t *testing.T) {
	path, recv := listen(t)
	n := New(path)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.Watchdog(ctx, 20*time.Millisecond, func() bool { return true })
	}()
	for i := 0; i < 3; i++ {
		got, err := recv(2 * time.Second)
		if err != nil {
			t.Fatalf("ping %d: %v", i+1, err)
		}
		if got != "WATCHDOG=1" {
			t.Fatalf("ping %d = %q, want WATCHDOG=1", i+1, got)
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Watchdog did not return after cancel")
	}
	// Drain what was in flight; after that, silence.
	for {
		if _, err := recv(100 * time.Millisecond); err != nil {
			break
		}
	}
	if got, err := recv(100 * time.Millisecond); err == nil {
		t.Errorf("ping after cancel: %q", got)
	}
}

func TestWatchdogSilentWhileUnhealthy(t *testing.T) {
	path, recv := listen(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	New(path).Watchdog(ctx, 10*time.Millisecond, func() bool { return false })
	got, err := recv(50 * time.Millisecond)
	if err == nil {
		t.Fatalf("unhealthy daemon pinged: %q", got)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("reading: %v", err)
	}
}

func TestWatchdogDisabled(t *testing.T) {
	// No socket or no interval: returns at once instead of blocking until ctx ends.
	for _, tc := range []struct {
		n        *Notifier
		interval time.Duration
	}{{New(""), time.Second}, {New("/nonexistent"), 0}} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			tc.n.Watchdog(context.Background(), tc.interval, nil)
		}()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Fatalf("Watchdog(%v, %v) blocked", tc.n.Enabled(), tc.interval)
		}
	}
}
