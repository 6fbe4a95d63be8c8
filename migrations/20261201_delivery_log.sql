-- The delivery log (issue 13).
--
-- A refused delivery (400 missing signature, 403 bad signature, 404 unknown or
-- disconnected connection) is never stored as an event: nothing unverified may
-- reach the queue. But an admin whose webhooks all fail must see that they do and
-- why. So refused deliveries are counted per connection, minute and verdict, and
-- the last 50 of each connection are kept with their time, source address, verdict
-- and reason: never a body, a signature or a token. Accepted and repeated
-- deliveries are counted the same way, so the counts say what share failed.
--
-- The intake counts in memory and writes every few seconds in one statement (not a
-- write per delivery); a crash loses those few seconds of counts, which is
-- acceptable for statistics.

-- =============================================================================
-- Deliveries per connection, minute and verdict
-- =============================================================================
-- Only a connection that exists is counted here: a 404 for a disconnected
-- connection belongs to its organization (the URL names it). An id that names no
-- connection belongs to nobody: it is counted on /metrics only, and storing it
-- would let anyone grow this table by posting to random ids.
CREATE TABLE IF NOT EXISTS twilio_whatsapp_delivery_counts (
  connection_id UUID NOT NULL REFERENCES twilio_whatsapp_connections(id) ON DELETE CASCADE,
  minute TIMESTAMPTZ NOT NULL,
  -- The verdicts decided at the intake (@app/contracts intakeVerdicts); failed
  -- processing and reconciliation are read from the events themselves.
  verdict TEXT NOT NULL
    CHECK (verdict IN ('accepted', 'repeated', 'badSignature', 'missingSignature', 'unknownConnection')),
  count INTEGER NOT NULL CHECK (count > 0),
  -- The policy filters on connection_id: the key's first column serves it.
  PRIMARY KEY (connection_id, minute, verdict)
);
-- Pruning deletes by age.
CREATE INDEX IF NOT EXISTS idx_twilio_wa_delivery_counts_minute ON twilio_whatsapp_delivery_counts (minute);

-- =============================================================================
-- The last refused deliveries of each connection
-- =============================================================================
CREATE TABLE IF NOT EXISTS twilio_whatsapp_refused_deliveries (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  connection_id UUID NOT NULL REFERENCES twilio_whatsapp_connections(id) ON DELETE CASCADE,
  received_at TIMESTAMPTZ NOT NULL,
  -- The route posted to: an inbound message or a status callback.
  event_type TEXT NOT NULL CHECK (event_type IN ('message', 'status')),
  verdict TEXT NOT NULL CHECK (verdict IN ('badSignature', 'missingSignature', 'unknownConnection')),
  -- The peer address as the server saw it (text: whatever the proxy setting yields).
  source_ip TEXT CHECK (length(source_ip) <= 64),
  -- A sentence of ours, never anything the request carried.
  reason TEXT NOT NULL CHECK (length(reason) <= 300)
);
-- The log lists a connection's newest first; pruning keeps the newest 50 of each.
CREATE INDEX IF NOT EXISTS idx_twilio_wa_refused_deliveries_connection
  ON twilio_whatsapp_refused_deliveries (connection_id, received_at DESC, id DESC);

-- =============================================================================
-- Retrying a failed event: who and when
-- =============================================================================
ALTER TABLE twilio_whatsapp_webhook_events
  ADD COLUMN IF NOT EXISTS retried_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
  ADD COLUMN IF NOT EXISTS retried_at TIMESTAMPTZ;

COMMENT ON COLUMN twilio_whatsapp_webhook_events.retried_by IS
  'The admin who last sent this failed event back to the worker (whatsapp.events.retry).';
COMMENT ON COLUMN twilio_whatsapp_webhook_events.retried_at IS
  'When an admin last sent this failed event back to the worker.';

-- =============================================================================
-- RLS and grants (in the same migration, FIX 6)
-- =============================================================================
-- As for the events (FIX 4): admins of the organization read their connections'
-- counts and refused deliveries; only the service role (the intake) writes them.
ALTER TABLE twilio_whatsapp_delivery_counts ENABLE ROW LEVEL SECURITY;
ALTER TABLE twilio_whatsapp_refused_deliveries ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS "Admins can view own org twilio whatsapp delivery counts" ON twilio_whatsapp_delivery_counts;
CREATE POLICY "Admins can view own org twilio whatsapp delivery counts"
  ON twilio_whatsapp_delivery_counts FOR SELECT
  TO authenticated
  USING (connection_id IN (
    SELECT c.id FROM twilio_whatsapp_connections c
    WHERE c.organization_id IN (SELECT app_private.user_admin_organization_ids())
  ));

DROP POLICY IF EXISTS "Admins can view own org twilio whatsapp refused deliveries" ON twilio_whatsapp_refused_deliveries;
CREATE POLICY "Admins can view own org twilio whatsapp refused deliveries"
  ON twilio_whatsapp_refused_deliveries FOR SELECT
  TO authenticated
  USING (connection_id IN (
    SELECT c.id FROM twilio_whatsapp_connections c
    WHERE c.organization_id IN (SELECT app_private.user_admin_organization_ids())
  ));

-- Retry is the one write an admin makes to an event, and the database holds it to
-- exactly that: a failed event of their organization goes back to pending, due now,
-- with its attempts reset, signed with their own id and this transaction's time.
-- Only these columns may be written (column grants); the payload, keys and source
-- stay the service role's.
DROP POLICY IF EXISTS "Admins can retry own org failed twilio whatsapp webhook events" ON twilio_whatsapp_webhook_events;
CREATE POLICY "Admins can retry own org failed twilio whatsapp webhook events"
  ON twilio_whatsapp_webhook_events FOR UPDATE
  TO authenticated
  USING (
    status = 'failed'
    AND connection_id IN (
      SELECT c.id FROM twilio_whatsapp_connections c
      WHERE c.organization_id IN (SELECT app_private.user_admin_organization_ids())
    )
  )
  WITH CHECK (
    status = 'pending'
    AND attempts = 0
    AND retried_by = (SELECT auth.uid())
    AND retried_at = now()
    AND next_attempt_at <= now()
    AND connection_id IN (
      SELECT c.id FROM twilio_whatsapp_connections c
      WHERE c.organization_id IN (SELECT app_private.user_admin_organization_ids())
    )
  );

REVOKE ALL ON twilio_whatsapp_delivery_counts, twilio_whatsapp_refused_deliveries FROM PUBLIC, anon, authenticated;
GRANT SELECT ON twilio_whatsapp_delivery_counts, twilio_whatsapp_refused_deliveries TO authenticated;
GRANT ALL ON twilio_whatsapp_delivery_counts, twilio_whatsapp_refused_deliveries TO service_role;
GRANT UPDATE (status, attempts, next_attempt_at, retried_by, retried_at)
  ON twilio_whatsapp_webhook_events TO authenticated;

COMMENT ON TABLE twilio_whatsapp_delivery_counts IS
  'Webhook deliveries per connection, minute and verdict (accepted, repeated, refused), written by the intake every few seconds.';
COMMENT ON TABLE twilio_whatsapp_refused_deliveries IS
  'The last refused webhook deliveries of each connection (the newest 50 kept): time, source address, verdict, reason. Never a body, signature or token.';
