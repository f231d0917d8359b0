import { randomBytes } from 'node:crypto';

/** Meta's error body, as the fake Graph API answers it. */
export interface GraphError {
  message: string;
  /** Meta always sends a type; the fake fills in `OAuthException` when a test leaves it out. */
  type?: string;
  code: number;
  error_subcode?: number;
}

/** What the next send request gets instead of a success. */
export type GraphFailure = { status: number; error: GraphError } | { networkError: true };

/** Meta's error envelope: `{"error":{"message","type","code","error_subcode","fbtrace_id"}}`. */
export function graphError(error: GraphError): { error: GraphError & { fbtrace_id: string } } {
  return {
    error: {
      message: error.message,
      type: error.type ?? 'OAuthException',
      code: error.code,
      ...(error.error_subcode !== undefined && { error_subcode: error.error_subcode }),
      fbtrace_id: randomBytes(9).toString('base64url'),
    },
  };
}
