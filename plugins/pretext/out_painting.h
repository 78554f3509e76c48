// The "out_painting" pretext step, reusable by "painting" and "genesis".
//
//   std::vector<Box> windows;
//   OutPaint(options, input, rng, &windows);   // always paints; `prob` is the plugin's business
#ifndef GENESIS_PLUGINS_PRETEXT_OUT_PAINTING_H_
#define GENESIS_PLUGINS_PRETEXT_OUT_PAINTING_H_

#include <vector>

#include "absl/status/status.h"
#include "core/pretext_task.h"
#include "core/random.h"
#include "plugins/pretext/in_painting.h"
#include "plugins/pretext/out_painting.pb.h"

namespace genesis {

absl::Status ValidateOutPaintingOptions(const OutPaintingOptions& options);

// Official semantics: the image becomes uniform [0, 1) noise; then a window of side
// dim - randint(dim * min_cut_fraction, dim * max_cut_fraction) per axis at
// randint(margin, dim - side - margin) is restored from the original -- the first always,
// up to max_windows - 1 more each while rng.Uniform() < window_prob. Restored windows go to
// `windows` when not null.
void OutPaint(const OutPaintingOptions& options, Slice& image, RandomStream& rng,
              std::vector<Box>* windows = nullptr);

}  // namespace genesis

#endif  // GENESIS_PLUGINS_PRETEXT_OUT_PAINTING_H_
