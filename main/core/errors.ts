import type { ApiError } from '../../shared/api/contract';
import type { SpaceIssue } from '../../shared/space/types';

/**
 * An error with meaning for the user: bad input (`invalid`), a missing
 * study or dataset (`not-found`), an action the current state forbids
 * (`conflict`), or data that cannot be loaded (`dataset`). Anything else
 * that escapes is `internal` and is logged with its stack.
 */
export class ScoutError extends Error {
  override name = 'ScoutError';

  constructor(
    readonly code: ApiError['code'],
    message: string,
    readonly issues?: SpaceIssue[],
  ) {
    super(message);
  }
}

/** Converts any thrown value into the API's error shape. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ScoutError) {
    return { code: error.code, message: error.message, issues: error.issues };
  }

  const named = error as { name?: string; message?: string };
  if (named?.name === 'DatasetError') {
    return { code: 'dataset', message: named.message ?? String(error) };
  }
  return { code: 'internal', message: named?.message ?? String(error) };
}
