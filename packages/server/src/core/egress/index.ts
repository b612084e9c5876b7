/**
 * core/egress: the single place in the product that opens outbound
 * connections. HTTP(S) goes through the gateway's request() (policy first,
 * refusals ledgered); the long-lived integration connections (PostgreSQL,
 * NATS, an external MQTT broker) are opened by the helpers here with the
 * URLs from configuration; CLI tools use a client-mode gateway that allows
 * only what their command line names. `static.test.ts` proves no other
 * source file opens a connection.
 */
export { createEgressGateway, type EgressGatewayOptions, type ServerEgressGateway } from './gateway.ts';
export { createClientEgress, type ClientEgress, type ClientEgressOptions } from './client.ts';
export { connectMqtt, connectNats, natsConnectionOptions, openPostgresPool, type PostgresPoolOptions } from './connections.ts';
export { EgressRefusedError, EgressRequestError } from './errors.ts';
export { decide, NODE_IDENTITY_PATH, type Decision, type PolicyEnv } from './policy.ts';
export { configuredIntegrations, parseDestination, redactUrl, type Destination, type ParsedDestination } from './destination.ts';
