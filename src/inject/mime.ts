/**
 * Message assembly for inject requests, with nodemailer's composer and encoders. A builder
 * request's MIME structure (multipart/alternative for text + HTML, multipart/related for inline
 * parts, base64 attachments, boundaries) is composed ONCE per request by MailComposer, with a
 * marker in place of each body part; each recipient's message is that structure with the
 * recipient's header block (fields formatted as a nodemailer MimeNode formats them, see
 * header-fields.ts: address formatting, RFC 2047 words, folding; plus Date, Message-ID) and
 * its parts quoted-printable encoded by nodemailer's qp encoder (part-encoder.ts) in place of
 * the markers. (Composing every message through nodemailer's streams costs
 * about ten times as much CPU.) A string request is used as it is, with its line endings made
 * CRLF and a Date / Message-ID added when absent.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import { rfc5322Date } from '../smtp/trace-headers.js';
import { HeaderFields } from './header-fields.js';
import { PartEncoder } from './part-encoder.js';

export interface Mailbox {
  readonly email: string;
  readonly name?: string | null;
}

export interface PreparedAttachment {
  readonly content: Buffer;
  readonly contentType: string;
  readonly fileName?: string;
  readonly contentId?: string;
}

/** The parts of a builder request that are the same for every recipient. */
export interface MessageShape {
  readonly from?: Mailbox;
  readonly replyTo?: Mailbox;
  readonly text: boolean;
  readonly html: boolean;
  readonly attachments: readonly PreparedAttachment[];
  /** the names of the request's `headers`, in the order every recipient's `RecipientParts.headers` has them */
  readonly headerNames: readonly string[];
  /** the Message-ID domain when there is no From (the envelope sender's) */
  readonly fallbackDomain?: string;
}

/** One recipient's rendered parts. */
export interface RecipientParts {
  readonly to: Mailbox;
  readonly subject?: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly text?: string;
  readonly html?: string;
}

const address = (m: Mailbox) => ({ name: m.name ?? '', address: m.email });

/** The MIME structure of a request's messages, composed once; `build` makes one recipient's message. */
export class ComposedShape {
  private constructor(
    private readonly shape: MessageShape,
    /** the root's Content-Type (and Content-Transfer-Encoding) fields, CRLF-terminated */
    private readonly structural: string,
    /** the body: literal segments around the part markers */
    private readonly segments: readonly (string | 'text' | 'html')[],
  ) {
    this.idDomain = (shape.from?.email ?? '').split('@').pop() || shape.fallbackDomain || 'localhost';
    this.own = new Set(shape.headerNames.map((n) => n.toLowerCase()));
    this.fixed = (shape.from ? this.fields.field('From', address(shape.from)) : '') + (shape.replyTo ? this.fields.field('Reply-To', address(shape.replyTo)) : '');
  }

  /** the lower-case names of the request's own header fields (they take the place of generated ones) */
  private readonly own: ReadonlySet<string>;

  /** formats the header fields of this request's messages */
  private readonly fields = new HeaderFields();

  /** quoted-printable text and HTML parts (lines alike for every recipient are encoded once) */
  private readonly textPart = new PartEncoder();
  private readonly htmlPart = new PartEncoder();

  /** the From and Reply-To fields, CRLF-terminated (the same for every recipient) */
  private readonly fixed: string;

  /** the right side of generated Message-IDs: the From domain, as nodemailer does */
  private readonly idDomain: string;

