// Seeded in-process network simulation of the consensus core: 4-7 validators with unequal
// powers, message delay, loss, duplication and reordering before GST, Byzantine validators
// (power < 1/3) that equivocate, and a virtual clock for timeouts. Checks agreement,
// validity and termination, and reports violations instead of throwing.
import {
  type ConsensusState,
  type CoreInput,
  type CoreOutput,
  type CoreProposal,
  type CoreVote,
  consensusStep,
  createConsensusState,
  DEFAULT_TIMEOUTS,
  exceedsTwoThirds,
  type TimeoutConfig,
  timeoutDuration,
  type ValidatorPowers,
  type ValueId,
} from "../../src/index.ts";
import { createPrng, type Prng } from "./prng.ts";

/** The opaque "signature" the sim carries in votes and proposals: a message id and its signer. */
export interface SimSig {
  readonly id: number;
  readonly from: number;
}

type Msg =
  | { readonly kind: "proposal"; readonly proposal: CoreProposal<SimSig> }
  | { readonly kind: "vote"; readonly vote: CoreVote<SimSig> };

type SimEvent =
  | { readonly kind: "deliver"; readonly to: number; readonly msg: Msg }
  | { readonly kind: "input"; readonly node: number; readonly input: CoreInput<SimSig> }
  | { readonly kind: "startHeight"; readonly node: number; readonly height: bigint };

export interface SimOptions {
  readonly seed: number;
  /**
   * Test-only fault injection, in the harness: honest cores are told the total power is half
   * the real one, so their "more than 2/3" is really "more than 1/3". The sim must catch it.
   */
  readonly brokenQuorum?: boolean;
  /** Receives one line per core output of every node, for replaying a failing seed. */
  readonly trace?: (line: string) => void;
}

export interface SimParams {
  readonly powers: readonly bigint[];
  readonly byzantine: readonly boolean[];
  readonly heights: number;
  readonly gstMs: number;
  /** Max delay before GST (messages sent before GST still arrive by GST + delta). */
  readonly preGstDelayMs: number;
  /** Max delay after GST (the bound of partial synchrony). */
  readonly deltaMs: number;
  readonly lossRate: number;
  readonly dupRate: number;
  readonly equivocationRate: number;
  readonly silenceRate: number;
  readonly timeouts: TimeoutConfig;
  /**
   * "random": each Byzantine message to each peer is mutated at random. "split": the
   * Byzantine validators agree, per round, on a group of peers that gets their real votes
   * (or a value, when they voted nil) while the others get nil; they also enjoy fast links
   * that no partition cuts.
   */
  readonly byzantineStrategy: "random" | "split";
  /** Before GST, time is cut into epochs; in some, the network splits in two groups. */
  readonly partitions: readonly SimPartition[];
}

/** From `fromMs` to `toMs`, messages between `side` true and false wait for the split to heal. */
export interface SimPartition {
  readonly fromMs: number;
  readonly toMs: number;
  readonly side: readonly boolean[];
}

export interface SimResult {
  readonly seed: number;
  readonly params: SimParams;
  readonly violations: readonly string[];
  /** Heights decided by every honest validator. */
  readonly heightsDecided: number;
  readonly maxRound: number;
  readonly steps: number;
  readonly endMs: number;
  readonly evidence: number;
  /** Largest (decision time - termination bound) seen over the heights; negative is slack. */
  readonly worstBoundMarginMs: number;
  /** Honest decisions by the round they were made in. */
  readonly decisionRounds: readonly number[];
}

/** Short timeouts: before GST most rounds fail, which exercises locking across many rounds. */
const TIGHT_TIMEOUTS: TimeoutConfig = {
  propose: { baseMs: 600, deltaMs: 200 },
  prevote: { baseMs: 200, deltaMs: 100 },
  precommit: { baseMs: 200, deltaMs: 100 },
};
const COMMIT_DELAY_MS = 1000; // CometBFT timeout_commit
const MAX_STEPS = 2_000_000;

interface SimNode {
  readonly index: number;
  readonly byzantine: boolean;
  state: ConsensusState<SimSig>;
  readonly buffer: Map<bigint, Msg[]>;
  /** Every round entered: [time, height, round]. */
  readonly rounds: [number, bigint, number][];
}

