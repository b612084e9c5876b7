import Type from 'typebox';

/** RFC 9457 problem details, as every error response carries. */
export const Problem = Type.Object(
  {
    type: Type.String({ description: 'URI naming the kind of problem (see PROBLEM_TYPES)' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          field: Type.String({ description: 'JSON pointer or parameter name of the offending field' }),
          message: Type.String(),
        }),
      ),
    ),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);
export type Problem = Type.Static<typeof Problem>;

export const Ok = Type.Object({ ok: Type.Literal(true) }, { additionalProperties: false });
export type Ok = Type.Static<typeof Ok>;

/** Bounded string: every free-text input has a maximum length. */
export const Str = (maxLength: number, opts: { minLength?: number; pattern?: string; description?: string } = {}) =>
  Type.String({ minLength: opts.minLength ?? 1, maxLength, ...opts });

export const Uuid = Type.String({ format: 'uuid' });
export const IsoDateTime = Type.String({ format: 'date-time' });
