/**
 * The static egress check: parses TypeScript sources with the compiler API
 * and names every place outside core/egress that could open an outbound
 * connection. Used by core/egress/static.test.ts.
 *
 * The rule, per import (static `import`, `export ... from`, `import x =
 * require()`, dynamic `import()` and `require()`):
 * - type-only imports are always fine (they vanish at run time);
 * - a module on BANNED (pg, nats, @nats-io/* except the packages that only
 *   take an existing connection, mqtt, undici, node:dgram, node:dns, ...) may
 *   not be imported at all;
 * - a module on MEMBERS (node:net, node:tls, node:http, node:https,
 *   node:http2, ws) may be imported only for the members listed (servers,
 *   constants, server-side classes); a default or namespace import is
 *   followed through the file and every use must be `name.<allowed member>`
 *   (a type position such as `net.Socket` in an annotation is fine; passing
 *   the module object around is not);
 * - prom-client: everything but Pushgateway (it pushes over HTTP);
 * - any other package or built-in must be on REVIEWED (checked to open no
 *   connection); an unknown one fails, so a new dependency is looked at
 *   before it ships;
 * - a dynamic import()/require() of a MEMBERS module, or of a computed
 *   specifier, fails (what it is used for cannot be followed).
 * And per expression: a reference to the global `fetch`, `WebSocket`,
 * `XMLHttpRequest` or `EventSource` (called, constructed or passed along),
 * `navigator.sendBeacon`, or any of them read off `globalThis`, `global`,
 * `window` or `self`, fails unless the file binds that name itself.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export interface Violation {
  file: string;
  line: number;
  message: string;
}

type MemberRule = { kind: 'members'; allowed: ReadonlySet<string>; defaultIsNamespace: boolean; why: string };
type DenyMembersRule = { kind: 'deny-members'; denied: ReadonlySet<string>; why: string };
type Rule = { kind: 'banned'; why: string } | MemberRule | DenyMembersRule | { kind: 'reviewed' };

const BANNED: Record<string, string> = {
  dgram: 'UDP sockets',
  dns: 'DNS queries leave the machine',
  'dns/promises': 'DNS queries leave the machine',
  pg: 'PostgreSQL client',
  'pg-pool': 'PostgreSQL client',
  'pg-native': 'PostgreSQL client',
  postgres: 'PostgreSQL client',
  nats: 'NATS client',
  'nats.ws': 'NATS client',
  mqtt: 'MQTT client',
  undici: 'HTTP client',
  'node-fetch': 'HTTP client',
  axios: 'HTTP client',
  got: 'HTTP client',
  ky: 'HTTP client',
  superagent: 'HTTP client',
  'cross-fetch': 'HTTP client',
  'isomorphic-fetch': 'HTTP client',
  'socket.io-client': 'WebSocket client',
  ioredis: 'Redis client',
  redis: 'Redis client',
  mysql: 'MySQL client',
  mysql2: 'MySQL client',
  mongodb: 'MongoDB client',
  amqplib: 'AMQP client',
  kafkajs: 'Kafka client',
  ssh2: 'SSH client',
  nodemailer: 'SMTP client',
};
/** @nats-io packages that only work on a connection opened elsewhere (core/egress). */
const NATS_ON_CONNECTION = new Set(['@nats-io/jetstream', '@nats-io/kv', '@nats-io/obj', '@nats-io/services']);

const MEMBERS: Record<string, Omit<MemberRule, 'kind'>> = {
  net: {
    allowed: new Set(['createServer', 'Server', 'isIP', 'isIPv4', 'isIPv6', 'BlockList', 'SocketAddress']),
    defaultIsNamespace: true,
    why: 'node:net may be used for servers only (createServer), not connect/createConnection/Socket',
  },
  tls: {
    allowed: new Set(['createServer', 'Server', 'createSecureContext', 'rootCertificates']),
    defaultIsNamespace: true,
    why: 'node:tls may be used for servers only (createServer), not connect/TLSSocket',
  },
  http: {
    allowed: new Set([
      'createServer',
      'Server',
      'STATUS_CODES',
      'METHODS',
      'IncomingMessage',
      'ServerResponse',
      'validateHeaderName',
      'validateHeaderValue',
      'maxHeaderSize',
    ]),
    defaultIsNamespace: true,
    why: 'node:http may be used for servers only (createServer), not request/get/Agent/ClientRequest',
  },
  https: {
    allowed: new Set(['createServer', 'Server']),
    defaultIsNamespace: true,
    why: 'node:https may be used for servers only (createServer), not request/get/Agent',
  },
  http2: {
    allowed: new Set([
      'createServer',
      'createSecureServer',
      'constants',
      'getDefaultSettings',
      'getPackedSettings',
      'getUnpackedSettings',
      'sensitiveHeaders',
      'Http2ServerRequest',
      'Http2ServerResponse',
    ]),
    defaultIsNamespace: true,
    why: 'node:http2 may be used for servers only, not connect',
  },
};
const WS_RULE: MemberRule = {
  kind: 'members',
  allowed: new Set(['WebSocketServer', 'Server', 'createWebSocketStream']),
  defaultIsNamespace: false,
  why: 'ws may be used for its server (WebSocketServer) only; its default export and WebSocket are the client',
};

