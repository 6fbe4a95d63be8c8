-- 20261130_reconciliation and 20261130_token_rotation each replaced the
-- updated_at trigger of twilio_whatsapp_connections so that their own bookkeeping
-- columns do not move updated_at (which says when someone changed the connection);
-- the later one dropped the earlier one's exception. One trigger for both: an
-- update that touches only bookkeeping columns leaves updated_at alone, any other
-- change (or an update that changes nothing at all, as before) sets it.
DROP TRIGGER IF EXISTS update_twilio_whatsapp_connections_updated_at ON twilio_whatsapp_connections;
CREATE TRIGGER update_twilio_whatsapp_connections_updated_at
  BEFORE UPDATE ON twilio_whatsapp_connections
  FOR EACH ROW
  WHEN (
    (OLD.last_signed_with_current_at IS NOT DISTINCT FROM NEW.last_signed_with_current_at
      AND OLD.last_signed_with_previous_at IS NOT DISTINCT FROM NEW.last_signed_with_previous_at
      AND OLD.last_reconciled_at IS NOT DISTINCT FROM NEW.last_reconciled_at
      AND OLD.reconcile_lease_until IS NOT DISTINCT FROM NEW.reconcile_lease_until)
    OR (to_jsonb(OLD) - 'last_signed_with_current_at' - 'last_signed_with_previous_at'
          - 'last_reconciled_at' - 'reconcile_lease_until')
      IS DISTINCT FROM (to_jsonb(NEW) - 'last_signed_with_current_at' - 'last_signed_with_previous_at'
          - 'last_reconciled_at' - 'reconcile_lease_until')
  )
  EXECUTE FUNCTION update_updated_at_column();
