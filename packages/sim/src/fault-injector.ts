import type { Prng } from '@scylla-cp/core';
import type { ActiveFault, SimFault, SimOperation } from './sim-faults.js';

/** What the injector needs from the cluster. */
export interface FaultHost {
  nowMs(): number;
  onFaultsChanged(change: { type: 'injected' | 'cleared'; fault: ActiveFault }): void;
}

/**
 * The faults active in a cluster, and the questions the simulation asks them ("should this request
 * fail?"). Get it from `cluster.faults`.
 */
export class SimFaultInjector {
  readonly #faults = new Map<string, ActiveFault>();
  readonly #host: FaultHost;
  readonly #prng: Prng;
  #next = 1;

  /** @internal */
  constructor(host: FaultHost, prng: Prng) {
    this.#host = host;
    this.#prng = prng;
  }

  /** Injects a fault; returns its id (e.g. `f1`). Takes effect at once. */
  inject(fault: SimFault): string {
    const id = `f${this.#next++}`;
    const active: ActiveFault = { id, fault: structuredClone(fault), injectedAtMs: this.#host.nowMs() };
    this.#faults.set(id, active);
    this.#host.onFaultsChanged({ type: 'injected', fault: active });
    return id;
  }

  /** Clears one fault by id; returns whether it was active. */
  clear(id: string): boolean {
    const f = this.#faults.get(id);
    if (!f) return false;
    this.#faults.delete(id);
    this.#host.onFaultsChanged({ type: 'cleared', fault: f });
    return true;
  }

  /** Clears every fault (of one node, if given); returns how many were cleared. */
  clearAll(node?: string): number {
    let n = 0;
    for (const f of [...this.#faults.values()]) {
      if (node === undefined || f.fault.node === node) {
        this.clear(f.id);
        n++;
      }
    }
    return n;
  }

  /** Active faults (of one node, if given), in injection order. */
  list(node?: string): ActiveFault[] {
    return [...this.#faults.values()].filter((f) => node === undefined || f.fault.node === node).map((f) => structuredClone(f));
  }

  #of<K extends SimFault['kind']>(node: string, kind: K): { id: string; fault: Extract<SimFault, { kind: K }> }[] {
    const out: { id: string; fault: Extract<SimFault, { kind: K }> }[] = [];
    for (const f of this.#faults.values()) {
      if (f.fault.node === node && f.fault.kind === kind) out.push({ id: f.id, fault: f.fault as Extract<SimFault, { kind: K }> });
    }
    return out;
  }

  /** @internal Total injected latency for a request, in ms. */
  latencyMs(node: string, path: string): number {
    let ms = 0;
    for (const { fault } of this.#of(node, 'api-latency')) {
      if (fault.pathPrefix === undefined || path.startsWith(fault.pathPrefix)) ms += fault.delayMs;
    }
    return ms;
  }

  /** @internal The error a request should fail with, if any (consumes burst counts). */
  apiError(node: string, method: string, path: string): { status: number; message: string } | undefined {
    for (const { id, fault } of this.#of(node, 'api-errors')) {
      if (fault.pathPrefix !== undefined && !path.startsWith(fault.pathPrefix)) continue;
      if (fault.method !== undefined && fault.method.toUpperCase() !== method) continue;
      let hit: boolean;
      if (fault.count !== undefined) {
        hit = true;
        fault.count -= 1;
        if (fault.count <= 0) this.clear(id);
      } else if (fault.probability !== undefined) {
        hit = this.#prng.next() < fault.probability;
      } else {
        hit = true;
      }
      if (hit) return { status: fault.status ?? 500, message: fault.message ?? 'std::runtime_error (simulated fault)' };
    }
    return undefined;
  }

  /** @internal Whether the node's REST (or metrics) listener must be closed. */
  refuses(node: string, port: 'api' | 'metrics'): boolean {
    return this.#of(node, 'refuse-connections').some(({ fault }) => port === 'api' || fault.metrics === true);
  }

  /** @internal How starts of the node end, if a never-return fault is active. */
  neverReturn(node: string): 'crash' | 'stuck' | undefined {
    const f = this.#of(node, 'never-return')[0];
    return f ? (f.fault.mode ?? 'crash') : undefined;
  }

  /** @internal Whether compaction progress is frozen on the node. */
  compactionsStuck(node: string): boolean {
    return this.#of(node, 'compactions-never-settle').length > 0;
  }

  /** @internal If a die-during fault matches, consumes it and returns when to die and how. */
  dieDuring(node: string, op: SimOperation): { afterMs: number | undefined; host: boolean } | undefined {
    const f = this.#of(node, 'die-during').find(({ fault }) => fault.operation === op);
    if (!f) return undefined;
    this.clear(f.id);
    return { afterMs: f.fault.afterMs, host: f.fault.host ?? false };
  }

  /** @internal kill-on faults, for the cluster's oplog hook. */
  killOn(): { id: string; fault: Extract<SimFault, { kind: 'kill-on' }> }[] {
    const out: { id: string; fault: Extract<SimFault, { kind: 'kill-on' }> }[] = [];
    for (const f of this.#faults.values()) if (f.fault.kind === 'kill-on') out.push({ id: f.id, fault: f.fault });
    return out;
  }

  /** @internal Whether the next repair on the node must fail (consumes counts). */
  repairFails(node: string): boolean {
    for (const { id, fault } of this.#of(node, 'repair-failures')) {
      if (fault.count !== undefined) {
        fault.count -= 1;
        if (fault.count <= 0) this.clear(id);
        return true;
      }
      if (fault.probability !== undefined) return this.#prng.next() < fault.probability;
      return true;
    }
    return false;
  }

  /** @internal Whether the node disagrees on schema. */
  schemaDisagrees(node: string): boolean {
    return this.#of(node, 'schema-disagreement').length > 0;
  }
}
