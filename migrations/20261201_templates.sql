-- WhatsApp templates and the 24-hour window (issue 12).
--
-- Outside the customer's 24-hour window WhatsApp takes only an approved
-- template, sent with ContentSid + ContentVariables
-- (https://www.twilio.com/docs/content/send-templates-created-with-the-content-template-builder).
-- The message row keeps which template and which values were sent; `body` keeps
-- the text the customer read (the template rendered with those values), so the
-- history shows what was said without asking Twilio.

-- =============================================================================
-- The template an outbound message was sent with
-- =============================================================================
-- content_sid: the Content resource (HX…); NULL for free text and inbound.
-- content_variables: the values sent, {"1": "Maria"}; set exactly when content_sid is.
ALTER TABLE twilio_whatsapp_messages
  ADD COLUMN IF NOT EXISTS content_sid TEXT,
  ADD COLUMN IF NOT EXISTS content_variables JSONB;

DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_constraint WHERE conname = 'twilio_whatsapp_messages_content_check'
  ) THEN
    ALTER TABLE twilio_whatsapp_messages
      ADD CONSTRAINT twilio_whatsapp_messages_content_check CHECK (
        (content_sid IS NULL AND content_variables IS NULL)
        OR (content_sid ~ '^HX[0-9a-fA-F]{32}$'
            AND jsonb_typeof(content_variables) = 'object'
            AND direction = 'outbound')
      );
  END IF;
END
$$;

COMMENT ON COLUMN twilio_whatsapp_messages.content_sid IS
  'The Content API template (HX...) an outbound message was sent with; NULL for free text. body holds the rendered text';
COMMENT ON COLUMN twilio_whatsapp_messages.content_variables IS
  'The ContentVariables sent with content_sid ({"1": "value"}); NULL when content_sid is';

-- Quick-reply answers (ButtonPayload, ButtonText on the inbound webhook) were
-- stored since 20260204 (button_payload, button_text); nothing changes for them.

-- =============================================================================
-- Conversations: one customer of one connection
-- =============================================================================
-- The customer is the other party: the sender of an inbound message, the
-- recipient of an outbound one. whatsapp.conversations.list reads each
-- customer's latest message, and whatsapp.messages.send reads the customer's
-- latest inbound message (the window); both by this expression, newest first.
-- An expression index rather than a stored column: no table rewrite, and no
-- column the writers must keep in step.
CREATE INDEX IF NOT EXISTS idx_twilio_wa_messages_customer ON twilio_whatsapp_messages (
  connection_id,
  (CASE WHEN direction = 'inbound' THEN from_number ELSE to_number END),
  created_at DESC,
  id DESC
);

-- Grants: authenticated has table-level SELECT and INSERT on
-- twilio_whatsapp_messages (20260204), which cover the new columns: members
-- read which template was sent, and a member's queued outbound row carries the
-- template it sends (the insert policy still limits that row to outbound,
-- queued, no SID, sent by themself). service_role has ALL. Nothing else changes.