const REVIEWED_BUILTINS = [
  'assert',
  'assert/strict',
  'async_hooks',
  'buffer',
  'child_process',
  'crypto',
  'diagnostics_channel',
  'events',
  'fs',
  'fs/promises',
  'module',
  'os',
  'path',
  'perf_hooks',
  'process',
  'querystring',
  'readline',
  'stream',
  'stream/promises',
  'stream/web',
  'string_decoder',
  'test',
  'timers',
  'timers/promises',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];
/** Third-party packages checked to open no outbound connection (servers and parsers are fine). */
const REVIEWED_PACKAGES = [
  '@electric-sql/pglite',
  '@fastify/cookie',
  '@fastify/helmet',
  '@fastify/rate-limit',
  '@fastify/static',
  '@fastify/swagger',
  '@fastify/swagger-ui',
  '@fastify/type-provider-typebox',
  '@fastify/websocket',
  '@kotwal/contracts',
  '@noble/curves',
  '@noble/hashes',
  '@sinclair/typebox',
  'aedes',
  'ajv',
  'ajv-formats',
  'commander',
  'csv-parse',
  'fast-check',
  'fastify',
  'otpauth',
  'pg-copy-streams',
  'pino',
  'secure-json-parse',
  'typebox',
  'typescript',
];

/** The package part of a specifier: `@scope/name` or `name` (subpaths ignored); node: prefix kept. */
function packageOf(spec: string): string {
  if (spec.startsWith('node:')) return spec;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The rule for a module specifier, or null for a relative or path-alias import (our own code). */
export function ruleFor(spec: string): Rule | null {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('#')) return null;
  const bare = spec.startsWith('node:') ? spec.slice(5) : spec;
  if (BANNED[bare]) return { kind: 'banned', why: BANNED[bare] };
  if (MEMBERS[bare]) return { kind: 'members', ...MEMBERS[bare] };
  if (spec === 'ws') return WS_RULE;
  if (REVIEWED_BUILTINS.includes(bare)) return { kind: 'reviewed' };
  const pkg = packageOf(spec);
  if (BANNED[pkg]) return { kind: 'banned', why: BANNED[pkg] };
  if (pkg.startsWith('@nats-io/') && !NATS_ON_CONNECTION.has(pkg)) return { kind: 'banned', why: 'NATS client (opens connections)' };
  if (pkg === 'prom-client') return { kind: 'deny-members', denied: new Set(['Pushgateway']), why: 'prom-client Pushgateway pushes metrics over HTTP' };
  if (NATS_ON_CONNECTION.has(pkg) || REVIEWED_PACKAGES.includes(pkg)) return { kind: 'reviewed' };
  return {
    kind: 'banned',
    why: `"${pkg}" is not a reviewed package: check it opens no connection, then add it to REVIEWED in core/egress/test/static-check.ts`,
  };
}

const GLOBAL_CLIENTS = new Set(['fetch', 'WebSocket', 'XMLHttpRequest', 'EventSource']);
const GLOBAL_OBJECTS = new Set(['globalThis', 'global', 'window', 'self']);

function isTypePosition(node: ts.Node): boolean {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    // `extends Base` is a value (the class is loaded); `implements I` and interface heritage are types.
    if (ts.isExpressionWithTypeArguments(n)) {
      const h = n.parent;
      return ts.isHeritageClause(h) && (h.token === ts.SyntaxKind.ImplementsKeyword || ts.isInterfaceDeclaration(h.parent));
    }
    if (ts.isTypeNode(n)) return true;
    if (ts.isExpression(n) || ts.isStatement(n) || ts.isSourceFile(n)) return false;
  }
  return false;
}

