// Package clock is the time source every due time in supportd is computed
// from. Production uses the wall clock; tests move a Fake by hand; the demo
// runs a Scaled clock so days pass in seconds. Nothing else in the daemon
// calls time.Now for a decision.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock tells the time and wakes sleepers. After's channel receives once when
// the clock has reached now+d; callers must not rely on receiving the exact
// time.
type Clock interface {
	Now() time.Time
	// After is like time.After on this clock's time line. The returned stop
	// function releases resources when the caller gives up waiting.
	After(d time.Duration) (<-chan time.Time, func())
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// After waits on a real timer.
func (Real) After(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// Scaled runs Speed times faster than the wall clock from Start on: with
// Speed 43200 one day passes every two seconds. It is the same Clock the
// workflow always uses, so the demo exercises no special code path.
type Scaled struct {
	Start  time.Time // clock time at Origin
	Origin time.Time // wall time when the clock started
	Speed  float64
}

// NewScaled starts a scaled clock at the current wall time.
func NewScaled(speed float64) *Scaled {
	if speed <= 0 {
		speed = 1
	}
	now := time.Now()
	return &Scaled{Start: now, Origin: now, Speed: speed}
}

// Now returns the scaled time.
func (s *Scaled) Now() time.Time {
	elapsed := time.Since(s.Origin)
	return s.Start.Add(time.Duration(float64(elapsed) * s.Speed))
}

// After waits d of scaled time, that is d/Speed of wall time.
func (s *Scaled) After(d time.Duration) (<-chan time.Time, func()) {
	real := time.Duration(float64(d) / s.Speed)
	t := time.NewTimer(real)
	return t.C, func() { t.Stop() }
}

// Fake is a clock that only moves when told to. It is safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*fakeWaiter
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

// NewFake returns a fake clock set to t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// After returns a channel that receives once Advance or Set moves the clock
// to or past now+d. A non-positive d fires at once.
func (f *Fake) After(d time.Duration) (<-chan time.Time, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := &fakeWaiter{at: f.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		w.ch <- f.now
		return w.ch, func() {}
	}
	f.waiters = append(f.waiters, w)
	stop := func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for i, x := range f.waiters {
			if x == w {
				f.waiters = append(f.waiters[:i], f.waiters[i+1:]...)
				return
			}
		}
	}
	return w.ch, stop
}

// Advance moves the clock forward by d and wakes every sleeper now due.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Set moves the clock to t (never backwards) and wakes every sleeper now due.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.After(f.now) {
		f.now = t
	}
	sort.Slice(f.waiters, func(i, j int) bool { return f.waiters[i].at.Before(f.waiters[j].at) })
	keep := f.waiters[:0]
	for _, w := range f.waiters {
		if !w.at.After(f.now) {
			w.ch <- f.now
			continue
		}
		keep = append(keep, w)
	}
	f.waiters = keep
}

// Sleepers reports how many After calls are waiting; tests use it to know a
// loop has gone to sleep before they move the clock.
func (f *Fake) Sleepers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}
