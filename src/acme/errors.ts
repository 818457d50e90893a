/** An ACME order that did not give a certificate (the message says why). */
export class AcmeOrderError extends Error {
  readonly code = 'ACME_ORDER_FAILED';
}