/** True when `id` is a name being declared or a property name, not a reference to a binding. */
function isNonReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return true;
  // `a.b` in a type or namespace position: never a value reference.
  if (ts.isQualifiedName(p)) return true;
  if (
    (ts.isPropertyAssignment(p) ||
      ts.isPropertyDeclaration(p) ||
      ts.isPropertySignature(p) ||
      ts.isMethodDeclaration(p) ||
      ts.isMethodSignature(p) ||
      ts.isGetAccessor(p) ||
      ts.isSetAccessor(p) ||
      ts.isEnumMember(p)) &&
    p.name === id
  )
    return true;
  if (ts.isBindingElement(p) && p.propertyName === id) return true;
  if (
    (ts.isVariableDeclaration(p) ||
      ts.isParameter(p) ||
      ts.isFunctionDeclaration(p) ||
      ts.isFunctionExpression(p) ||
      ts.isClassDeclaration(p) ||
      ts.isClassExpression(p) ||
      ts.isBindingElement(p) ||
      ts.isInterfaceDeclaration(p) ||
      ts.isTypeAliasDeclaration(p) ||
      ts.isTypeParameterDeclaration(p) ||
      ts.isEnumDeclaration(p) ||
      ts.isModuleDeclaration(p)) &&
    p.name === id
  )
    return true;
  if (ts.isImportSpecifier(p) || ts.isImportClause(p) || ts.isNamespaceImport(p) || ts.isImportEqualsDeclaration(p)) return true;
  // `export { x } from '...'` names no local binding; `export { local as alias }`: alias is not a reference, local is.
  if (ts.isExportSpecifier(p)) return !!p.parent.parent.moduleSpecifier || (p.propertyName !== undefined && p.name === id);
  if (ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p)) return true;
  if (ts.isJsxAttribute(p)) return true;
  return false;
}

/** Names the file binds itself (declarations and imports), whatever their scope. */
function declaredNames(sf: ts.SourceFile): Set<string> {
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (
      (ts.isVariableDeclaration(n) ||
        ts.isParameter(n) ||
        ts.isFunctionDeclaration(n) ||
        ts.isClassDeclaration(n) ||
        ts.isBindingElement(n) ||
        ts.isImportSpecifier(n) ||
        ts.isImportClause(n) ||
        ts.isNamespaceImport(n) ||
        ts.isImportEqualsDeclaration(n)) &&
      n.name &&
      ts.isIdentifier(n.name)
    )
      out.add(n.name.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function isRequireCall(n: ts.CallExpression): boolean {
  return ts.isIdentifier(n.expression) && n.expression.text === 'require';
}

/** Every violation in one file's text. */
export function checkSource(file: string, text: string): Violation[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const out: Violation[] = [];
  const at = (node: ts.Node, message: string): void => {
    out.push({ file, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, message });
  };
  /** Local names bound to a whole MEMBERS/deny-members module object, to follow through the file. */
  const tracked = new Map<string, { spec: string; rule: MemberRule | DenyMembersRule }>();

  const memberAllowed = (rule: MemberRule | DenyMembersRule, name: string): boolean =>
    rule.kind === 'members' ? rule.allowed.has(name) : !rule.denied.has(name);

  const checkNamed = (spec: string, rule: Rule, node: ts.Node, names: { name: string; typeOnly: boolean; node: ts.Node }[]): void => {
    if (rule.kind === 'reviewed') return;
    for (const n of names) {
      if (n.typeOnly) continue;
      if (rule.kind === 'banned') at(n.node, `imports ${n.name} from "${spec}": ${rule.why}; only core/egress opens connections`);
      else if (!memberAllowed(rule, n.name)) at(n.node, `imports ${n.name} from "${spec}": ${rule.why}; only core/egress opens connections`);
    }
    if (!names.length && rule.kind === 'banned') at(node, `imports "${spec}": ${rule.why}; only core/egress opens connections`);
  };

  const bindWhole = (spec: string, rule: Rule, local: ts.Identifier, isDefault: boolean): void => {
    if (rule.kind === 'reviewed') return;
    if (rule.kind === 'banned') {
      at(local, `imports "${spec}": ${rule.why}; only core/egress opens connections`);
      return;
    }
    if (rule.kind === 'members' && isDefault && !rule.defaultIsNamespace) {
      at(local, `imports the default export of "${spec}": ${rule.why}`);
      return;
    }
    tracked.set(local.text, { spec, rule });
  };

  const visitImports = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const spec = n.moduleSpecifier.text;
      const rule = ruleFor(spec);
      const clause = n.importClause;
      if (rule && (!clause || !clause.isTypeOnly)) {
        if (!clause) checkNamed(spec, rule, n, []);
        else {
          if (clause.name) bindWhole(spec, rule, clause.name, true);
          const nb = clause.namedBindings;
          if (nb && ts.isNamespaceImport(nb)) bindWhole(spec, rule, nb.name, false);
          if (nb && ts.isNamedImports(nb)) {
            checkNamed(
              spec,
              rule,
              n,
              nb.elements.map((e) => ({ name: (e.propertyName ?? e.name).text, typeOnly: e.isTypeOnly, node: e })),
            );
          }
        }
      }
    } else if (ts.isImportEqualsDeclaration(n) && !n.isTypeOnly && ts.isExternalModuleReference(n.moduleReference)) {
      const e = n.moduleReference.expression;
      if (ts.isStringLiteral(e)) {
        const rule = ruleFor(e.text);
        if (rule) bindWhole(e.text, rule, n.name, false);
      }
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier) && !n.isTypeOnly) {
      const spec = n.moduleSpecifier.text;
      const rule = ruleFor(spec);
      if (rule && rule.kind !== 'reviewed') {
        if (!n.exportClause || ts.isNamespaceExport(n.exportClause)) at(n, `re-exports all of "${spec}": ${rule.why}`);
        else
          checkNamed(
            spec,
            rule,
            n,
            n.exportClause.elements.map((e) => ({ name: (e.propertyName ?? e.name).text, typeOnly: e.isTypeOnly, node: e })),
          );
      }
    } else if (ts.isCallExpression(n) && (n.expression.kind === ts.SyntaxKind.ImportKeyword || isRequireCall(n))) {
      const arg = n.arguments[0];
      const how = n.expression.kind === ts.SyntaxKind.ImportKeyword ? 'import()' : 'require()';
      if (!arg || !ts.isStringLiteralLike(arg)) at(n, `${how} of a computed specifier: what it loads cannot be checked`);
      else {
        const rule = ruleFor(arg.text);
        if (rule && rule.kind === 'banned') at(n, `${how} of "${arg.text}": ${rule.why}; only core/egress opens connections`);
        else if (rule && rule.kind !== 'reviewed')
          at(n, `${how} of "${arg.text}": ${rule.why} (a dynamic import cannot be followed; import the allowed members statically)`);
      }
    }
    ts.forEachChild(n, visitImports);
  };
  visitImports(sf);

  const own = declaredNames(sf);
  const visitUses = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && !isNonReference(n) && !isTypePosition(n)) {
      const t = tracked.get(n.text);
      if (t) {
        const p = n.parent;
        if (ts.isPropertyAccessExpression(p) && p.expression === n) {
          if (!memberAllowed(t.rule, p.name.text)) at(p, `${n.text}.${p.name.text} (from "${t.spec}"): ${t.rule.why}; only core/egress opens connections`);
        } else {
          at(n, `${n.text} (the whole "${t.spec}" module) is used other than by an allowed member: ${t.rule.why}`);
        }
      }
      if (GLOBAL_CLIENTS.has(n.text) && !own.has(n.text)) {
        const p = n.parent;
        const how = ts.isCallExpression(p) && p.expression === n ? `${n.text}()` : ts.isNewExpression(p) && p.expression === n ? `new ${n.text}()` : n.text;
        at(n, `${how}: the global network client; only core/egress opens connections`);
      }
    }
    if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && !isTypePosition(n)) {
      const obj = n.expression.text;
      const prop = n.name.text;
      if (GLOBAL_OBJECTS.has(obj) && !own.has(obj) && GLOBAL_CLIENTS.has(prop))
        at(n, `${obj}.${prop}: the global network client; only core/egress opens connections`);
      if (obj === 'navigator' && prop === 'sendBeacon') at(n, 'navigator.sendBeacon: sends data out; only core/egress opens connections');
    }
    ts.forEachChild(n, visitUses);
  };
  visitUses(sf);
  return out;
}

