/** Where Twilio must send a connection's inbound messages and status callbacks. */
export function webhookUrlsFor(publicUrl: URL, connectionId: string): { inbound: string; status: string } {
  const inbound = new URL(
    `webhooks/twilio/whatsapp/${connectionId}`,
    withTrailingSlash(publicUrl),
  ).toString();
  return { inbound, status: `${inbound}/status` };
}

// PUBLIC_URL may carry a path prefix (https://example.com/app); keep it.
function withTrailingSlash(url: URL): URL {
  const copy = new URL(url.toString());
  if (!copy.pathname.endsWith('/')) copy.pathname += '/';
  copy.search = '';
  copy.hash = '';
  return copy;
}
