-- Auth Token rotation without lockout.
--
-- Twilio rotates an Auth Token in two steps: create a secondary token, then promote
-- it; promoting deletes the old primary. Until the promotion Twilio signs webhooks
-- with the primary (the old token).
--   https://www.twilio.com/docs/iam/api/secondary_authtoken
--   https://www.twilio.com/docs/iam/api/authtoken ("This action will delete the
--   current primary Auth Token, and promote the secondary Auth Token to primary")
--   https://www.twilio.com/docs/usage/webhooks/webhooks-security (signed with the Auth Token)
-- An admin who stores the new token here before promoting it would see every
-- webhook fail the signature check (403, which Twilio does not retry). So the
-- token being replaced is kept for a grace period and signatures made with it are
-- still accepted; the card says which of the two Twilio signs with.

ALTER TABLE twilio_whatsapp_connections
  -- The replaced token, AES-256-GCM like twilio_auth_token_hash, but bound to its row
  -- with associated data that says "previous": it cannot be copied into the current
  -- column (or back) and decrypt.
  ADD COLUMN IF NOT EXISTS twilio_previous_auth_token TEXT,
  -- The end of the grace period (7 days after the update); the periodic sweep erases
  -- the previous token then, or earlier once Twilio signs with the new one.
  ADD COLUMN IF NOT EXISTS previous_token_expires_at TIMESTAMPTZ,
  -- When a delivery signed with each token was last seen: written at most about once
  -- a minute per connection and token (not per delivery), reset at each rotation.
  ADD COLUMN IF NOT EXISTS last_signed_with_current_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS last_signed_with_previous_at TIMESTAMPTZ;

-- A previous token always has its end; no end without a token.
ALTER TABLE twilio_whatsapp_connections
  ADD CONSTRAINT twilio_whatsapp_connections_previous_token_expiry
  CHECK ((twilio_previous_auth_token IS NULL) = (previous_token_expires_at IS NULL));

COMMENT ON COLUMN twilio_whatsapp_connections.twilio_previous_auth_token IS
  'The Auth Token replaced by the last update, encrypted (AES-256-GCM, key id + IV + tag, associated data = row + Account SID + "previous"). Accepted for webhook signatures until previous_token_expires_at. Never leaves the server; authenticated may not SELECT it.';
COMMENT ON COLUMN twilio_whatsapp_connections.previous_token_expires_at IS
  'End of the grace period in which signatures made with twilio_previous_auth_token are accepted.';
COMMENT ON COLUMN twilio_whatsapp_connections.last_signed_with_current_at IS
  'Last time (to about a minute) a delivery signed with the current Auth Token was seen; null since the last rotation if none.';
COMMENT ON COLUMN twilio_whatsapp_connections.last_signed_with_previous_at IS
  'Last time (to about a minute) a delivery signed with the previous Auth Token was seen; null since the last rotation if none.';

-- Only the sweep erases expired previous tokens; it looks for rows that have one.
CREATE INDEX IF NOT EXISTS idx_twilio_wa_connections_previous_token
  ON twilio_whatsapp_connections (previous_token_expires_at)
  WHERE previous_token_expires_at IS NOT NULL;

-- Column grants (as in 20260205, FIX 7): members read when the grace ends and which
-- token Twilio signs with; the previous token's ciphertext stays unreadable to them,
-- like twilio_auth_token_hash. INSERT/UPDATE stay table-wide (an admin's update
-- writes the previous ciphertext), limited by RLS to owners and admins.
GRANT SELECT (
  previous_token_expires_at,
  last_signed_with_current_at,
  last_signed_with_previous_at
) ON twilio_whatsapp_connections TO authenticated;

-- Seeing a signed delivery is not a change to the connection: an update that touches
-- only the two last_signed_with_* columns leaves updated_at alone (the intake writes
-- them about once a minute). Any other change still sets it, as before.
DROP TRIGGER IF EXISTS update_twilio_whatsapp_connections_updated_at ON twilio_whatsapp_connections;
CREATE TRIGGER update_twilio_whatsapp_connections_updated_at
  BEFORE UPDATE ON twilio_whatsapp_connections
  FOR EACH ROW
  WHEN (
    (OLD.last_signed_with_current_at IS NOT DISTINCT FROM NEW.last_signed_with_current_at
      AND OLD.last_signed_with_previous_at IS NOT DISTINCT FROM NEW.last_signed_with_previous_at)
    OR (to_jsonb(OLD) - 'last_signed_with_current_at' - 'last_signed_with_previous_at')
      IS DISTINCT FROM (to_jsonb(NEW) - 'last_signed_with_current_at' - 'last_signed_with_previous_at')
  )
  EXECUTE FUNCTION update_updated_at_column();
