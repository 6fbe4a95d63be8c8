/** A Messaging Service (MG…): a pool of senders with its own inbound and status webhooks. */
export interface SimService {
  sid: string;
  accountSid: string;
  friendlyName: string;
  inboundRequestUrl: string | null;
  inboundMethod: 'GET' | 'POST';
  fallbackUrl: string | null;
  fallbackMethod: 'GET' | 'POST';
  statusCallback: string | null;
  /** When true, inbound messages go to each sender's own webhook; when false, to `inboundRequestUrl`. */
  useInboundWebhookOnNumber: boolean;
  stickySender: boolean;
  mmsConverter: boolean;
  smartEncoding: boolean;
  scanMessageContent: 'inherit' | 'enable' | 'disable';
  fallbackToLongCode: boolean;
  areaCodeGeomatch: boolean;
  validityPeriod: number;
  synchronousValidation: boolean;
  usecase: string;
  /** Its WhatsApp senders (XE…), listed as ChannelSenders. */
  senderSids: string[];
  /** Its phone numbers (PN…), listed as PhoneNumbers. */
  phoneNumberSids: string[];
  dateCreated: Date;
  dateUpdated: Date;
}