export interface ScanOptions {
  /** Directories whose .ts files are scanned. */
  roots: readonly string[];
  /** Directories (absolute) not scanned: the egress folder itself. */
  allowedDirs: readonly string[];
}

/** Not product code: test files, test/ folders, bench/ folders (and node_modules, dist). */
export function isExcludedFromProduct(rel: string): boolean {
  const parts = rel.split(path.sep);
  if (parts.some((p) => p === 'test' || p === 'bench' || p === 'node_modules' || p === 'dist')) return true;
  return /\.test\.tsx?$/.test(rel);
}

export function productFiles(opts: ScanOptions): string[] {
  const out: string[] = [];
  const walk = (dir: string, root: string): void => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) {
        if (opts.allowedDirs.some((a) => path.resolve(p) === path.resolve(a))) continue;
        if (isExcludedFromProduct(path.relative(root, p))) continue;
        walk(p, root);
      } else if (/\.tsx?$/.test(name) && !isExcludedFromProduct(path.relative(root, p))) out.push(p);
    }
  };
  for (const r of opts.roots) walk(r, r);
  return out.sort();
}

export function scanProduct(opts: ScanOptions): { files: string[]; violations: Violation[] } {
  const files = productFiles(opts);
  const violations = files.flatMap((f) => checkSource(f, readFileSync(f, 'utf8')));
  return { files, violations };
}
