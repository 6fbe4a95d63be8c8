-- Messaging Services (issue 13): a connection may be a Twilio Messaging Service
-- (MG…) with its pool of WhatsApp senders, instead of one number; and the connect
-- flow records its real steps so the settings screen can show them.

-- =============================================================================
-- A connection made with a Messaging Service
-- =============================================================================
-- whatsapp_number stays NOT NULL: for a service it holds the service's first
-- WhatsApp sender (the conversation list, the unique number and the reconciliation
-- window keep working); whatsapp_number_sid holds that sender's XE SID. Twilio picks
-- which of the service's senders sends (MessagingServiceSid), and every sender's
-- inbound messages come to the service's InboundRequestUrl, i.e. this connection's URL.
-- https://www.twilio.com/docs/messaging/api/service-resource (inbound_request_url,
-- use_inbound_webhook_on_number).
ALTER TABLE twilio_whatsapp_connections
  ADD COLUMN IF NOT EXISTS messaging_service_sid TEXT
    CHECK (messaging_service_sid ~ '^MG[0-9a-f]{32}$'),
  -- The service's WhatsApp senders (E.164) as Twilio listed them at the last connect
  -- or verify (a JSON array of strings): shown on the card. Not a routing table:
  -- inbound is routed by the URL.
  ADD COLUMN IF NOT EXISTS messaging_service_senders JSONB;

-- A Messaging Service SID is unique in Twilio: it is connected once across
-- organizations (a second connection would fight over the service's webhooks).
CREATE UNIQUE INDEX IF NOT EXISTS twilio_whatsapp_connections_messaging_service_key
  ON twilio_whatsapp_connections (messaging_service_sid)
  WHERE messaging_service_sid IS NOT NULL;

COMMENT ON COLUMN twilio_whatsapp_connections.messaging_service_sid IS
  'The Twilio Messaging Service (MG…) this connection sends through and receives for; null for a single number. Its earlier InboundRequestUrl, StatusCallback and UseInboundWebhookOnNumber are kept in twilio_webhooks_before (service role only) and restored at disconnect.';
COMMENT ON COLUMN twilio_whatsapp_connections.messaging_service_senders IS
  'The Messaging Service''s WhatsApp senders (E.164) at the last connect or verify.';

-- Column grants (as in 20260205, FIX 7): members read which service and senders a
-- connection has; the earlier webhook values stay in twilio_webhooks_before, which
-- they cannot read (a URL may carry another system's credentials).
GRANT SELECT (messaging_service_sid, messaging_service_senders)
  ON twilio_whatsapp_connections TO authenticated;

-- =============================================================================
-- The connect flow's progress, step by step
-- =============================================================================
-- The settings screen polls the steps of the attempt it started (an id the browser
-- makes) while `create` runs. A poll may reach another server process than the one
-- running `create`, so the steps live here, not in process memory (DESIGN.md:
-- nothing in memory that another process needs). Each step is written in its own
-- short transaction as it starts and ends, so a poll sees it at once.
CREATE TABLE IF NOT EXISTS twilio_whatsapp_connect_progress (
  -- Part of the key: an attempt id chosen by one browser can never touch (or reveal)
  -- another person's attempt that happened to use the same id.
  user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
  attempt_id UUID NOT NULL,
  step TEXT NOT NULL CHECK (step IN ('verify_credentials', 'find_sender', 'save', 'configure_webhooks')),
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
  -- Why the step failed, as the person is told (never a token or a stack).
  message TEXT,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, attempt_id, step)
);

-- A person's attempts are pruned at their next connect (an hour is far past any attempt).
CREATE INDEX IF NOT EXISTS idx_twilio_wa_connect_progress_updated
  ON twilio_whatsapp_connect_progress (updated_at);

ALTER TABLE twilio_whatsapp_connect_progress ENABLE ROW LEVEL SECURITY;

-- Only the person who connects sees and writes their attempt's steps, and only
-- within an organization where they are an owner or admin (who may connect).
DROP POLICY IF EXISTS "Admins manage their own connect progress" ON twilio_whatsapp_connect_progress;
CREATE POLICY "Admins manage their own connect progress"
  ON twilio_whatsapp_connect_progress FOR ALL
  TO authenticated
  USING (
    user_id = (SELECT auth.uid())
    AND organization_id IN (SELECT app_private.user_admin_organization_ids())
  )
  WITH CHECK (
    user_id = (SELECT auth.uid())
    AND organization_id IN (SELECT app_private.user_admin_organization_ids())
  );

REVOKE ALL ON twilio_whatsapp_connect_progress FROM PUBLIC, anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON twilio_whatsapp_connect_progress TO authenticated;
GRANT ALL ON twilio_whatsapp_connect_progress TO service_role;

COMMENT ON TABLE twilio_whatsapp_connect_progress IS
  'Steps of a connect attempt as the server finishes them, polled by the settings screen; pruned after an hour.';
