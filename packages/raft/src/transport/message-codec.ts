import type { Entry, Message, Snapshot } from '../core/messages.js';

/**
 * Binary message encoding: a 4-byte big-endian header length, a JSON header (the message
 * without byte arrays; entries as `[index, term, type, dataLength, change?]`, the
 * snapshot's data as its length), then the raw byte arrays in order. No per-value
 * replacer or reviver runs, and payloads are copied once, not base64-encoded.
 */
export function encodeMessage(m: Message): Buffer {
  const blobs: Uint8Array[] = [];
  const header: Record<string, unknown> = { ...m };
  if (m.entries) {
    header['entries'] = m.entries.map((e) => {
      blobs.push(e.data);
      return e.change ? [e.index, e.term, e.type === 'conf' ? 1 : 0, e.data.length, e.change] : [e.index, e.term, e.type === 'conf' ? 1 : 0, e.data.length];
    });
  }
  if (m.snapshot) {
    blobs.push(m.snapshot.data);
    header['snapshot'] = { index: m.snapshot.index, term: m.snapshot.term, conf: m.snapshot.conf, data: m.snapshot.data.length };
  }
  const head = Buffer.from(JSON.stringify(header));
  let total = 4 + head.length;
  for (const b of blobs) total += b.length;
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32BE(head.length, 0);
  head.copy(out, 4);
  let off = 4 + head.length;
  for (const b of blobs) {
    out.set(b, off);
    off += b.length;
  }
  return out;
}

/** Inverse of {@link encodeMessage}; throws on malformed input. */
export function decodeMessage(buf: Buffer): Message {
  const headLen = buf.readUInt32BE(0);
  if (4 + headLen > buf.length) throw new RangeError('decodeMessage: truncated header');
  const header = JSON.parse(buf.toString('utf8', 4, 4 + headLen)) as Record<string, unknown>;
  let off = 4 + headLen;
  const take = (n: number): Uint8Array => {
    if (off + n > buf.length) throw new RangeError('decodeMessage: truncated payload');
    const b = new Uint8Array(buf.buffer, buf.byteOffset + off, n).slice();
    off += n;
    return b;
  };
  if (Array.isArray(header['entries'])) {
    header['entries'] = (header['entries'] as unknown[][]).map((t): Entry => {
      const [index, term, type, len, change] = t as [number, number, number, number, Entry['change']];
      return { index, term, type: type === 1 ? 'conf' : 'normal', data: take(len), ...(change ? { change } : {}) };
    });
  }
  if (header['snapshot']) {
    const s = header['snapshot'] as Omit<Snapshot, 'data'> & { data: number };
    header['snapshot'] = { index: s.index, term: s.term, conf: s.conf, data: take(s.data) };
  }
  return header as unknown as Message;
}
