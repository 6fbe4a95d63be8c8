-- Phase 21: Twilio WhatsApp Channel
-- Database schema for Twilio WhatsApp integration (seed plan 21-01).
-- Tables, columns, policy names and index names are the seed's. Each place where
-- the seed was wrong is fixed here, with a "FIX n" comment saying why
-- (numbers as in DESIGN.md, "Database").

-- =============================================================================
-- TWILIO WHATSAPP CONNECTIONS TABLE
-- =============================================================================
-- Stores Twilio WhatsApp account credentials per organization

CREATE TABLE IF NOT EXISTS twilio_whatsapp_connections (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,

  -- Twilio credentials (encrypted)
  twilio_account_sid TEXT NOT NULL CHECK (twilio_account_sid ~ '^AC[0-9a-f]{32}$'),
  -- FIX 1: keeps the seed's name but holds an AES-256-GCM envelope, not a hash
  -- (see COMMENT ON COLUMN below).
  twilio_auth_token_hash TEXT NOT NULL,

  -- WhatsApp number configuration
  whatsapp_number TEXT NOT NULL CHECK (whatsapp_number ~ '^\+[1-9][0-9]{6,14}$'), -- E.164 format (+1234567890)
  whatsapp_number_sid TEXT, -- Twilio Phone Number SID (PN...) or WhatsApp Sender SID (XE...); NULL for the sandbox
  friendly_name TEXT CHECK (friendly_name IS NULL OR length(friendly_name) <= 64),

  -- Status
  is_active BOOLEAN NOT NULL DEFAULT true,
  webhook_configured BOOLEAN NOT NULL DEFAULT false,
  last_verified_at TIMESTAMPTZ,

  -- Timestamps
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),

  -- Each org can have multiple WhatsApp numbers, but each number is unique globally
  CONSTRAINT twilio_whatsapp_connections_whatsapp_number_key UNIQUE (whatsapp_number)
);

COMMENT ON COLUMN twilio_whatsapp_connections.twilio_auth_token_hash IS
  'FIX 1: despite the name, the AES-256-GCM ciphertext of the Twilio Auth Token '
  '(envelope v1.<key id>.<iv>.<tag>.<ciphertext>, associated data = row id + Account SID). '
  'A hash could not sign API calls or check webhook signatures. Never returned to clients.';

-- Indexes
CREATE INDEX IF NOT EXISTS idx_twilio_wa_connections_org ON twilio_whatsapp_connections(organization_id);
CREATE INDEX IF NOT EXISTS idx_twilio_wa_connections_number ON twilio_whatsapp_connections(whatsapp_number);
CREATE INDEX IF NOT EXISTS idx_twilio_wa_connections_active ON twilio_whatsapp_connections(is_active) WHERE is_active = true;

-- RLS Policies
ALTER TABLE twilio_whatsapp_connections ENABLE ROW LEVEL SECURITY;

