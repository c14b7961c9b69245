package workflow

import (
	"context"
	"strings"
	"testing"
	"time"

	"supportd/store"
)

// lifecycle starts a ticket and has the agent answer it, so it is pending.
func (h *harness) pendingTicket(t *testing.T) int64 {
	t.Helper()
	out, n := h.newCustomerTicket(t)
	h.ingest(agentReply(h.agent, n.ReplyTo[0].Addr, n.MessageID, "Please try clearing the cache and tell me if it helps."))
	if tk := h.ticket(out.TicketID); tk.Status != store.StatusPending {
		t.Fatalf("status after the agent's reply = %s", tk.Status)
	}
	return out.TicketID
}

// runUntil fires every timer due up to the given offset from start, one
// hour at a time, as the scheduler would.
func (h *harness) advanceTo(t *testing.T, s *Scheduler, d time.Duration) {
	t.Helper()
	for h.clk.Now().Before(start.Add(d)) {
		h.clk.Advance(time.Hour)
		if _, err := s.FireDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func (h *harness) followups(id int64) []string {
	var out []string
	h.db.View(context.Background(), func(tx *store.Tx) error {
		evs, err := tx.Events(id)
		for _, e := range evs {
			if e.Kind == EventFollowup {
				out = append(out, e.Detail)
			}
		}
		return err
	})
	return out
}

func TestLeftAlonePendingTicketGetsTwoFollowupsThenCloses(t *testing.T) {
	h := newAgentHarness(t)
	s := NewScheduler(h.e, nil)
	id := h.pendingTicket(t)
	h.advanceTo(t, s, 3*24*time.Hour+time.Hour)
	if got := h.followups(id); len(got) != 1 || got[0] != "followup" {
		t.Fatalf("after 3 days: %v", got)
	}
	h.advanceTo(t, s, 5*24*time.Hour+time.Hour)
	if got := h.followups(id); len(got) != 2 || got[1] != "close-followup" {
		t.Fatalf("after 5 days: %v", got)
	}
	h.advanceTo(t, s, 30*24*time.Hour)
	tk := h.ticket(id)
	if tk.Status != store.StatusClosed || tk.Resolved || tk.ClosedBy != "system:autoclose" {
		t.Errorf("after 7 days: %+v", tk)
	}
	if got := h.followups(id); len(got) != 2 {
		t.Errorf("follow-ups = %v, want exactly two (no third mail)", got)
	}
	mails := h.queued(id, "jane@example.org", KindFollowup)
	if len(mails) != 2 || !strings.Contains(mails[0].Text, "check in") || !strings.Contains(mails[1].Text, "close this request") {
		t.Errorf("follow-up mails: %d", len(mails))
	}
	if len(mails) == 2 && (len(mails[0].InReplyTo) == 0 || mails[0].InReplyTo[0] != "c1@example.org") {
		t.Errorf("follow-up not threaded: %v", mails[0].InReplyTo)
	}
}

func TestCustomerReplyBetweenFollowupsCancelsThem(t *testing.T) {
	h := newAgentHarness(t)
	s := NewScheduler(h.e, nil)
	id := h.pendingTicket(t)
	h.advanceTo(t, s, 4*24*time.Hour)
	h.ingest(msg("From: Jane Doe <jane@example.org>", "Subject: Re: Export fails [#1]", "Message-ID: <c9@example.org>", "In-Reply-To: <c1@example.org>",
		"Body: Still broken, sorry.\r\n"))
	if tk := h.ticket(id); tk.Status != store.StatusActive {
		t.Fatalf("status = %s", tk.Status)
	}
	h.advanceTo(t, s, 20*24*time.Hour)
	if got := h.followups(id); len(got) != 1 {
		t.Errorf("follow-ups = %v, want only the one before the reply", got)
	}
	if tk := h.ticket(id); tk.Status != store.StatusActive {
		t.Errorf("an active ticket was closed: %+v", tk)
	}
	// The customer waits on us: the assignee is reminded.
	if len(h.queued(id, h.agent, KindReminder)) == 0 {
		t.Error("no reminder to the assignee")
	}
}

func TestAgentReplyRestartsTheSchedule(t *testing.T) {
	h := newAgentHarness(t)
	s := NewScheduler(h.e, nil)
	_, n := h.newCustomerTicket(t)
	h.ingest(agentReply(h.agent, n.ReplyTo[0].Addr, n.MessageID, "First answer."))
	h.advanceTo(t, s, 2*24*time.Hour)
	h.ingest(agentReply(h.agent, n.ReplyTo[0].Addr, n.MessageID, "One more idea."))
	h.advanceTo(t, s, 3*24*time.Hour+2*time.Hour)
	if got := h.followups(1); len(got) != 0 {
		t.Errorf("follow-up sent 3 days after the first reply, despite a second: %v", got)
	}
	h.advanceTo(t, s, 5*24*time.Hour+2*time.Hour)
	if got := h.followups(1); len(got) != 1 {
		t.Errorf("follow-ups 3 days after the second reply = %v", got)
	}
}

func TestOverdueTimersFireOnceAfterRestart(t *testing.T) {
	h := newAgentHarness(t)
	id := h.pendingTicket(t)
	// supportd is down for ten days.
	h.db.Close()
	h.clk.Advance(10 * 24 * time.Hour)
	h.open()
	h.e.cfg.Agents = append(h.e.cfg.Agents, Agent{Name: "Sam", Addr: "sam@example.com"})
	h.e.cfg.SecretKey = []byte("test-key-test-key-test-key")
	s := NewScheduler(h.e, nil)
	for i := 0; i < 3; i++ {
		if _, err := s.FireDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	fired := map[string]int{}
	h.db.View(context.Background(), func(tx *store.Tx) error {
		evs, _ := tx.Events(id)
		for _, e := range evs {
			if e.Kind == EventTimerFired {
				fired[strings.Fields(e.Detail)[0]]++
			}
		}
		return nil
	})
	for _, k := range []string{TimerFollowup, TimerCloseFollowup, TimerAutoclose} {
		if fired[k] != 1 {
			t.Errorf("%s fired %d times, want 1", k, fired[k])
		}
	}
	if tk := h.ticket(id); tk.Status != store.StatusClosed {
		t.Errorf("status = %s", tk.Status)
	}
}

func TestSLAWarningsOnceEach(t *testing.T) {
	h := newAgentHarness(t)
	s := NewScheduler(h.e, nil)
	out, _ := h.newCustomerTicket(t)
	h.advanceTo(t, s, 2*24*time.Hour)
	var subjects []string
	for _, m := range h.queued(out.TicketID, h.agent, KindReminder) {
		subjects = append(subjects, m.Subject)
	}
	if len(subjects) != 2 {
		t.Fatalf("SLA mails to the agent: %v, want the 75%% warning and the breach", subjects)
	}
	var sla []string
	h.db.View(context.Background(), func(tx *store.Tx) error {
		evs, _ := tx.Events(out.TicketID)
		for _, e := range evs {
			if e.Kind == EventSLA {
				sla = append(sla, e.Detail)
			}
		}
		return nil
	})
	if len(sla) != 2 || !strings.Contains(sla[0], "75%") || !strings.Contains(sla[1], "missed") {
		t.Errorf("SLA events = %v", sla)
	}
}

func TestFirstResponseCancelsSLA(t *testing.T) {
	h := newAgentHarness(t)
	s := NewScheduler(h.e, nil)
	id := h.pendingTicket(t)
	h.advanceTo(t, s, 6*time.Hour)
	if got := h.queued(id, h.agent, KindReminder); len(got) != 0 {
		t.Errorf("SLA warning after the first response: %d", len(got))
	}
}

func TestNoFollowupsForSpamOrUnsubscribe(t *testing.T) {
	t.Run("spam", func(t *testing.T) {
		h := newAgentHarness(t)
		s := NewScheduler(h.e, nil)
		_, n := h.newCustomerTicket(t)
		h.ingest(agentReply(h.agent, n.ReplyTo[0].Addr, n.MessageID, "#spam"))
		h.advanceTo(t, s, 20*24*time.Hour)
		if got := h.followups(1); len(got) != 0 {
			t.Errorf("follow-ups on a spam ticket: %v", got)
		}
	})
	t.Run("leave me alone", func(t *testing.T) {
		h := newAgentHarness(t)
		s := NewScheduler(h.e, nil)
		out := h.ingest(msg("From: Angry <angry@example.org>", "Subject: STOP", "Message-ID: <u1@x>",
			"Body: Unsubscribe me now and stop emailing me.\r\n"))
		ns := h.queued(out.TicketID, h.agent, KindNotify)
		h.ingest(agentReply(h.agent, ns[0].ReplyTo[0].Addr, ns[0].MessageID, "Done, you're removed. Sorry for the trouble."))
		h.advanceTo(t, s, 20*24*time.Hour)
		if got := h.followups(out.TicketID); len(got) != 0 {
			t.Errorf("follow-ups after an unsubscribe request: %v", got)
		}
	})
}

func TestDueTimesKeepWallClockAcrossDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	p := FollowupPolicy{Location: berlin}
	// Friday 27 March 2026, 10:00 in Berlin; DST starts on Sunday the 29th.
	from := time.Date(2026, 3, 27, 10, 0, 0, 0, berlin)
	got := p.dueAfter(from, 3*24*time.Hour).In(berlin)
	if got.Hour() != 10 || got.Day() != 30 {
		t.Errorf("3 days after %v = %v, want Monday 30 March 10:00", from, got)
	}
	if d := got.Sub(from); d != 71*time.Hour {
		t.Errorf("elapsed %v, want 71h (one hour lost to DST)", d)
	}
}

func TestBusinessDays(t *testing.T) {
	p := FollowupPolicy{Location: time.UTC, BusinessDays: true}
	cases := []struct {
		from time.Time
		days int
		want time.Weekday
		date int
	}{
		{time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC), 3, time.Wednesday, 11}, // Friday + 3 working days
		{time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), 3, time.Thursday, 5},   // Monday + 3
		{time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC), 1, time.Monday, 9},     // Saturday + 1
	}
	for _, c := range cases {
		got := p.dueAfter(c.from, time.Duration(c.days)*24*time.Hour)
		if got.Weekday() != c.want || got.Day() != c.date {
			t.Errorf("%v + %d business days = %v, want %v the %d", c.from.Weekday(), c.days, got, c.want, c.date)
		}
	}
}

func TestSchedulerSleepsUntilDueAndFires(t *testing.T) {
	h := newAgentHarness(t)
	s := NewScheduler(h.e, nil)
	h.e.OnTimer(s.Kick)
	id := h.pendingTicket(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for h.clk.Sleepers() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	h.clk.Advance(3*24*time.Hour + time.Minute)
	for len(h.followups(id)) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if len(h.followups(id)) != 1 {
		t.Fatal("the scheduler did not fire the follow-up when the clock reached it")
	}
}