interface Decision {
  readonly value: ValueId;
  readonly round: number;
  readonly time: number;
}

export function randomParams(rng: Prng): SimParams {
  const n = rng.range(4, 7);
  const equal = rng.chance(0.25);
  const powers = Array.from({ length: n }, () => BigInt(equal ? 10 : rng.range(1, 20)));
  const total = powers.reduce((a, b) => a + b, 0n);
  const byzantine = powers.map(() => false);
  if (!rng.chance(0.15)) {
    let byzPower = 0n;
    const order = powers.map((_, i) => i).sort(() => rng.next() - 0.5);
    const want = rng.range(1, n - 1);
    for (const i of order.slice(0, want)) {
      const p = powers[i] ?? 0n;
      if ((byzPower + p) * 3n < total) {
        byzantine[i] = true;
        byzPower += p;
      }
    }
  }
  const gstMs = rng.range(0, 90_000);
  const partitions: SimPartition[] = [];
  if (rng.chance(0.6)) {
    for (let t = 0; t < gstMs; ) {
      const end = Math.min(gstMs, t + rng.range(500, 8_000));
      if (rng.chance(0.7))
        partitions.push({ fromMs: t, toMs: end, side: powers.map(() => rng.chance(0.5)) });
      t = end;
    }
  }
  return {
    powers,
    byzantine,
    heights: rng.range(3, 6),
    gstMs,
    preGstDelayMs: rng.range(0, 6_000),
    deltaMs: rng.range(1, 300),
    lossRate: rng.next() * 0.4,
    dupRate: rng.next() * 0.3,
    equivocationRate: 0.3 + rng.next() * 0.7,
    silenceRate: rng.next() * 0.3,
    byzantineStrategy: rng.chance(0.5) ? "random" : "split",
    timeouts: rng.chance(0.5) ? DEFAULT_TIMEOUTS : TIGHT_TIMEOUTS,
    partitions,
  };
}

/** Longest a round r can take after GST: its three timeouts and a few message delays. */
function roundDurationMs(params: SimParams, r: number): number {
  return (
    timeoutDuration(params.timeouts, "propose", r) +
    timeoutDuration(params.timeouts, "prevote", r) +
    timeoutDuration(params.timeouts, "precommit", r) +
    6 * params.deltaMs
  );
}

/** CometBFT-like weighted round robin (proposer priority), one schedule per height. */
function proposerSchedule(powers: readonly bigint[], height: bigint): (round: number) => number {
  const total = powers.reduce((a, b) => a + b, 0n);
  const prio = powers.map(() => 0n);
  const cache: number[] = [];
  const next = (): number => {
    let best = 0;
    for (let i = 0; i < prio.length; i++) {
      prio[i] = (prio[i] ?? 0n) + (powers[i] ?? 0n);
      if ((prio[i] ?? 0n) > (prio[best] ?? 0n)) best = i;
    }
    prio[best] = (prio[best] ?? 0n) - total;
    return best;
  };
  for (let k = 0n; k < height; k++) next();
  return (round) => {
    while (cache.length <= round) cache.push(next());
    return cache[round] ?? -1;
  };
}

function traceLine(now: number, node: SimNode, out: CoreOutput<SimSig>): string {
  const who = `${now} ms node ${node.index}${node.byzantine ? " (byzantine)" : ""}`;
  const { type, ...rest } = out;
  const fields =
    out.type === "decide"
      ? `height ${out.height} round ${out.round} value ${out.value} precommits ${out.precommits.length}`
      : out.type === "evidence"
        ? `validator ${out.voteA.validatorIndex} ${out.voteA.type} h${out.voteA.height} r${out.voteA.round}: ${out.voteA.value} / ${out.voteB.value}`
        : JSON.stringify(rest, (_, v) => (typeof v === "bigint" ? Number(v) : v));
  return `${who}: ${type} ${fields}`;
}

