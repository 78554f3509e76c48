// The "flip" pretext step, reusable by composites ("genesis").
//
//   int flips = ApplyFlip(options, input, target, rng);   // flips both images alike
#ifndef GENESIS_PLUGINS_PRETEXT_FLIP_H_
#define GENESIS_PLUGINS_PRETEXT_FLIP_H_

#include "absl/status/status.h"
#include "core/pretext_task.h"
#include "core/random.h"
#include "plugins/pretext/flip.pb.h"

namespace genesis {

absl::Status ValidateFlipOptions(const FlipOptions& options);

// Official semantics: while rng.Uniform() < prob and fewer than max_flips were done, flip a
// uniformly chosen axis (0 = rows, i.e. upside down; 1 = columns, left-right) of `input` and
// `target`. Returns the number of flips done.
int ApplyFlip(const FlipOptions& options, Slice& input, Slice& target, RandomStream& rng);

// Flips `image` in place along `axis` (0 = rows, 1 = columns).
void FlipImage(Slice& image, int axis);

}  // namespace genesis

#endif  // GENESIS_PLUGINS_PRETEXT_FLIP_H_
