/**
 * HTTP routes of field-assets (thin: schema + permission + a service call),
 * and the live WebSocket. Device ingest has its own listeners (OsmAnd on
 * OSMAND_PORT, MQTT), not these routes.
 */
import type { FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import {
  FieldAcknowledgeEventRequest,
  FieldAssignDeviceRequest,
  FieldAssignmentList,
  FieldCreateDeviceRequest,
  FieldCreateGeofenceRequest,
  FieldDevice,
  FieldDeviceIdParams,
  FieldDeviceLinkParams,
  FieldDeviceList,
  FieldDeviceListQuery,
  FieldDeviceTokenResponse,
  FieldEvent,
  FieldEventIdParams,
  FieldEventList,
  FieldEventListQuery,
  FieldFleetAt,
  FieldFleetAtQuery,
  FieldGeofence,
  FieldGeofenceIdParams,
  FieldGeofenceList,
  FieldLatestPositions,
  FieldLinkDeviceRequest,
  FieldPositionHistory,
  FieldPositionRangeQuery,
  FieldTripsAndStops,
  FieldUpdateDeviceRequest,
  FieldUpdateGeofenceRequest,
  LIVE_PATH,
  Ok,
  PROBLEM_TYPES,
  Problem,
} from '@kotwal/contracts';
import type { CoreContext } from '#core/context.ts';
import { HttpProblem } from '#core/http/problem.ts';
import type { KotwalFastify } from '#core/http/types.ts';
import { runtimeFor } from './runtime.ts';
import type { CallContext } from './service.ts';
import { canSeeCovert } from './service.ts';

const BASE = '/api/v1/field-assets';
const TAGS = ['field-assets'];
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const write = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem };

function call(request: FastifyRequest): CallContext {
  const principal = request.principal;
  if (!principal) throw new HttpProblem(401, PROBLEM_TYPES.unauthenticated, 'Authentication required', 'Sign in or send a valid API token.');
  return { principal, requestId: String(request.id) };
}

/** Bytes a live client may send us (it has nothing to say; pings are handled by the protocol). */
const LIVE_MAX_PAYLOAD = 4096;