  static async compose(shape: MessageShape): Promise<ComposedShape> {
    const marker = `kumo${randomBytes(12).toString('hex')}`;
    const part = (kind: string) => ({ content: `${marker}${kind}`, contentTransferEncoding: 'quoted-printable' as const });
    const mail: Mail.Options = {
      // a request never makes nodemailer read a file or fetch a URL
      disableFileAccess: true,
      disableUrlAccess: true,
      ...(shape.text ? { text: part('text') } : {}),
      ...(shape.html ? { html: part('html') } : {}),
      attachments: shape.attachments.map((a) => ({
        content: a.content,
        contentType: a.contentType,
        ...(a.fileName ? { filename: a.fileName } : { filename: false as const }),
        ...(a.contentId ? { cid: a.contentId, contentDisposition: 'inline' as const } : { contentDisposition: 'attachment' as const }),
        contentTransferEncoding: 'base64' as const,
      })),
    };
    const built = await new Promise<Buffer>((resolve, reject) => {
      new MailComposer(mail).compile().build((err, buf) => (err ? reject(err) : resolve(buf)));
    });
    const text = built.toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    // header fields, unfolded into whole fields (a field's continuation lines start with WSP)
    const fields = text.slice(0, end + 2).split(/\r\n(?![ \t])/).filter(Boolean);
    const structural = fields.filter((f) => /^content-(type|transfer-encoding):/i.test(f)).map((f) => `${f}\r\n`).join('');
    const segments: (string | 'text' | 'html')[] = [];
    const re = new RegExp(`${marker}(text|html)`, 'g');
    const body = text.slice(end + 4);
    let at = 0;
    for (let m; (m = re.exec(body)); at = m.index + m[0].length) {
      segments.push(body.slice(at, m.index), m[1] as 'text' | 'html');
    }
    segments.push(body.slice(at));
    return new ComposedShape(shape, structural, segments);
  }

  /** One recipient's message (CRLF line endings); `headerLength` is its header block's, blank line included. */
  build(p: RecipientParts): { data: Buffer; headerLength: number } {
    const own = this.own;
    // the fields that vary by recipient (To, Subject, the request's headers) are formatted per
    // message; the ones that do not (From, Reply-To) were formatted once
    let head = this.fixed;
    if (!own.has('to')) head += this.fields.field('To', address(p.to));
    if (p.subject !== undefined && !own.has('subject')) head += this.fields.field('Subject', p.subject);
    // the MIME structure's own fields are the composer's
    for (const [k, v] of p.headers) if (!STRUCTURAL.test(k)) head += this.fields.field(k, v);
    head += (own.has('date') ? '' : `Date: ${rfc5322Date(new Date())}\r\n`) +
      (own.has('message-id') ? '' : `Message-ID: <${randomUUID()}@${this.idDomain}>\r\n`) +
      'MIME-Version: 1.0\r\n' + this.structural + '\r\n';
    let out = '';
    for (const seg of this.segments) {
      // what is signed is what is sent: CRLF line endings
      if (seg === 'text') out += this.textPart.encode(normalizeCrlf(p.text ?? ''));
      else if (seg === 'html') out += this.htmlPart.encode(normalizeCrlf(p.html ?? ''));
      else out += seg;
    }
    // the header block as UTF-8: a character the composer leaves unencoded (In-Reply-To,
    // References, Content-ID...) must not lose its high byte, which made U+010D a CR and
    // U+010A a LF, header fields and a body of the data's own. The body was latin1-decoded
    // from the composer's output (base64, quoted-printable, boundaries: ASCII)
    const headBytes = Buffer.from(head, 'utf8');
    return { data: Buffer.concat([headBytes, Buffer.from(out, 'latin1')]), headerLength: headBytes.length };
  }
}

const STRUCTURAL = /^(content-(type|transfer-encoding)|mime-version)$/i;

/** KumoMTA's normalize_crlf: a lone CR or a lone LF becomes CRLF. */
export function normalizeCrlf(s: string): string {
  return s.replace(/\r\n|\r|\n/g, '\r\n');
}

/**
 * A complete message given as a string: CRLF line endings, and the Date and Message-ID headers
 * RFC 5322 asks for when the text has none (`domain` names the Message-ID's right side).
 */
export function completeMessage(text: string, domain: string, now = new Date()): Buffer {
  const msg = normalizeCrlf(text);
  const end = msg.startsWith('\r\n') ? 0 : msg.indexOf('\r\n\r\n');
  const head = end < 0 ? msg : msg.slice(0, end);
  const names = new Set(head.split('\r\n').filter((l) => l && !/^[ \t]/.test(l)).map((l) => l.slice(0, l.indexOf(':')).trim().toLowerCase()));
  let add = '';
  if (!names.has('date')) add += `Date: ${rfc5322Date(now)}\r\n`;
  if (!names.has('message-id')) add += `Message-ID: <${randomBytes(12).toString('hex')}@${domain}>\r\n`;
  // a message with no blank line is all header: give it its end
  const out = add + msg + (end < 0 ? (msg.endsWith('\r\n') ? '\r\n' : '\r\n\r\n') : '');
  return Buffer.from(out, 'utf8');
}
