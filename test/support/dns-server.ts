/**
 * A tiny authoritative DNS server on loopback UDP for discovery tests: answers A, AAAA and SRV
 * queries from a table the test changes while it runs. A name not in the table is NXDOMAIN, a
 * name without records of the asked type NODATA, a name marked failing SERVFAIL. Answers carry
 * TTL 0 and uncompressed names, so no resolver caches them.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
export const TYPE_SRV = 33;
const CLASS_IN = 1;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;

export interface SrvRecord {
  readonly priority?: number;
  readonly weight?: number;
  readonly port: number;
  readonly target: string;
}

export interface DnsRecords {
  readonly A?: readonly string[];
  readonly AAAA?: readonly string[];
  readonly SRV?: readonly SrvRecord[];
}

export interface DnsQuestion {
  readonly id: number;
  readonly flags: number;
  /** As sent (case kept), without trailing dot. */
  readonly name: string;
  readonly type: number;
  readonly qclass: number;
}

export interface DnsAnswer {
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  readonly rdata: Buffer;
}

/** The header and first question of a query. Compressed names are not expected in queries. */
export function decodeQuery(msg: Buffer): DnsQuestion {
  if (msg.length < 12) throw new Error(`DNS message of ${msg.length} bytes is shorter than its header`);
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  if (msg.readUInt16BE(4) < 1) throw new Error('DNS query without a question');
  const { name, end } = decodeName(msg, 12);
  if (end + 4 > msg.length) throw new Error('DNS question truncated');
  return { id, flags, name, type: msg.readUInt16BE(end), qclass: msg.readUInt16BE(end + 2) };
}

function decodeName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let pos = offset;
  for (;;) {
    if (pos >= msg.length) throw new Error('DNS name runs past the message');
    const len = msg[pos]!;
    if (len === 0) return { name: labels.join('.'), end: pos + 1 };
    if (len & 0xc0) throw new Error('compressed names in queries are not supported');
    labels.push(msg.toString('latin1', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
}

export function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l !== '');
  const parts: Buffer[] = [];
  for (const label of labels) {
    if (label.length > 63) throw new Error(`DNS label ${JSON.stringify(label)} is longer than 63 bytes`);
    parts.push(Buffer.from([label.length]), Buffer.from(label, 'latin1'));
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** A response to `q`: its question echoed, then `answers`; authoritative, recursion "available". */
export function encodeResponse(q: DnsQuestion, rcode: number, answers: readonly DnsAnswer[]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  // QR, the query's opcode, AA, the query's RD, RA, rcode.
  header.writeUInt16BE(0x8000 | (q.flags & 0x7800) | 0x0400 | (q.flags & 0x0100) | 0x0080 | (rcode & 0xf), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  const question = Buffer.concat([encodeName(q.name), u16(q.type), u16(q.qclass)]);
  const records = answers.map((a) => Buffer.concat([encodeName(a.name), u16(a.type), u16(CLASS_IN), u32(a.ttl), u16(a.rdata.length), a.rdata]));
  return Buffer.concat([header, question, ...records]);
}

export function ipv4Bytes(ip: string): Buffer {
  if (!isIPv4(ip)) throw new Error(`${ip} is not an IPv4 address`);
  return Buffer.from(ip.split('.').map(Number));
}

export function ipv6Bytes(ip: string): Buffer {
  if (!isIPv6(ip) || ip.includes('.')) throw new Error(`${ip} is not an IPv6 address in hex groups`);
  const [head = '', tail] = ip.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

export function srvBytes(r: SrvRecord): Buffer {
  return Buffer.concat([u16(r.priority ?? 0), u16(r.weight ?? 0), u16(r.port), encodeName(r.target)]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

const normalize = (name: string): string => name.toLowerCase().replace(/\.$/, '');

export class TestDnsServer {
  private readonly table = new Map<string, DnsRecords>();
  private readonly failing = new Set<string>();
  private readonly asked = new Map<string, number>();

  private constructor(
    private readonly socket: Socket,
    /** `127.0.0.1:port`, as DnsResolverOptions.servers takes it. */
    readonly address: string,
  ) {
    socket.on('message', (msg, from) => this.answer(msg, from));
  }

  /** Listens on 127.0.0.1 on a free port. */
  static async start(records: Readonly<Record<string, DnsRecords>> = {}): Promise<TestDnsServer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const server = new TestDnsServer(socket, `127.0.0.1:${socket.address().port}`);
    for (const [name, r] of Object.entries(records)) server.set(name, r);
    return server;
  }

  /** Replaces the records of `name` (and stops it failing). */
  set(name: string, records: DnsRecords): void {
    this.table.set(normalize(name), records);
    this.failing.delete(normalize(name));
  }

  /** Makes `name` NXDOMAIN (and stops it failing). */
  delete(name: string): void {
    this.table.delete(normalize(name));
    this.failing.delete(normalize(name));
  }

  /** Answers SERVFAIL for `name` (until set again, or `fail(name, false)`). */
  fail(name: string, failing = true): void {
    if (failing) this.failing.add(normalize(name));
    else this.failing.delete(normalize(name));
  }

  /** How many queries for `name` (any type) have been answered. */
  queries(name: string): number {
    return this.asked.get(normalize(name)) ?? 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(msg: Buffer, from: RemoteInfo): void {
    let q: DnsQuestion;
    try {
      q = decodeQuery(msg);
    } catch {
      if (msg.length >= 12) this.send(encodeFormErr(msg), from);
      return;
    }
    const key = normalize(q.name);
    const records = this.table.get(key);
    let response: Buffer;
    if (this.failing.has(key)) response = encodeResponse(q, RCODE_SERVFAIL, []);
    else if (!records) response = encodeResponse(q, RCODE_NXDOMAIN, []);
    else response = encodeResponse(q, RCODE_NOERROR, answersFor(q, records));
    this.asked.set(key, (this.asked.get(key) ?? 0) + 1);
    this.send(response, from);
  }

  private send(response: Buffer, to: RemoteInfo): void {
    this.socket.send(response, to.port, to.address);
  }
}

function answersFor(q: DnsQuestion, records: DnsRecords): DnsAnswer[] {
  const at = (type: number, rdata: Buffer): DnsAnswer => ({ name: q.name, type, ttl: 0, rdata });
  switch (q.type) {
    case TYPE_A:
      return (records.A ?? []).map((ip) => at(TYPE_A, ipv4Bytes(ip)));
    case TYPE_AAAA:
      return (records.AAAA ?? []).map((ip) => at(TYPE_AAAA, ipv6Bytes(ip)));
    case TYPE_SRV:
      return (records.SRV ?? []).map((r) => at(TYPE_SRV, srvBytes(r)));
    default:
      return [];
  }
}

/** FORMERR with the query's id, for messages that do not decode. */
function encodeFormErr(msg: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(msg.readUInt16BE(0), 0);
  header.writeUInt16BE(0x8000 | RCODE_FORMERR, 2);
  return header;
}
