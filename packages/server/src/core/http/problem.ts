/**
 * Errors as RFC 9457 problem details. Services throw HttpProblem; the error
 * handler turns it (and Fastify's own errors) into application/problem+json.
 */
import { PROBLEM_TYPES } from '@kotwal/contracts';

export interface FieldError {
  field: string;
  message: string;
}

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
    /** Extension members of the problem (RFC 9457 §3.2), added to the body beside the standard ones. */
    readonly extensions?: Record<string, unknown>,
  ) {
    super(detail ?? title);
    this.name = 'HttpProblem';
  }
}

export const problems = {
  validation: (detail: string, errors?: FieldError[]) => new HttpProblem(400, PROBLEM_TYPES.validation, 'Invalid request', detail, errors),
  unauthenticated: (detail = 'Sign in or send a valid API token.') => new HttpProblem(401, PROBLEM_TYPES.unauthenticated, 'Authentication required', detail),
  forbidden: (detail: string) => new HttpProblem(403, PROBLEM_TYPES.forbidden, 'Forbidden', detail),
  notFound: (detail: string) => new HttpProblem(404, PROBLEM_TYPES.notFound, 'Not found', detail),
  conflict: (detail: string) => new HttpProblem(409, PROBLEM_TYPES.conflict, 'Conflict', detail),
};