-- FIX 5: policies are TO authenticated (the seed's applied to every role, anon
-- included) and read the caller once per statement through (select auth.uid()),
-- inside SECURITY DEFINER helpers in app_private (no recursion into profiles' RLS).
DROP POLICY IF EXISTS "Users can view own org twilio whatsapp connections" ON twilio_whatsapp_connections;
CREATE POLICY "Users can view own org twilio whatsapp connections"
  ON twilio_whatsapp_connections FOR SELECT
  TO authenticated
  USING (organization_id IN (SELECT app_private.user_organization_ids()));

-- The seed's FOR ALL had USING only, which PostgreSQL also applies as WITH CHECK;
-- it is spelled out so that an UPDATE can never move a row into an organization
-- where the caller is not an admin.
DROP POLICY IF EXISTS "Admins can manage twilio whatsapp connections" ON twilio_whatsapp_connections;
CREATE POLICY "Admins can manage twilio whatsapp connections"
  ON twilio_whatsapp_connections FOR ALL
  TO authenticated
  USING (organization_id IN (SELECT app_private.user_admin_organization_ids()))
  WITH CHECK (organization_id IN (SELECT app_private.user_admin_organization_ids()));

-- =============================================================================
-- TWILIO WHATSAPP WEBHOOK EVENTS TABLE (Idempotency)
-- =============================================================================

CREATE TABLE IF NOT EXISTS twilio_whatsapp_webhook_events (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  connection_id UUID NOT NULL REFERENCES twilio_whatsapp_connections(id) ON DELETE CASCADE,

  -- Event identification
  message_sid TEXT NOT NULL,
  event_type TEXT NOT NULL CHECK (event_type IN ('message', 'status')),
  payload_hash TEXT, -- SHA-256 (hex) of the raw form body as received

  -- FIX 2: the seed's UNIQUE(message_sid, event_type) kept only the first status
  -- callback of a message (queued, sent, delivered and read share one MessageSid).
  -- The idempotency key is 'message:<MessageSid>' for an inbound message and
  -- 'status:<MessageSid>:<MessageStatus>' for a status callback, so each status
  -- goes through once and true repeats (Twilio's retries, replays) are dropped.
  -- Scoped by connection: one tenant's signed requests can never shadow another
  -- tenant's events.
  message_status TEXT, -- MessageStatus of a status callback; NULL for 'message'
  idempotency_key TEXT NOT NULL,

  -- FIX 3: the verified payload is stored so events are processed after the 200,
  -- by the worker, with retries.
  payload JSONB NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),

  -- Processing
  processed_at TIMESTAMPTZ,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processed', 'failed')),
  error_message TEXT,

  -- Timestamps
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),

  CONSTRAINT twilio_whatsapp_webhook_events_idempotency_key UNIQUE (connection_id, idempotency_key)
);

-- Index
CREATE INDEX IF NOT EXISTS idx_twilio_wa_webhook_events_status ON twilio_whatsapp_webhook_events(status) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS idx_twilio_wa_webhook_events_sid ON twilio_whatsapp_webhook_events(message_sid);
-- Beyond the seed: the worker's claim (pending and due, oldest first), a
-- connection's recent events (events.list, RLS), and the pruning of old ones.
CREATE INDEX IF NOT EXISTS idx_twilio_wa_webhook_events_due ON twilio_whatsapp_webhook_events(next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS idx_twilio_wa_webhook_events_connection ON twilio_whatsapp_webhook_events(connection_id, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_twilio_wa_webhook_events_processed ON twilio_whatsapp_webhook_events(processed_at) WHERE status <> 'pending';

-- FIX 4: the seed left the events table without RLS. Admins of the organization
-- may read their connections' events; nobody but the service role (webhooks and
-- worker, which bypass RLS) writes them: there is no write policy for authenticated.
ALTER TABLE twilio_whatsapp_webhook_events ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS "Admins can view own org twilio whatsapp webhook events" ON twilio_whatsapp_webhook_events;
CREATE POLICY "Admins can view own org twilio whatsapp webhook events"
  ON twilio_whatsapp_webhook_events FOR SELECT
  TO authenticated
  USING (connection_id IN (
    SELECT c.id FROM twilio_whatsapp_connections c
    WHERE c.organization_id IN (SELECT app_private.user_admin_organization_ids())
  ));

-- =============================================================================
-- UPDATED_AT TRIGGER
-- =============================================================================

DROP TRIGGER IF EXISTS update_twilio_whatsapp_connections_updated_at ON twilio_whatsapp_connections;
CREATE TRIGGER update_twilio_whatsapp_connections_updated_at
  BEFORE UPDATE ON twilio_whatsapp_connections
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

-- =============================================================================
-- GRANTS (FIX 6: in the same migration as RLS; anon gets nothing)
-- =============================================================================

REVOKE ALL ON twilio_whatsapp_connections, twilio_whatsapp_webhook_events FROM PUBLIC, anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON twilio_whatsapp_connections TO authenticated;
GRANT SELECT ON twilio_whatsapp_webhook_events TO authenticated;
GRANT ALL ON twilio_whatsapp_connections, twilio_whatsapp_webhook_events TO service_role;

-- =============================================================================
-- COMMENTS
-- =============================================================================

COMMENT ON TABLE twilio_whatsapp_connections IS 'Twilio WhatsApp account connections per organization';
COMMENT ON TABLE twilio_whatsapp_webhook_events IS 'Webhook event log for idempotency';
