// A small mutable holder around the pure consensus step, for hosts that prefer
// `driver.process(input)` to threading the state value themselves.
import {
  type ConsensusState,
  type ConsensusStateOptions,
  consensusStep,
  createConsensusState,
} from "./stateMachine.ts";
import type { CoreInput, CoreOutput } from "./types.ts";

export interface ConsensusDriver<S = unknown> {
  /** The current state (an immutable value; safe to keep). */
  readonly state: ConsensusState<S>;
  /** Applies one input and returns the outputs for the host to carry out, in order. */
  process(input: CoreInput<S>): readonly CoreOutput<S>[];
}

export function createConsensusDriver<S = unknown>(
  options: ConsensusStateOptions & { readonly initialState?: ConsensusState<S> } = {},
): ConsensusDriver<S> {
  let state = options.initialState ?? createConsensusState<S>(options);
  return {
    get state() {
      return state;
    },
    process(input) {
      const transition = consensusStep(state, input);
      state = transition.state;
      return transition.outputs;
    },
  };
}
