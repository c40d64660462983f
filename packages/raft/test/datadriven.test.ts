import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Message } from '../src/index.js';
import { CoreNet } from './helpers/core-net.js';

/**
 * Datadriven scenario transcripts (testdata/*.txt), after etcd raft's interaction tests.
 * Each block is a command line, `----`, then the expected output, then a blank line.
 * The runner re-renders every file from its commands and compares with the file; run
 * `npx vitest run packages/raft/test/datadriven.test.ts -u` to rewrite the expectations.
 *
 * Commands (member ids are words):
 * - `cluster a b c [preVote] [checkQuorum]`: bootstrap members (prints nothing).
 * - `campaign a`: a starts an election (no delivery).
 * - `propose a <text>`: a proposes a command (prints the index, or the error).
 * - `deliver [cut a,b]`: delivers messages until quiet, dropping any from or to the
 *   members listed after `cut`; prints one line per delivered message.
 * - `tick a <n>`: ticks a n times.
 * - `crash a` / `restart a`.
 * - `conf a addVoter|addLearner|remove b`: a proposes a membership change.
 * - `status`: role, term, commit, last index, voters of every live member.
 * - `log a`: a's entries as index/term/payload.
 */
const dir = fileURLToPath(new URL('./testdata/', import.meta.url));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

function describeMsg(m: Message): string {
  const parts = [`${m.from}->${m.to} ${m.type} term=${m.term}`];
  if (m.index !== undefined) parts.push(`index=${m.index}`);
  if (m.logTerm !== undefined) parts.push(`logTerm=${m.logTerm}`);
  if (m.commit !== undefined) parts.push(`commit=${m.commit}`);
  if (m.entries && m.entries.length) parts.push(`entries=[${m.entries.map((e) => `${e.index}/${e.term}`).join(',')}]`);
  if (m.reject) parts.push(`reject hint=${m.rejectHint}/${m.logTerm}`);
  return parts.join(' ');
}

function run(net: { current: CoreNet | null }, line: string): string[] {
  const [cmd, ...args] = line.trim().split(/\s+/);
  const n = (): CoreNet => {
    if (!net.current) throw new Error('no cluster: start with `cluster a b c`');
    return net.current;
  };
  switch (cmd) {
    case 'cluster': {
      const ids = args.filter((a) => a !== 'preVote' && a !== 'checkQuorum');
      net.current = new CoreNet(ids, { preVote: args.includes('preVote'), checkQuorum: args.includes('checkQuorum'), maxSizePerMsgBytes: 1 << 20 });
      return [];
    }
    case 'campaign':
      n().core(args[0] as string).campaign();
      n().flush();
      return [];
    case 'propose':
      try {
        const pos = n().core(args[0] as string).propose(enc(args.slice(1).join(' ')));
        n().flush();
        return [`index=${pos.index} term=${pos.term}`];
      } catch (e) {
        return [`error: ${(e as Error).name}: ${(e as Error).message}`];
      }
    case 'conf':
      try {
        const pos = n().core(args[0] as string).proposeConfChange({ steps: [{ type: args[1] as 'addVoter', node: args[2] as string }] });
        n().flush();
        return [`index=${pos.index}`];
      } catch (e) {
        return [`error: ${(e as Error).name}`];
      }
    case 'deliver': {
      const cut = args[0] === 'cut' ? (args[1] ?? '').split(',') : [];
      const out: string[] = [];
      n().deliver((m) => {
        if (cut.includes(m.from) || cut.includes(m.to)) return false;
        out.push(describeMsg(m));
        return true;
      });
      return out;
    }
    case 'tick':
      n().tick(args[0] as string, Number(args[1] ?? 1));
      return [];
    case 'crash':
      n().crash(args[0] as string);
      return [];
    case 'restart':
      n().start(args[0] as string);
      return [];
    case 'status':
      return n().ids
        .filter((id) => !n().down.has(id))
        .map((id) => {
          const c = n().core(id);
          return `${id}: ${c.currentRole} term=${c.currentTerm} leader=${c.leader ?? '-'} commit=${c.log.committed} last=${c.log.lastIndex()} voters=${c.confState().voters.join(',')}${c.confState().votersOutgoing.length ? ` outgoing=${c.confState().votersOutgoing.join(',')}` : ''}${c.confState().learners.length ? ` learners=${c.confState().learners.join(',')}` : ''}`;
        });
    case 'log': {
      const c = n().core(args[0] as string);
      return c.log.entries.map((e) => `${e.index}/${e.term} ${e.type === 'conf' ? `conf ${JSON.stringify(e.change?.steps)}` : e.data.length ? dec(e.data) : '(no-op)'}`);
    }
    default:
      throw new Error(`unknown datadriven command "${cmd}"`);
  }
}

describe('datadriven transcripts', () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt'))) {
    it(file, async () => {
      const text = readFileSync(dir + file, 'utf8');
      const out: string[] = [];
      const net = { current: null as CoreNet | null };
      const blocks = text.split(/\n\n+/);
      for (const block of blocks) {
        const lines = block.split('\n');
        const sep = lines.indexOf('----');
        const head = sep >= 0 ? lines.slice(0, sep) : lines;
        const comments = head.filter((l) => l.startsWith('#'));
        const commands = head.filter((l) => l.trim() !== '' && !l.startsWith('#'));
        if (commands.length === 0) {
          if (comments.length) out.push(comments.join('\n'));
          continue;
        }
        const result = commands.flatMap((c) => run(net, c));
        out.push([...comments, ...commands, '----', ...(result.length ? result : ['ok'])].join('\n'));
      }
      await expect(out.join('\n\n') + '\n').toMatchFileSnapshot(dir + file);
    });
  }
});
