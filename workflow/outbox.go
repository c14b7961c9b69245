package workflow

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"supportd/mail"
	"supportd/store"
)

// Transport delivers one composed mail. mail.Sender implements it. An error
// that mail.IsPermanent reports as permanent fails the mail for good; any
// other error is retried.
type Transport interface {
	Send(ctx context.Context, envelopeFrom string, rcpts []string, raw []byte) error
}

// Copier files a copy of a sent mail (e.g. IMAP APPEND to a Sent folder).
type Copier interface {
	Copy(ctx context.Context, raw []byte) error
}

// Outbox delivers queued mail. It sleeps until the earliest due row (or a
// Kick), so an idle daemon does no work.
type Outbox struct {
	e         *Engine
	transport Transport
	copier    Copier
	log       *slog.Logger
	kick      chan struct{}
	// retry schedule: BaseBackoff doubling per attempt, capped at MaxBackoff,
	// with ±20% jitter so many failed mails do not retry in lock-step.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
}

// NewOutbox returns a sender loop for the engine's outbox. copier may be nil.
func NewOutbox(e *Engine, t Transport, copier Copier, log *slog.Logger) *Outbox {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Outbox{e: e, transport: t, copier: copier, log: log, kick: make(chan struct{}, 1),
		BaseBackoff: time.Minute, MaxBackoff: time.Hour}
}

// Kick wakes the loop to look for due mail now. It never blocks.
func (o *Outbox) Kick() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is cancelled. A send in progress when ctx ends is
// given up and retried on the next start.
func (o *Outbox) Run(ctx context.Context) error {
	for {
		n, err := o.DeliverDue(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			o.log.Error("outbox", "err", err)
		}
		if n > 0 {
			continue // more may be due right away
		}
		wait := time.Hour
		var next time.Time
		var ok bool
		err = o.e.db.View(ctx, func(tx *store.Tx) error {
			var err error
			next, ok, err = tx.NextOutboundDue()
			return err
		})
		if err == nil && ok {
			wait = max(next.Sub(o.e.clock.Now()), 0)
		} else if err != nil {
			wait = 5 * time.Second
		}
		if wait == 0 && err == nil && ok {
			continue
		}
		ch, stop := o.e.clock.After(wait)
		select {
		case <-ctx.Done():
			stop()
			return nil
		case <-o.kick:
		case <-ch:
		}
		stop()
	}
}

// DeliverDue sends every mail due now, one at a time, and returns how many
// it handled.
func (o *Outbox) DeliverDue(ctx context.Context) (int, error) {
	var due []*store.Outbound
	err := o.e.db.View(ctx, func(tx *store.Tx) error {
		var err error
		due, err = tx.DueOutbound(o.e.clock.Now(), 50)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("load due outbox: %w", err)
	}
	for i, m := range due {
		if ctx.Err() != nil {
			return i, nil
		}
		if err := o.deliver(ctx, m); err != nil {
			return i, err
		}
	}
	return len(due), nil
}

func (o *Outbox) deliver(ctx context.Context, m *store.Outbound) error {
	log := o.log.With("outbox", m.ID, "ticket", m.TicketID, "kind", m.Kind, "message_id", m.MessageID)
	sendErr := o.transport.Send(ctx, m.EnvFrom, []string{m.Rcpt}, m.Raw)
	now := o.e.clock.Now()
	if sendErr != nil && ctx.Err() != nil {
		return nil // shutting down: the row stays queued
	}
	if sendErr == nil {
		err := o.e.db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.MarkSent(m.ID, now); err != nil {
				return err
			}
			if m.TicketID != 0 {
				return tx.AddEvent(m.TicketID, now, EventSent, m.Rcpt, fmt.Sprintf("%s %s", m.Kind, m.MessageID))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("mark %d sent: %w", m.ID, err)
		}
		log.Info("sent", "attempts", m.Attempts+1)
		o.copy(ctx, m, log)
		return nil
	}
	permanent := mail.IsPermanent(sendErr)
	next := now.Add(mail.Backoff(m.Attempts+1, o.BaseBackoff, o.MaxBackoff, nil))
	giveUp := permanent || next.After(m.GiveUpAt)
	if !giveUp {
		log.Warn("send failed; will retry", "err", sendErr, "attempt", m.Attempts+1, "next", next)
		return o.e.db.Update(ctx, func(tx *store.Tx) error { return tx.RecordAttempt(m.ID, sendErr.Error(), next) })
	}
	why := "rejected for good"
	if !permanent {
		why = "still failing after the retry window"
	}
	log.Error("send failed; giving up", "err", sendErr, "why", why, "attempts", m.Attempts+1)
	return o.e.db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.MarkFailed(m.ID, sendErr.Error()); err != nil {
			return err
		}
		if m.TicketID == 0 {
			return nil
		}
		detail := fmt.Sprintf("%s to %s %s: %v", m.Kind, m.Rcpt, why, sendErr)
		if err := tx.AddEvent(m.TicketID, now, EventSendFailed, "system", detail); err != nil {
			return err
		}
		if m.Kind == KindAlert {
			return nil // never alert about an alert: that is how loops start
		}
		return o.e.alertAgents(tx, m.TicketID, now, fmt.Sprintf("[#%d] Could not deliver our mail to %s", m.TicketID, m.Rcpt),
			fmt.Sprintf("supportd could not deliver a %s mail on ticket #%d to %s (%s).\n\nThe mail server said: %v\n\nThe customer has not received it. Please check the address or reach them another way.\n",
				m.Kind, m.TicketID, m.Rcpt, why, sendErr))
	})
}

func (o *Outbox) copy(ctx context.Context, m *store.Outbound, log *slog.Logger) {
	if o.copier == nil || m.Kind == KindAlert {
		return
	}
	if err := o.copier.Copy(ctx, m.Raw); err != nil {
		// A missing copy in the Sent folder loses no mail; log and go on.
		log.Warn("could not file a copy in the Sent folder", "err", err)
		return
	}
	_ = o.e.db.Update(ctx, func(tx *store.Tx) error { return tx.MarkCopied(m.ID, o.e.clock.Now()) })
}
