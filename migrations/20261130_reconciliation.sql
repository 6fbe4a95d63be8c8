-- Reconciliation with Twilio's Messages resource (issue 11).
--
-- Twilio retries a webhook once, and only when the connection fails: a message
-- answered 503 (database down), or sent while the server was stopped, is not
-- delivered again. Twilio keeps every message, so whatever a webhook did not
-- bring is read back from its Messages API and stored as an event with the same
-- idempotency key a webhook would have had; the worker applies it as usual.

-- =============================================================================
-- Where an event came from
-- =============================================================================
-- The delivery log shows whether Twilio posted it (webhook) or we read it back
-- from the Messages API (reconciliation). Existing rows were all webhooks.
ALTER TABLE twilio_whatsapp_webhook_events
  ADD COLUMN IF NOT EXISTS source TEXT NOT NULL DEFAULT 'webhook'
    CHECK (source IN ('webhook', 'reconciliation'));

-- =============================================================================
-- Per connection: the last reconciliation, and who is reconciling now
-- =============================================================================
-- last_reconciled_at: the end of the last window that was read to the end. The
-- next reconciliation starts there (minus a small overlap). NULL: never.
ALTER TABLE twilio_whatsapp_connections
  ADD COLUMN IF NOT EXISTS last_reconciled_at TIMESTAMPTZ;
-- One reconciliation per connection at a time, across server processes: a lease
-- taken with UPDATE ... WHERE it is NULL or expired, and cleared when the run
-- ends. A lease, not a lock held in a transaction: the run makes HTTP calls to
-- Twilio, and no transaction may stay open across them. A process that dies
-- mid-run leaves a lease that simply expires.
ALTER TABLE twilio_whatsapp_connections
  ADD COLUMN IF NOT EXISTS reconcile_lease_until TIMESTAMPTZ;

-- The card says when the connection was last checked against Twilio. The lease
-- is the server's bookkeeping: not readable by users.
GRANT SELECT (last_reconciled_at) ON twilio_whatsapp_connections TO authenticated;

-- Taking and releasing the lease, and recording the window, are bookkeeping:
-- they must not move updated_at (which says when someone changed the connection).
DROP TRIGGER IF EXISTS update_twilio_whatsapp_connections_updated_at ON twilio_whatsapp_connections;
CREATE TRIGGER update_twilio_whatsapp_connections_updated_at
  BEFORE UPDATE ON twilio_whatsapp_connections
  FOR EACH ROW
  WHEN (OLD.last_reconciled_at IS NOT DISTINCT FROM NEW.last_reconciled_at
        AND OLD.reconcile_lease_until IS NOT DISTINCT FROM NEW.reconcile_lease_until)
  EXECUTE FUNCTION update_updated_at_column();

-- =============================================================================
-- Outbound messages whose status is not final: checked by SID now and then
-- =============================================================================
-- A lost status callback leaves a message at queued/sent forever. The server
-- fetches such messages from Twilio a few minutes after their last change, then
-- less and less often; status_checked_at says when it last asked.
ALTER TABLE twilio_whatsapp_messages
  ADD COLUMN IF NOT EXISTS status_checked_at TIMESTAMPTZ;
CREATE INDEX IF NOT EXISTS idx_twilio_wa_messages_unfinished
  ON twilio_whatsapp_messages (status_updated_at)
  WHERE direction = 'outbound' AND message_sid IS NOT NULL
    AND status IN ('accepted', 'scheduled', 'queued', 'sending', 'sent');
