/**
 * Calls the API and turns a failed envelope into a thrown ApiCallError, for
 * screens that show one error message per action.
 */
import type { ApiError, Channel, RequestOf, ResponseOf } from '../../../shared/api/contract';
import { getClient } from './client';

/** A failed API call; `error` is the envelope's error, with per-field issues when present. */
export class ApiCallError extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
    this.name = 'ApiCallError';
  }
}

/** Calls `channel` and returns its value, or throws an ApiCallError. */
export async function call<C extends Channel>(
  channel: C,
  request: RequestOf<C>,
): Promise<ResponseOf<C>> {
  const result = await getClient().call(channel, request);
  if (!result.ok) {
    throw new ApiCallError(result.error);
  }
  return result.value;
}

/** Returns the message of an error thrown by `call` or by anything else. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
