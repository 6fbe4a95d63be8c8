-- Phase 21 follow-up: fixes to twilio_whatsapp_connections found in review.
-- 20260203 is applied and is never edited; each change here says why it exists.

-- =============================================================================
-- FIX 7: members could read the Auth Token ciphertext
-- =============================================================================
-- 20260203 granted SELECT on the whole table to authenticated, so any member
-- could read twilio_auth_token_hash straight from the database (on Supabase:
-- PostgREST `?select=twilio_auth_token_hash`). It is ciphertext, but it is the
-- one column that must never leave the server: only the service role reads it,
-- after the caller's own RLS read proved access to the row.
-- Writing it stays allowed: an admin's connect/update stores a new ciphertext.
-- Note that UPDATE ... WHERE/RETURNING needs SELECT on the columns it reads,
-- so the server names its columns instead of `select *` / `returning *`.
REVOKE SELECT ON twilio_whatsapp_connections FROM authenticated;
GRANT SELECT (
  id,
  organization_id,
  twilio_account_sid,
  whatsapp_number,
  whatsapp_number_sid,
  friendly_name,
  is_active,
  webhook_configured,
  last_verified_at,
  created_at,
  updated_at
) ON twilio_whatsapp_connections TO authenticated;
-- INSERT, UPDATE and DELETE (table-wide, ciphertext included) are unchanged
-- from 20260203; RLS still limits them to owners and admins.

-- =============================================================================
-- FIX 8: Twilio's sandbox number is shared by every Twilio account
-- =============================================================================
-- UNIQUE(whatsapp_number) was global, so once one tenant connected the sandbox
-- (+14155238886) every other tenant got a conflict. A real number is still
-- unique across organizations; the sandbox is unique per Twilio account (one
-- sandbox connection per account), which the (account, number) constraint says.
ALTER TABLE twilio_whatsapp_connections
  DROP CONSTRAINT IF EXISTS twilio_whatsapp_connections_whatsapp_number_key;
CREATE UNIQUE INDEX IF NOT EXISTS twilio_whatsapp_connections_whatsapp_number_key
  ON twilio_whatsapp_connections (whatsapp_number)
  WHERE whatsapp_number <> '+14155238886';
ALTER TABLE twilio_whatsapp_connections
  ADD CONSTRAINT twilio_whatsapp_connections_account_number_key
  UNIQUE (twilio_account_sid, whatsapp_number);
