-- Beyond the seed: the conversation itself. One row per WhatsApp message, inbound
-- (from the worker applying 'message' events) or outbound (whatsapp.messages.send).
-- Status only moves forward: see app_private.twilio_message_status_rank().

CREATE TABLE IF NOT EXISTS twilio_whatsapp_messages (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Denormalized from the connection so RLS and the organization's queries need no join.
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  connection_id UUID NOT NULL REFERENCES twilio_whatsapp_connections(id) ON DELETE CASCADE,
  -- NULL only while an outbound message is queued here and Twilio has not answered yet.
  message_sid TEXT UNIQUE,
  direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  from_number TEXT NOT NULL, -- 'whatsapp:+E164'
  to_number TEXT NOT NULL,   -- 'whatsapp:+E164'
  body TEXT,
  -- [{ "url": "...", "contentType": "image/jpeg" }, ...]
  media JSONB NOT NULL DEFAULT '[]'::jsonb,
  profile_name TEXT,
  wa_id TEXT,
  latitude DOUBLE PRECISION,
  longitude DOUBLE PRECISION,
  location_address TEXT,
  location_label TEXT,
  button_payload TEXT,
  button_text TEXT,
  status TEXT NOT NULL CHECK (status IN (
    'accepted', 'scheduled', 'queued', 'sending', 'sent', 'failed', 'undelivered',
    'delivered', 'read', 'received', 'receiving', 'canceled'
  )),
  error_code INTEGER,
  error_message TEXT,
  sent_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
  status_updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- A connection's conversation, newest first, keyset-paginated on (created_at, id).
CREATE INDEX IF NOT EXISTS idx_twilio_wa_messages_connection ON twilio_whatsapp_messages(connection_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS idx_twilio_wa_messages_org ON twilio_whatsapp_messages(organization_id);

DROP TRIGGER IF EXISTS update_twilio_whatsapp_messages_updated_at ON twilio_whatsapp_messages;
CREATE TRIGGER update_twilio_whatsapp_messages_updated_at
  BEFORE UPDATE ON twilio_whatsapp_messages
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

-- Forward-only status. failed/undelivered rank between sent and delivered: a message
-- can fail after it was sent, but nothing that was delivered or read fails later, and
-- a late 'sent' never overwrites 'delivered'.
CREATE OR REPLACE FUNCTION app_private.twilio_message_status_rank(status text) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = ''
  AS $$
    SELECT CASE status
      WHEN 'accepted' THEN 0 WHEN 'scheduled' THEN 0
      WHEN 'queued' THEN 1 WHEN 'sending' THEN 2 WHEN 'sent' THEN 3
      WHEN 'canceled' THEN 4 WHEN 'failed' THEN 4 WHEN 'undelivered' THEN 4
      WHEN 'receiving' THEN 5 WHEN 'received' THEN 6
      WHEN 'delivered' THEN 6 WHEN 'read' THEN 7
      ELSE -1 END
  $$;
GRANT EXECUTE ON FUNCTION app_private.twilio_message_status_rank(text) TO authenticated, service_role;

ALTER TABLE twilio_whatsapp_messages ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS "Members can view own org twilio whatsapp messages" ON twilio_whatsapp_messages;
CREATE POLICY "Members can view own org twilio whatsapp messages"
  ON twilio_whatsapp_messages FOR SELECT
  TO authenticated
  USING (organization_id IN (SELECT app_private.user_organization_ids()));

-- Members and admins may send: they insert the queued outbound row of their own
-- organization, on a connection of that organization. Everything after (the
-- MessageSid, statuses) is written by the service role.
DROP POLICY IF EXISTS "Members can queue outbound twilio whatsapp messages" ON twilio_whatsapp_messages;
CREATE POLICY "Members can queue outbound twilio whatsapp messages"
  ON twilio_whatsapp_messages FOR INSERT
  TO authenticated
  WITH CHECK (
    direction = 'outbound'
    AND status = 'queued'
    AND message_sid IS NULL
    AND sent_by = (SELECT auth.uid())
    AND organization_id IN (SELECT app_private.user_organization_ids())
    AND connection_id IN (
      SELECT c.id FROM twilio_whatsapp_connections c
      WHERE c.organization_id IN (SELECT app_private.user_organization_ids())
    )
  );

REVOKE ALL ON twilio_whatsapp_messages FROM PUBLIC, anon, authenticated;
GRANT SELECT, INSERT ON twilio_whatsapp_messages TO authenticated;
GRANT ALL ON twilio_whatsapp_messages TO service_role;

COMMENT ON TABLE twilio_whatsapp_messages IS 'WhatsApp messages (inbound and outbound) per connection; status moves forward only';