export async function fieldAssetsRoutes(app: KotwalFastify, ctx: CoreContext): Promise<void> {
  const rt = runtimeFor(ctx);
  const svc = rt.service;
  if (!app.hasDecorator('websocketServer')) await app.register(websocket, { options: { maxPayload: LIVE_MAX_PAYLOAD } });

  // ---- devices -------------------------------------------------------------
  app.post(
    `${BASE}/devices`,
    {
      config: { permission: 'field-assets.write' },
      schema: {
        tags: TAGS,
        summary: 'Register a device (covert cameras need field-assets.covert)',
        body: FieldCreateDeviceRequest,
        response: { 201: FieldDevice, ...write },
      },
    },
    async (request, reply) => reply.code(201).send(await svc.createDevice(call(request), request.body)),
  );
  app.get(
    `${BASE}/devices`,
    {
      config: { permission: 'field-assets.read' },
      schema: {
        tags: TAGS,
        summary: 'List and search devices (name, unique id, unit, assigned officer); covert cameras only with field-assets.covert, such listings ledgered',
        querystring: FieldDeviceListQuery,
        response: { 200: FieldDeviceList, ...errors },
      },
    },
    async (request) => svc.listDevices(call(request), request.query),
  );
  app.get(
    `${BASE}/devices/:id`,
    {
      config: { permission: 'field-assets.read' },
      schema: {
        tags: TAGS,
        summary: 'One device with its assignment, links and live state',
        params: FieldDeviceIdParams,
        response: { 200: FieldDevice, ...errors },
      },
    },
    async (request) => svc.getDevice(call(request), request.params.id),
  );
  app.patch(
    `${BASE}/devices/:id`,
    {
      config: { permission: 'field-assets.write' },
      schema: { tags: TAGS, summary: 'Change a device', params: FieldDeviceIdParams, body: FieldUpdateDeviceRequest, response: { 200: FieldDevice, ...write } },
    },
    async (request) => svc.updateDevice(call(request), request.params.id, request.body),
  );
  app.post(
    `${BASE}/devices/:id/token`,
    {
      config: { permission: 'field-assets.write' },
      schema: {
        tags: TAGS,
        summary: 'Issue (or replace) the device token: the MQTT password, and the OsmAnd `token` parameter once set (shown once)',
        params: FieldDeviceIdParams,
        response: { 200: FieldDeviceTokenResponse, ...write },
      },
    },
    async (request) => svc.issueToken(call(request), request.params.id),
  );
  app.delete(
    `${BASE}/devices/:id/token`,
    {
      config: { permission: 'field-assets.write' },
      schema: { tags: TAGS, summary: 'Remove the device token', params: FieldDeviceIdParams, response: { 200: FieldDevice, ...write } },
    },
    async (request) => svc.revokeToken(call(request), request.params.id),
  );
  app.post(
    `${BASE}/devices/:id/assignment`,
    {
      config: { permission: 'field-assets.write' },
      schema: {
        tags: TAGS,
        summary: 'Assign the device to an officer and/or a vehicle (ends the current assignment)',
        params: FieldDeviceIdParams,
        body: FieldAssignDeviceRequest,
        response: { 200: FieldDevice, ...write },
      },
    },
    async (request) => svc.assign(call(request), request.params.id, request.body),
  );
  app.delete(
    `${BASE}/devices/:id/assignment`,
    {
      config: { permission: 'field-assets.write' },
      schema: { tags: TAGS, summary: 'End the current assignment', params: FieldDeviceIdParams, response: { 200: FieldDevice, ...write } },
    },
    async (request) => svc.unassign(call(request), request.params.id),
  );
  app.get(
    `${BASE}/devices/:id/assignments`,
    {
      config: { permission: 'field-assets.read' },
      schema: { tags: TAGS, summary: 'Assignment history, newest first', params: FieldDeviceIdParams, response: { 200: FieldAssignmentList, ...errors } },
    },
    async (request) => svc.assignments(call(request), request.params.id),
  );
  app.post(
    `${BASE}/devices/:id/links`,
    {
      config: { permission: 'field-assets.write' },
      schema: {
        tags: TAGS,
        summary: 'Link two devices that belong together (separation alert beyond separationMetres for separationSeconds)',
        params: FieldDeviceIdParams,
        body: FieldLinkDeviceRequest,
        response: { 200: FieldDevice, ...write },
      },
    },
    async (request) => svc.link(call(request), request.params.id, request.body),
  );
  app.delete(
    `${BASE}/devices/:id/links/:otherId`,
    {
      config: { permission: 'field-assets.write' },
      schema: { tags: TAGS, summary: 'Remove a link', params: FieldDeviceLinkParams, response: { 200: FieldDevice, ...write } },
    },
    async (request) => svc.unlink(call(request), request.params.id, request.params.otherId),
  );

  // ---- positions -----------------------------------------------------------------
  app.get(
    `${BASE}/positions/latest`,
    {
      config: { permission: 'field-assets.read' },
      schema: { tags: TAGS, summary: 'Latest position of every device the caller may see', response: { 200: FieldLatestPositions, ...errors } },
    },
    async (request) => svc.latest(call(request)),
  );
  app.get(
    `${BASE}/positions/at`,
    {
      config: { permission: 'field-assets.read' },
      schema: {
        tags: TAGS,
        summary: 'Replay: where the fleet was at an instant (last fix at or before time, within maxAgeSeconds)',
        querystring: FieldFleetAtQuery,
        response: { 200: FieldFleetAt, ...errors },
      },
    },
    async (request) => svc.fleetAt(call(request), request.query),
  );
  app.get(
    `${BASE}/devices/:id/positions`,
    {
      config: { permission: 'field-assets.read' },
      schema: {
        tags: TAGS,
        summary: 'Track of one device between from and to (ISO 8601, at most 7 days), oldest first; the console replays it at any speed',
        params: FieldDeviceIdParams,
        querystring: FieldPositionRangeQuery,
        response: { 200: FieldPositionHistory, ...errors },
      },
    },
    async (request) => svc.history(call(request), request.params.id, request.query),
  );
  app.get(
    `${BASE}/devices/:id/trips`,
    {
      config: { permission: 'field-assets.read' },
      schema: {
        tags: TAGS,
        summary: 'Trips and stops of one device between from and to',
        params: FieldDeviceIdParams,
        querystring: FieldPositionRangeQuery,
        response: { 200: FieldTripsAndStops, ...errors },
      },
    },
    async (request) => svc.trips(call(request), request.params.id, request.query),
  );

  // ---- geofences --------------------------------------------------------------------
  app.get(
    `${BASE}/geofences`,
    { config: { permission: 'field-assets.read' }, schema: { tags: TAGS, summary: 'All geofences', response: { 200: FieldGeofenceList, ...errors } } },
    async () => svc.listGeofences(),
  );
  app.post(
    `${BASE}/geofences`,
    {
      config: { permission: 'field-assets.write' },
      schema: {
        tags: TAGS,
        summary: 'Create a geofence (circle, polygon or corridor)',
        body: FieldCreateGeofenceRequest,
        response: { 201: FieldGeofence, ...write },
      },
    },
    async (request, reply) => reply.code(201).send(await svc.createGeofence(call(request), request.body)),
  );
  app.get(
    `${BASE}/geofences/:id`,
    {
      config: { permission: 'field-assets.read' },
      schema: { tags: TAGS, summary: 'One geofence', params: FieldGeofenceIdParams, response: { 200: FieldGeofence, ...errors } },
    },
    async (request) => svc.getGeofence(request.params.id),
  );
  app.patch(
    `${BASE}/geofences/:id`,
    {
      config: { permission: 'field-assets.write' },
      schema: {
        tags: TAGS,
        summary: 'Change a geofence',
        params: FieldGeofenceIdParams,
        body: FieldUpdateGeofenceRequest,
        response: { 200: FieldGeofence, ...write },
      },
    },
    async (request) => svc.updateGeofence(call(request), request.params.id, request.body),
  );
  app.delete(
    `${BASE}/geofences/:id`,
    {
      config: { permission: 'field-assets.write' },
      schema: { tags: TAGS, summary: 'Delete a geofence', params: FieldGeofenceIdParams, response: { 200: Ok, ...write } },
    },
    async (request) => {
      await svc.deleteGeofence(call(request), request.params.id);
      return { ok: true as const };
    },
  );

  // ---- events (alerts) ------------------------------------------------------------------
  app.get(
    `${BASE}/events`,
    {
      config: { permission: 'field-assets.read' },
      schema: { tags: TAGS, summary: 'Alerts, newest first', querystring: FieldEventListQuery, response: { 200: FieldEventList, ...errors } },
    },
    async (request) => svc.listEvents(call(request), request.query),
  );
  app.post(
    `${BASE}/events/:id/acknowledge`,
    {
      config: { permission: 'field-assets.write' },
      schema: {
        tags: TAGS,
        summary: 'Acknowledge an alert',
        params: FieldEventIdParams,
        body: FieldAcknowledgeEventRequest,
        response: { 200: FieldEvent, ...write },
      },
    },
    async (request) => svc.acknowledge(call(request), request.params.id, request.body ?? {}),
  );

  // ---- live stream ------------------------------------------------------------------------
  app.route({
    method: 'GET',
    url: LIVE_PATH,
    config: { permission: 'field-assets.read' },
    // An upgrade refused before the handler (401/403 from the guard, 426...) is answered by
    // @fastify/websocket on a ServerResponse it attached to the raw socket by hand: the HTTP
    // server no longer tracks that socket and nothing ever closes it (the client's FIN is never
    // read), so it leaks a descriptor and keeps server.close() waiting for ever. Close it once
    // the refusal is written. (An accepted upgrade is hijacked and never gets here.)
    onResponse: (request, reply, done) => {
      if ((request.raw as { upgrade?: boolean }).upgrade === true && reply.statusCode !== 101) request.raw.socket.destroySoon();
      done();
    },
    schema: {
      tags: TAGS,
      summary: 'Live stream (WebSocket): a snapshot, then position, status, event and device messages (FieldLiveMessage); plain HTTP gets 426',
      response: { 426: Problem, ...errors },
    },
    handler: async () => {
      throw new HttpProblem(
        426,
        PROBLEM_TYPES.validation,
        'Upgrade required',
        `open ${LIVE_PATH} as a WebSocket`,
        [{ field: 'upgrade', message: 'send Upgrade: websocket' }],
        {
          upgrade: 'websocket',
        },
      );
    },
    wsHandler: async (socket, request) => {
      const principal = request.principal;
      if (!principal) {
        socket.close(1008, 'authentication required');
        return;
      }
      // Nothing to receive; pings are protocol frames.
      socket.on('message', () => undefined);
      socket.on('error', () => undefined);
      let closed = false;
      socket.on('close', () => {
        closed = true;
      });
      try {
        const covert = canSeeCovert(principal);
        const { snapshot, covertIds } = await svc.snapshot(covert);
        // Ledgered before it leaves.
        await svc.ledgerCovertView(principal, covertIds, 'live-snapshot', String(request.id));
        if (closed) return;
        const positions = svc.latestFor(covert);
        socket.send(JSON.stringify({ ...snapshot, positions, at: new Date().toISOString() }));
        const remove = rt.hub.add(socket, principal, covert);
        socket.on('close', remove);
      } catch (err) {
        ctx.logger.error({ err }, 'field-assets: live snapshot failed');
        socket.close(1011, 'snapshot failed');
      }
    },
  });
}
