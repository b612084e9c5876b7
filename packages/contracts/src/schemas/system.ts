import Type from 'typebox';

/** GET /api/v1/system/info: this node and the systems (modules) it runs. */
export const SystemInfo = Type.Object({
  version: Type.String(),
  nodeName: Type.String(),
  database: Type.Union([Type.Literal('pglite'), Type.Literal('postgres')]),
  eventTransport: Type.String(),
  modules: Type.Array(Type.Object({ name: Type.String(), title: Type.String(), programmeName: Type.Optional(Type.String()) })),
});
export type SystemInfo = Type.Static<typeof SystemInfo>;
