-- Issue 11: a connection lifecycle that never drops a customer's message.
-- 20260203 and 20260205 are applied and never edited; each change here says why.
--
-- Pausing (is_active = false) now stops sending only: a paused connection's
-- webhooks are still verified and stored (Twilio does not retry a 404, so refusing
-- them lost the customer's message). Nothing in the schema changes for that.
--
-- Disconnecting no longer deletes the row (ON DELETE CASCADE took every message
-- and webhook event of the conversation with it). The row stays, marked
-- disconnected, with its Auth Token erased; the organization keeps reading its
-- history under the same RLS policies as before. Only a separate, owner-only
-- "Delete history" deletes the row, and with it the messages and events.

-- The Auth Token is erased at disconnect: nothing can sign a call or verify a
-- webhook with it afterwards. A connected row always has one, a disconnected one
-- never (the CHECK below), so "no token" and "disconnected" cannot disagree.
ALTER TABLE twilio_whatsapp_connections ALTER COLUMN twilio_auth_token_hash DROP NOT NULL;

ALTER TABLE twilio_whatsapp_connections
  -- When, and by whom, the connection was disconnected (NULL while connected).
  ADD COLUMN IF NOT EXISTS disconnected_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS disconnected_by UUID REFERENCES auth.users(id) ON DELETE SET NULL,
  -- Twilio's webhook settings on the sender or number before we pointed them at
  -- this connection ({inboundUrl, inboundMethod, statusUrl, statusMethod}), put
  -- back at disconnect. NULL for the sandbox (no API) or when never configured.
  ADD COLUMN IF NOT EXISTS twilio_webhooks_before JSONB;

ALTER TABLE twilio_whatsapp_connections
  ADD CONSTRAINT twilio_whatsapp_connections_token_while_connected
  CHECK ((disconnected_at IS NULL) = (twilio_auth_token_hash IS NOT NULL));

COMMENT ON COLUMN twilio_whatsapp_connections.twilio_auth_token_hash IS
  'FIX 1: despite the name, the AES-256-GCM ciphertext of the Twilio Auth Token '
  '(envelope v1.<key id>.<iv>.<tag>.<ciphertext>, associated data = row id + Account SID). '
  'A hash could not sign API calls or check webhook signatures. Never returned to clients. '
  'NULL once the connection is disconnected (20261130): the token is erased, the history kept.';
COMMENT ON COLUMN twilio_whatsapp_connections.twilio_webhooks_before IS
  'Twilio''s webhook settings before this connection configured its own, restored at disconnect. '
  'Not readable by authenticated: a webhook URL can carry another system''s credentials.';

-- Members see when and by whom a connection was disconnected (the card says so).
-- twilio_webhooks_before is not granted: only the server (service role) reads it.
GRANT SELECT (disconnected_at, disconnected_by) ON twilio_whatsapp_connections TO authenticated;
