import type { SimulatorCore } from '../core/core.ts';
import { SimulatorError } from '../core/errors.ts';
import { newSid } from '../core/ids.ts';
import { CONTENT_ORIGIN, metaPage } from '../core/paging.ts';
import type { OperationContext, OperationHandler, SimulatedProduct } from '../core/rest.ts';
import { notFound, ok, rejectIfInvalid } from '../core/rest.ts';
import type { TwilioOpenApi } from '../openapi/twilio-openapi.ts';
import type { SimTemplate, TemplateInput } from './templates.ts';
import { checkApproval, checkTemplateInput, whatsappTemplateName, whatsappType } from './templates.ts';

/** The Content API (v1): the accounts' templates (HX…) and their WhatsApp approval. */
export class ContentTemplates implements SimulatedProduct {
  readonly templates = new Map<string, SimTemplate>();
  readonly #core: SimulatorCore;
  readonly #oai: () => TwilioOpenApi;

  /** `oai` checks a new template's `types` against the Content API's schema. */
  constructor(core: SimulatorCore, oai: () => TwilioOpenApi) {
    this.#core = core;
    this.#oai = oai;
  }

  add(accountSid: string, input: TemplateInput): SimTemplate {
    this.#core.accounts.require(accountSid);
    checkTemplateInput(input, this.#oai().checkComponent('types', input.types));
    const now = new Date();
    const approval = input.approval ?? 'approved';
    const template: SimTemplate = {
      sid: newSid('HX'),
      accountSid,
      friendlyName: input.friendlyName,
      language: input.language ?? 'en',
      variables: { ...input.variables },
      types: input.types,
      approval,
      rejectionReason: approval === 'rejected' ? (input.rejectionReason ?? 'INVALID_FORMAT') : '',
      category: input.category ?? 'UTILITY',
      dateCreated: now,
      dateUpdated: now,
    };
    this.templates.set(template.sid, template);
    return template;
  }

  /** Changes a template's WhatsApp approval (as Meta's review would). */
  setApproval(sid: string, approval: SimTemplate['approval'], rejectionReason?: string): SimTemplate {
    const template = this.templates.get(sid);
    if (!template) throw new SimulatorError(`No template ${sid}`);
    checkApproval(approval);
    template.approval = approval;
    template.rejectionReason = approval === 'rejected' ? (rejectionReason ?? 'INVALID_FORMAT') : '';
    template.dateUpdated = new Date();
    return template;
  }

  /** The account's template with this SID, if it has it. */
  of(accountSid: string, sid: string | undefined): SimTemplate | undefined {
    const template = this.templates.get(sid ?? '');
    return template?.accountSid === accountSid ? template : undefined;
  }

  ofAccount(accountSid: string): SimTemplate[] {
    return [...this.templates.values()].filter((t) => t.accountSid === accountSid);
  }

  reset() {
    this.templates.clear();
  }

  readonly operations: Readonly<Record<string, OperationHandler>> = {
    ListContentAndApprovals: (ctx) =>
      rejectIfInvalid(ctx) ??
      ok(
        200,
        this.#page(ctx, '/v1/ContentAndApprovals', (t) => contentAndApprovalsResource(t)),
      ),
    ListContent: (ctx) =>
      rejectIfInvalid(ctx) ??
      ok(
        200,
        this.#page(ctx, '/v1/Content', (t) => contentResource(t)),
      ),
    FetchContent: (ctx) => {
      const template = this.of(ctx.account.sid, ctx.pathParams.Sid);
      if (!template) return notFound(ctx.path);
      return rejectIfInvalid(ctx) ?? ok(200, contentResource(template));
    },
    FetchApprovalFetch: (ctx) => {
      const template = this.of(ctx.account.sid, ctx.pathParams.Sid);
      if (!template) return notFound(ctx.path);
      return rejectIfInvalid(ctx) ?? ok(200, approvalFetchResource(template));
    },
  };

  /** Oldest first, as the Content API lists them; paged with `PageToken`. */
  #page(ctx: OperationContext, path: string, shape: (t: SimTemplate) => Record<string, unknown>) {
    const found = this.ofAccount(ctx.account.sid).map((t) => ({ sid: t.sid, body: shape(t) }));
    const page = metaPage(`${CONTENT_ORIGIN}${path}`, 'contents', ctx.query, found, (t) => t.sid);
    return { ...page, contents: (page.contents as typeof found).map((t) => t.body) };
  }
}

/** The WhatsApp approval block, as ContentAndApprovals (`approval_requests`) and ApprovalFetch (`whatsapp`) show it. */
function whatsappApproval(t: SimTemplate) {
  const submitted = t.approval !== 'unsubmitted';
  return {
    name: submitted ? whatsappTemplateName(t.friendlyName) : '',
    category: submitted ? t.category : '',
    content_type: submitted ? whatsappType(t) : '',
    status: t.approval,
    rejection_reason: t.rejectionReason,
    allow_category_change: true,
  };
}

const iso = (date: Date) => `${date.toISOString().slice(0, 19)}Z`;

/** What a Content resource and its ContentAndApprovals entry share. */
function templateFields(t: SimTemplate) {
  return {
    date_created: iso(t.dateCreated),
    date_updated: iso(t.dateUpdated),
    sid: t.sid,
    account_sid: t.accountSid,
    friendly_name: t.friendlyName,
    language: t.language,
    variables: t.variables,
    types: t.types,
  };
}

function contentResource(t: SimTemplate) {
  const url = `${CONTENT_ORIGIN}/v1/Content/${t.sid}`;
  return {
    ...templateFields(t),
    url,
    links: {
      approval_create: `${url}/ApprovalRequests/whatsapp`,
      approval_fetch: `${url}/ApprovalRequests`,
    },
  };
}

function contentAndApprovalsResource(t: SimTemplate) {
  return {
    ...templateFields(t),
    approval_requests: whatsappApproval(t),
  };
}

function approvalFetchResource(t: SimTemplate) {
  return {
    sid: t.sid,
    account_sid: t.accountSid,
    whatsapp: { type: 'whatsapp', ...whatsappApproval(t) },
    url: `${CONTENT_ORIGIN}/v1/Content/${t.sid}/ApprovalRequests`,
  };
}
