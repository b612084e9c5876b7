/**
 * Client mode, for CLI tools that talk to a server the operator names on the
 * command line (`kotwal field simulate`, `kotwal transfers approve`,
 * `kotwal ledger witness`): the gateway allows exactly the origins given
 * (scheme, host and port of each URL typed) and refuses everything else
 * before a socket opens. No ledger: the tool runs outside any node.
 */
import type { Logger } from 'pino';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { EgressGateway, EgressPurpose, EgressRequest, EgressResponse } from '#core/context.ts';
import { describeDestination, parseDestination, redactUrl, type ParsedDestination } from './destination.ts';
import { EgressRefusedError } from './errors.ts';
import { createAgents, sendHttp } from './http-client.ts';

export interface ClientEgressOptions {
  /** The URLs the operator typed; their origins are the only destinations allowed. */
  allow: readonly string[];
  /** Names the tool in refusal messages (e.g. "kotwal field simulate"). */
  tool?: string;
  logger?: Logger;
  /** Keep-alive sockets per destination (load generators). */
  maxSockets?: number;
}

export interface ClientEgress extends EgressGateway {
  request(url: string, req?: EgressRequest, purpose?: EgressPurpose): Promise<EgressResponse>;
  /** An MQTT connection (mqtt.js connectAsync) to an allowed broker URL. */
  connectMqtt(url: string, options: IClientOptions): Promise<MqttClient>;
  /** Throws EgressRefusedError unless `url`'s origin was given. */
  assertAllowed(url: string): ParsedDestination;
  close(): void;
}

const originOf = (d: ParsedDestination): string => `${d.protocol}//${describeDestination(d)}`;

export function createClientEgress(opts: ClientEgressOptions): ClientEgress {
  const allowed = new Set<string>();
  for (const raw of opts.allow) allowed.add(originOf(parseDestination(raw)));
  const tool = opts.tool ?? 'this tool';
  const agents = createAgents({ keepAlive: true, ...(opts.maxSockets ? { maxSockets: opts.maxSockets } : {}) });

  const assertAllowed = (url: string): ParsedDestination => {
    let dest: ParsedDestination;
    try {
      dest = parseDestination(url);
    } catch (err) {
      throw new EgressRefusedError((err as Error).message, redactUrl(url), null, { kind: 'operator' });
    }
    if (!allowed.has(originOf(dest))) {
      const reason = `${tool} connects only to what its command line names (${[...allowed].join(', ') || 'nothing'}), not ${originOf(dest)}`;
      opts.logger?.warn({ url: redactUrl(dest.url), reason }, 'egress refused');
      throw new EgressRefusedError(reason, redactUrl(dest.url), describeDestination(dest), { kind: 'operator' });
    }
    return dest;
  };

  return {
    assertAllowed,
    async request(url, req = {}) {
      const dest = assertAllowed(url);
      if (dest.protocol !== 'http:' && dest.protocol !== 'https:') {
        throw new EgressRefusedError(`request() speaks http and https, not ${dest.protocol.slice(0, -1)}`, redactUrl(dest.url), describeDestination(dest), {
          kind: 'operator',
        });
      }
      return sendHttp(dest.url, req, agents);
    },
    async connectMqtt(url, options) {
      assertAllowed(url);
      const mqtt = await import('mqtt');
      return mqtt.connectAsync(url, options, false);
    },
    close() {
      agents.destroy();
    },
  };
}
