import type { SimAccount } from '../core/accounts.ts';
import { rfc2822 } from '../core/ids.ts';
import { v2010Page } from '../core/paging.ts';
import type { Answer, Form } from '../core/rest.ts';
import { ok, single } from '../core/rest.ts';
import { messageResource } from './resources.ts';
import type { SimMedia, SimMessage } from './types.ts';

/** `DateSent`, `DateSent<`, `DateSent>`: a day, on or before, on or after (Twilio's description). */
function sentInRange(message: SimMessage, query: Form): boolean {
  const on = single(query.DateSent);
  const before = single(query['DateSent<']);
  const after = single(query['DateSent>']);
  if (on === undefined && before === undefined && after === undefined) return true;
  const sent = message.dateSent?.getTime();
  if (sent === undefined) return false;
  if (
    on !== undefined &&
    new Date(sent).toISOString().slice(0, 10) !== new Date(on).toISOString().slice(0, 10)
  ) {
    return false;
  }
  if (before !== undefined && sent > Date.parse(before)) return false;
  if (after !== undefined && sent < Date.parse(after)) return false;
  return true;
}

/** ListMessage: the account's messages, inbound and outbound, newest first, filtered by To, From and DateSent. */
export function listMessages(account: SimAccount, messages: Iterable<SimMessage>, query: Form): Answer {
  const to = single(query.To);
  const from = single(query.From);
  const found = [...messages]
    .filter(
      (m) =>
        m.accountSid === account.sid &&
        (to === undefined || m.to === to) &&
        (from === undefined || m.from === from) &&
        sentInRange(m, query),
    )
    .reverse()
    .sort((a, b) => b.dateCreated.getTime() - a.dateCreated.getTime());
  const base = `/2010-04-01/Accounts/${account.sid}/Messages.json`;
  return ok(
    200,
    v2010Page(base, query, 'messages', found.map(messageResource), (m) => m.sid),
  );
}

/** ListMedia: a message's media, as Media resources (ME…). */
export function listMedia(message: SimMessage, query: Form): Answer {
  const base = `/2010-04-01/Accounts/${message.accountSid}/Messages/${message.sid}/Media.json`;
  const found = message.media.map((m) => mediaResource(message, m));
  return ok(
    200,
    v2010Page(base, query, 'media_list', found, (m) => m.sid),
  );
}

/** The description has no `url`: the content is at `uri` without `.json`, on Twilio's API origin. */
function mediaResource(message: SimMessage, media: SimMedia) {
  return {
    account_sid: message.accountSid,
    content_type: media.contentType,
    date_created: rfc2822(media.dateCreated),
    date_updated: rfc2822(media.dateCreated),
    parent_sid: message.sid,
    sid: media.sid,
    uri: `/2010-04-01/Accounts/${message.accountSid}/Messages/${message.sid}/Media/${media.sid}.json`,
  };
}
