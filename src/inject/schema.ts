/**
 * POST /api/inject/v1 as KumoMTA defines it (InjectV1Request, Content, Attachment, Recipient,
 * FromHeader, InjectV1Response): the JSON Schemas are both the request validation and the
 * route's OpenAPI description. Field names are KumoMTA's, exactly.
 */

const mailbox = (what: string) => ({
  type: 'object',
  description: `${what}: an address and an optional display name`,
  additionalProperties: false,
  required: ['email'],
  properties: {
    email: { type: 'string', format: 'email', description: 'the email address (user@domain)' },
    name: { type: ['string', 'null'], description: 'the displayable name' },
  },
});

const substitutions = (what: string) => ({
  type: 'object',
  description: `${what}: template variable name → any JSON value`,
  additionalProperties: true,
});

export const attachmentSchema = {
  type: 'object',
  description: 'An attachment; with content_id it is an inline part in a multipart/related container with the HTML',
  additionalProperties: false,
  required: ['data', 'content_type'],
  properties: {
    data: { type: 'string', description: 'the payload: UTF-8 text, or base64 when `base64` is true' },
    base64: { type: 'boolean', description: 'the data is base64-encoded' },
    content_type: { type: 'string', minLength: 1, description: 'the MIME Content-Type of the attachment' },
    file_name: { type: ['string', 'null'], description: 'the preferred file name' },
    content_id: { type: ['string', 'null'], description: 'Content-ID: makes the attachment inline (referenced as cid:... from the HTML)' },
  },
} as const;

export const builderSchema = {
  type: 'object',
  description: 'Describes the MIME structure to build; subject, headers, text_body and html_body are templates',
  additionalProperties: false,
  properties: {
    from: { ...mailbox('the From: header'), type: ['object', 'null'] },
    reply_to: { ...mailbox('the Reply-To: header'), type: ['object', 'null'] },
    subject: { type: ['string', 'null'], description: 'the Subject: header (a template)' },
    headers: {
      type: 'object',
      description: 'additional headers: name → value (values are templates)',
      additionalProperties: { type: 'string' },
    },
    text_body: { type: ['string', 'null'], description: 'the text/plain part (a template)' },
    html_body: { type: ['string', 'null'], description: 'the text/html part (a template, HTML-escaped substitutions)' },
    attachments: { type: 'array', description: 'attachments (not templated)', items: attachmentSchema },
  },
} as const;

export const injectRequestSchema = {
  $id: 'InjectV1Request',
  type: 'object',
  description: 'Inject one message per recipient, generated from `content` with template expansion',
  additionalProperties: false,
  required: ['envelope_sender', 'recipients', 'content'],
  properties: {
    envelope_sender: { type: 'string', format: 'email', description: 'the envelope sender (MAIL FROM), user@domain' },
    recipients: {
      type: 'array',
      minItems: 1,
      description: 'one message is generated for each recipient',
      items: {
        type: 'object',
        description: 'a recipient',
        additionalProperties: false,
        required: ['email'],
        properties: {
          email: { type: 'string', format: 'email', description: 'the recipient address; the template variable `email`' },
          name: { type: ['string', 'null'], description: 'the display name; the template variable `name`' },
          substitutions: substitutions('per-recipient substitutions, over the global ones'),
        },
      },
    },
    substitutions: substitutions('global substitutions'),
    content: {
      description: 'a complete RFC 5322 message (used as the template as it is) or a builder object',
      oneOf: [{ type: 'string', description: 'a complete RFC 5322 message', minLength: 1 }, builderSchema],
    },
    deferred_spool: { type: 'boolean', description: 'keep generated messages in RAM until their first transient failure (may lose them in a crash)' },
    deferred_generation: { type: 'boolean', description: 'accepted for KumoMTA compatibility: kumo-ts always generates before it answers' },
    template_dialect: { type: 'string', enum: ['Jinja', 'Static'], description: 'Jinja (default) or Static (no template expansion)' },
    trace_headers: {
      type: 'object',
      description: 'trace headers added to each generated message',
      additionalProperties: false,
      properties: {
        received_header: { type: 'boolean', description: 'add a Received: header naming the HTTP peer (default true)' },
        supplemental_header: { type: 'boolean', description: 'add the supplemental header with the spool id (default true)' },
        header_name: { type: 'string', minLength: 1, description: 'the supplemental header name (default X-KumoRef)' },
        include_meta_names: { type: 'array', items: { type: 'string' }, description: 'accepted for KumoMTA compatibility; not used' },
      },
    },
  },
} as const;

export const injectResponseSchema = {
  type: 'object',
  description: 'How many messages were spooled and which recipients failed',
  additionalProperties: false,
  required: ['success_count', 'fail_count', 'failed_recipients', 'errors'],
  properties: {
    success_count: { type: 'integer', description: 'messages durably spooled (queued)' },
    fail_count: { type: 'integer', description: 'messages that could not be injected' },
    failed_recipients: { type: 'array', items: { type: 'string' }, description: 'the recipients that failed' },
    errors: { type: 'array', items: { type: 'string' }, description: 'one message per failure' },
  },
} as const;

export const injectErrorSchema = {
  type: 'object',
  description: 'An error: the request was refused; with counts when some messages were spooled first',
  properties: {
    error: { type: 'string', description: 'a stable name: bad_request (nothing spooled), payload_too_large, service_unavailable (the spool failed; the counts say what was spooled)' },
    message: { type: 'string', description: 'what is wrong (names the field or template part)' },
    success_count: { type: 'integer', description: 'messages spooled before the failure' },
    fail_count: { type: 'integer', description: 'messages that could not be injected' },
    failed_recipients: { type: 'array', items: { type: 'string' }, description: 'the recipients that failed' },
    errors: { type: 'array', items: { type: 'string' }, description: 'one message per failure' },
    limit: { type: 'integer', description: 'payload_too_large: the limit in bytes' },
  },
} as const;

export interface MailboxSpec {
  email: string;
  name?: string | null;
}

export interface AttachmentSpec {
  data: string;
  base64?: boolean;
  content_type: string;
  file_name?: string | null;
  content_id?: string | null;
}

export interface BuilderContent {
  from?: MailboxSpec | null;
  reply_to?: MailboxSpec | null;
  subject?: string | null;
  headers?: Record<string, string>;
  text_body?: string | null;
  html_body?: string | null;
  attachments?: AttachmentSpec[];
}

export interface InjectRecipient {
  email: string;
  name?: string | null;
  substitutions?: Record<string, unknown>;
}

/** A request body that passed `injectRequestSchema`. */
export interface InjectV1Request {
  envelope_sender: string;
  recipients: InjectRecipient[];
  substitutions?: Record<string, unknown>;
  content: string | BuilderContent;
  deferred_spool?: boolean;
  deferred_generation?: boolean;
  template_dialect?: 'Jinja' | 'Static';
  trace_headers?: { received_header?: boolean; supplemental_header?: boolean; header_name?: string; include_meta_names?: string[] };
}

export interface InjectV1Response {
  success_count: number;
  fail_count: number;
  failed_recipients: string[];
  errors: string[];
}
