// The "genesis" composite: the Models Genesis pretext pipeline, callable with a trace of what
// happened (for tests and benches).
//
//   GenesisTrace trace;
//   ApplyGenesis(options, input, target, rng, &trace);
#ifndef GENESIS_PLUGINS_PRETEXT_GENESIS_H_
#define GENESIS_PLUGINS_PRETEXT_GENESIS_H_

#include "absl/status/status.h"
#include "core/pretext_task.h"
#include "core/random.h"
#include "plugins/pretext/genesis.pb.h"
#include "plugins/pretext/nonlinear.h"
#include "plugins/pretext/painting.h"

namespace genesis {

// Which steps fired on one sample.
struct GenesisTrace {
  int flips = 0;
  bool shuffled = false;
  NonlinearOutcome nonlinear = NonlinearOutcome::kNone;
  PaintingOutcome painting = PaintingOutcome::kNone;
};

absl::Status ValidateGenesisOptions(const GenesisOptions& options);

// flip (input and target) -> local_shuffle -> nonlinear -> painting (input), in that order,
// all randomness from `rng`.
void ApplyGenesis(const GenesisOptions& options, Slice& input, Slice& target, RandomStream& rng,
                  GenesisTrace* trace = nullptr);

}  // namespace genesis

#endif  // GENESIS_PLUGINS_PRETEXT_GENESIS_H_