export function runSimulation(options: SimOptions): SimResult {
  const rng = createPrng(options.seed);
  const params = randomParams(rng);
  const { powers, byzantine, heights, gstMs, deltaMs } = params;
  const n = powers.length;
  const total = powers.reduce((a, b) => a + b, 0n);
  const roundMs = (r: number): number => roundDurationMs(params, r);
  const violations: string[] = [];
  const violate = (message: string): void => {
    if (violations.length < 20) violations.push(message);
  };

  // Event queue: a binary heap ordered by (time, sequence).
  const heap: { time: number; seq: number; event: SimEvent }[] = [];
  let seq = 0;
  let now = 0;
  const schedule = (time: number, event: SimEvent): void => {
    const item = { time, seq: seq++, event };
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      if (p === undefined || p.time < item.time || (p.time === item.time && p.seq < item.seq))
        break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = item;
  };
  const pop = (): { time: number; event: SimEvent } | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let mItem = last;
      const li = heap[l];
      const ri = heap[r];
      if (
        li !== undefined &&
        (li.time < mItem.time || (li.time === mItem.time && li.seq < mItem.seq))
      ) {
        m = l;
        mItem = li;
      }
      if (
        ri !== undefined &&
        (ri.time < mItem.time || (ri.time === mItem.time && ri.seq < mItem.seq))
      ) {
        m = r;
        mItem = ri;
      }
      if (m === i) break;
      heap[i] = mItem;
      i = m;
    }
    heap[i] = last;
    return top;
  };

  // Network: before GST, loss (re-gossiped after GST), long delays (each link has its own
  // base latency), duplicates, reordering and partitions; after GST, every message arrives
  // within deltaMs. Messages sent before GST arrive by GST + deltaMs at the latest.
  const linkDelay = powers.map(() => powers.map(() => rng.range(0, params.preGstDelayMs)));
  const preGstCap = (t: number): number =>
    t <= gstMs + deltaMs ? t : gstMs + rng.range(0, deltaMs);
  const fastByzantine = params.byzantineStrategy === "split";
  const preGstDelay = (from: number, to: number): number => {
    if (fastByzantine && byzantine[from] === true) return preGstCap(now + rng.range(0, 100));
    const base = linkDelay[from]?.[to] ?? 0;
    let t = now + rng.range(Math.floor(base / 2), base);
    for (const cut of params.partitions) {
      if (cut.fromMs <= now && now < cut.toMs && cut.side[from] !== cut.side[to]) {
        t = Math.max(t, cut.toMs + rng.range(0, base));
      }
    }
    return preGstCap(t);
  };
  const send = (from: number, to: number, msg: Msg): void => {
    if (now < gstMs) {
      if (rng.chance(params.lossRate)) {
        schedule(gstMs + rng.range(0, deltaMs), { kind: "deliver", to, msg });
        return;
      }
      schedule(preGstDelay(from, to), { kind: "deliver", to, msg });
      if (rng.chance(params.dupRate)) schedule(preGstDelay(from, to), { kind: "deliver", to, msg });
    } else {
      schedule(now + rng.range(0, deltaMs), { kind: "deliver", to, msg });
      if (rng.chance(params.dupRate)) {
        schedule(now + rng.range(0, deltaMs), { kind: "deliver", to, msg });
      }
    }
  };

  let nextId = 0;
  const sig = (from: number): SimSig => ({ id: nextId++, from });
  /** Every value anybody proposed, with the host's validity verdict. */
  const proposed = new Map<ValueId, boolean>();
  const isValid = (value: ValueId): boolean => !value.startsWith("bad");
  const knownValues = new Map<bigint, ValueId[]>();
  const noteProposed = (height: bigint, value: ValueId): void => {
    if (!proposed.has(value)) {
      proposed.set(value, isValid(value));
      const list = knownValues.get(height) ?? [];
      list.push(value);
      knownValues.set(height, list);
    }
  };

  const schedules = new Map<bigint, (round: number) => number>();
  const proposerOf = (height: bigint): ((round: number) => number) => {
    let s = schedules.get(height);
    if (s === undefined) {
      s = proposerSchedule(powers, height);
      schedules.set(height, s);
    }
    return s;
  };
  const validatorsFor = (height: bigint, honest: boolean): ValidatorPowers => ({
    powers,
    total: honest && options.brokenQuorum === true ? total / 2n : total,
    proposer: proposerOf(height),
  });

  const nodes: SimNode[] = powers.map((_, index) => ({
    index,
    byzantine: byzantine[index] === true,
    state: createConsensusState<SimSig>({ timeouts: params.timeouts }),
    buffer: new Map(),
    rounds: [],
  }));
  const honest = nodes.filter((node) => !node.byzantine);
  const decisions = new Map<bigint, Map<number, Decision>>();
  const relayed = new Set<number>();
  let steps = 0;
  let evidence = 0;
  let maxRound = 0;
  let honestDone = 0; // honest validators that decided the last height

  const splits = new Map<string, boolean[]>();
  const byzantineMutateVote = (
    from: SimNode,
    to: SimNode,
    v: CoreVote<SimSig>,
  ): CoreVote<SimSig> => {
    if (params.byzantineStrategy === "split") {
      const key = `${v.height}/${v.round}/${v.type}`;
      let group = splits.get(key);
      if (group === undefined) {
        group = nodes.map(() => rng.chance(0.5));
        splits.set(key, group);
      }
      const known = knownValues.get(v.height) ?? [];
      const real = v.value ?? known[known.length - 1] ?? null;
      const value = group[to.index] === true ? real : null;
      return value === v.value ? v : { ...v, value, signed: sig(from.index) };
    }
    if (!rng.chance(params.equivocationRate)) return v;
    const known = knownValues.get(v.height) ?? [];
    const choice = rng.int(4);
    const value =
      choice === 0
        ? null
        : choice === 1 && known.length > 0
          ? rng.pick(known)
          : choice === 2
            ? v.value
            : `x${v.height}.${v.round}.${from.index}.${rng.int(3)}`;
    return value === v.value ? v : { ...v, value, signed: sig(from.index) };
  };
  const byzantineMutateProposal = (
    from: SimNode,
    p: CoreProposal<SimSig>,
  ): CoreProposal<SimSig> => {
    if (!rng.chance(params.equivocationRate)) return p;
    const known = knownValues.get(p.height) ?? [];
    const choice = rng.int(4);
    const value =
      choice === 0
        ? p.value
        : choice === 1 && known.length > 0
          ? rng.pick(known)
          : choice === 2
            ? `b${p.height}.${p.round}.${from.index}.${rng.int(3)}`
            : `bad${p.height}.${p.round}.${from.index}`;
    noteProposed(p.height, value);
    // Keep the POL round, drop it, or claim one (the latest round, or any earlier one).
    const pol = rng.int(4);
    const polRound =
      pol === 0 ? p.polRound : pol === 1 ? -1 : pol === 2 ? p.round - 1 : rng.int(p.round + 1) - 1;
    return { ...p, value, polRound, valid: isValid(value), signed: sig(from.index) };
  };

  /** Honest nodes broadcast; Byzantine ones may send each peer something else, or nothing. */
  const broadcast = (from: SimNode, msg: Msg): void => {
    for (const to of nodes) {
      if (to === from) continue;
      if (!from.byzantine) {
        send(from.index, to.index, msg);
        continue;
      }
      if (rng.chance(params.silenceRate)) continue;
      send(
        from.index,
        to.index,
        msg.kind === "vote"
          ? { kind: "vote", vote: byzantineMutateVote(from, to, msg.vote) }
          : { kind: "proposal", proposal: byzantineMutateProposal(from, msg.proposal) },
      );
    }
    // Byzantine validators also push votes for rounds ahead (alone they hold < 1/3, no skip).
    if (from.byzantine && msg.kind === "vote" && rng.chance(0.1)) {
      const ahead: CoreVote<SimSig> = {
        ...msg.vote,
        round: msg.vote.round + rng.range(1, 2),
        value: null,
        signed: sig(from.index),
      };
      send(from.index, rng.int(n), { kind: "vote", vote: ahead });
    }
  };

  const handleOutput = (
    node: SimNode,
    out: CoreOutput<SimSig>,
    local: CoreInput<SimSig>[],
  ): void => {
    if (options.trace !== undefined) options.trace(traceLine(now, node, out));
    switch (out.type) {
      case "newRound":
        node.rounds.push([now, out.height, out.round]);
        if (!node.byzantine && out.round > maxRound) maxRound = out.round;
        return;
      case "getValue": {
        const value = `v${out.height}.${out.round}.${node.index}`;
        noteProposed(out.height, value);
        local.push({ type: "proposeValue", height: out.height, round: out.round, value });
        return;
      }
      case "propose": {
        const proposal: CoreProposal<SimSig> = {
          height: out.height,
          round: out.round,
          polRound: out.polRound,
          value: out.value,
          validatorIndex: node.index,
          valid: true,
          signed: sig(node.index),
        };
        local.push({ type: "proposal", proposal });
        broadcast(node, { kind: "proposal", proposal });
        return;
      }
      case "vote": {
        const vote: CoreVote<SimSig> = {
          type: out.voteType,
          height: out.height,
          round: out.round,
          validatorIndex: node.index,
          value: out.value,
          signed: sig(node.index),
        };
        local.push({ type: "vote", vote });
        broadcast(node, { kind: "vote", vote });
        return;
      }
      case "scheduleTimeout":
        schedule(now + out.durationMs, {
          kind: "input",
          node: node.index,
          input: { type: "timeout", step: out.step, height: out.height, round: out.round },
        });
        return;
      case "decide":
        onDecide(node, out);
        return;
      case "evidence":
        evidence++;
        if (!node.byzantine && !nodes[out.voteA.validatorIndex]?.byzantine) {
          violate(
            `evidence against honest validator ${out.voteA.validatorIndex} at ${out.voteA.height}`,
          );
        }
        return;
    }
  };

  const onDecide = (node: SimNode, out: Extract<CoreOutput<SimSig>, { type: "decide" }>): void => {
    if (out.height < BigInt(heights)) {
      schedule(now + COMMIT_DELAY_MS, {
        kind: "startHeight",
        node: node.index,
        height: out.height + 1n,
      });
    }
    if (node.byzantine) return;
    let atHeight = decisions.get(out.height);
    if (atHeight === undefined) {
      atHeight = new Map();
      decisions.set(out.height, atHeight);
    }
    for (const [other, d] of atHeight) {
      if (d.value !== out.value) {
        violate(
          `agreement: height ${out.height}: validator ${node.index} decided ${out.value}, validator ${other} decided ${d.value}`,
        );
      }
    }
    atHeight.set(node.index, { value: out.value, round: out.round, time: now });
    if (proposed.get(out.value) !== true) {
      violate(`validity: height ${out.height}: ${out.value} was not validly proposed`);
    }
    let power = 0n;
    for (const v of out.precommits)
      if (v.value === out.value) power += powers[v.validatorIndex] ?? 0n;
    if (!exceedsTwoThirds(power, total) && options.brokenQuorum !== true) {
      violate(
        `commit: height ${out.height}: precommits for ${out.value} hold only ${power}/${total}`,
      );
    }
    if (out.height === BigInt(heights)) honestDone++;
  };

  const apply = (node: SimNode, input: CoreInput<SimSig>): void => {
    const local: CoreInput<SimSig>[] = [input];
    for (let i = 0; i < local.length; i++) {
      const next = local[i];
      if (next === undefined) break;
      steps++;
      const t = consensusStep(node.state, next);
      node.state = t.state;
      for (const out of t.outputs) handleOutput(node, out, local);
    }
  };

  const deliver = (node: SimNode, msg: Msg): void => {
    const signed = msg.kind === "vote" ? msg.vote.signed : msg.proposal.signed;
    // Gossip: the first honest receiver of a Byzantine message passes it on to everyone.
    if (!node.byzantine && nodes[signed.from]?.byzantine && !relayed.has(signed.id)) {
      relayed.add(signed.id);
      for (const to of nodes) if (to !== node) send(node.index, to.index, msg);
    }
    const height = msg.kind === "vote" ? msg.vote.height : msg.proposal.height;
    if (height < node.state.height) return;
    if (height > node.state.height) {
      const list = node.buffer.get(height) ?? [];
      list.push(msg);
      node.buffer.set(height, list);
      return;
    }
    apply(
      node,
      msg.kind === "vote"
        ? { type: "vote", vote: msg.vote }
        : { type: "proposal", proposal: msg.proposal },
    );
  };

  const startHeight = (node: SimNode, height: bigint): void => {
    apply(node, {
      type: "startHeight",
      height,
      validators: validatorsFor(height, !node.byzantine),
      ownIndex: node.index,
    });
    const buffered = node.buffer.get(height) ?? [];
    node.buffer.delete(height);
    for (const msg of buffered) deliver(node, msg);
  };

  for (const node of nodes) schedule(0, { kind: "startHeight", node: node.index, height: 1n });
  // A safety net against a livelock; the termination bounds below are far tighter.
  const maxTime = gstMs + heights * 100 * roundMs(200);
  while (honestDone < honest.length && steps < MAX_STEPS) {
    const item = pop();
    if (item === undefined) break;
    if (item.time > maxTime) break;
    now = item.time;
    const ev = item.event;
    const node = nodes[ev.kind === "deliver" ? ev.to : ev.node];
    if (node === undefined) continue;
    if (ev.kind === "deliver") deliver(node, ev.msg);
    else if (ev.kind === "input") apply(node, ev.input);
    else startHeight(node, ev.height);
  }

  // Termination: every honest validator decides every height, and after GST each height is
  // decided within a bounded virtual time (see boundMs).
  const decisionRounds: number[] = [];
  for (const atHeight of decisions.values()) {
    for (const d of atHeight.values()) decisionRounds[d.round] = (decisionRounds[d.round] ?? 0) + 1;
  }
  let heightsDecided = 0;
  let previous = 0;
  let worstBoundMarginMs = Number.NEGATIVE_INFINITY;
  for (let h = 1; h <= heights; h++) {
    const height = BigInt(h);
    const atHeight = decisions.get(height);
    if (atHeight === undefined || atHeight.size < honest.length) {
      violate(
        `termination: height ${h} decided by ${atHeight?.size ?? 0}/${honest.length} honest validators (steps ${steps}, time ${now})`,
      );
      break;
    }
    heightsDecided = h;
    const last = Math.max(...[...atHeight.values()].map((d) => d.time));
    const bound = boundMs(height, Math.max(gstMs + deltaMs, previous));
    worstBoundMarginMs = Math.max(worstBoundMarginMs, last - bound);
    if (last > bound) {
      violate(`termination: height ${h} decided at ${last} ms, after its bound ${bound} ms`);
    }
    previous = last;
  }

  /**
   * From `from` (GST has passed and every honest validator has decided the previous height),
   * the height needs at most: the rounds up to the highest round an honest validator had
   * reached at `from`; then rounds until every honest validator has proposed once (the one
   * holding the highest valid round must re-propose it: a lagging validator may lock on an old
   * round that nobody else saw a polka for, and v0.38 then prevotes its lock until it
   * proposes); then two more honest proposers. Each round takes at most its three timeouts
   * plus a few message delays.
   */
  function boundMs(height: bigint, from: number): number {
    let startRound = 0;
    for (const node of honest) {
      for (const [time, h, round] of node.rounds) {
        if (time <= from && h === height && round > startRound) startRound = round;
      }
    }
    const proposer = proposerOf(height);
    const yetToPropose = new Set(honest.map((node) => node.index));
    let r = startRound;
    let honestRounds = 0;
    while (yetToPropose.size > 0 || honestRounds < 2) {
      r++;
      const p = proposer(r);
      if (byzantine[p] === true) continue;
      if (yetToPropose.size > 0) yetToPropose.delete(p);
      else honestRounds++;
    }
    let bound = from + COMMIT_DELAY_MS;
    for (let k = 0; k <= r; k++) bound += roundMs(k);
    return bound;
  }

  return {
    seed: options.seed,
    params,
    violations,
    heightsDecided,
    maxRound,
    steps,
    endMs: now,
    evidence,
    worstBoundMarginMs,
    decisionRounds,
  };
}
