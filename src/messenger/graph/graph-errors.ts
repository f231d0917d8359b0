/** Meta's error body: `{"error":{"message","type","code","error_subcode","fbtrace_id"}}`. */
export interface GraphError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  fbtrace_id?: string;
}

/** Codes Meta documents as temporary: throttling, service hiccups, "try again later". */
const TRANSIENT_CODES = new Set([1, 2, 4, 17, 32, 341, 613, 1200]);

/**
 * Whether a failed Graph API call is worth retrying. Network errors, 5xx, 429 and Meta's
 * temporary codes are; everything else (551 and 200/1545041 person unavailable, 10/2018278 outside
 * the window, 100/2018001 no such user, 190 bad token, 10/2018108, and other client errors) is not:
 * retrying cannot succeed and would only risk the page's standing.
 */
export function isRetryable(httpStatus: number | null, error: GraphError | undefined): boolean {
  if (httpStatus === null || httpStatus >= 500 || httpStatus === 429) return true;
  return error?.code !== undefined && TRANSIENT_CODES.has(error.code);
}
