export type HookErrorCode = 'HOOK_STORE_OPEN' | 'HOOK_STORE_CLOSED' | 'HOOK_PAYLOAD' | 'HOOK_SEND';

/** A log hook failure with a stable code. */
export class HookError extends Error {
  constructor(readonly code: HookErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HookError';
  }
}
