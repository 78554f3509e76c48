// The "painting" pretext step (in- or out-painting), reusable by "genesis".
//
//   PaintingOutcome what = ApplyPainting(options, input, rng);
#ifndef GENESIS_PLUGINS_PRETEXT_PAINTING_H_
#define GENESIS_PLUGINS_PRETEXT_PAINTING_H_

#include "absl/status/status.h"
#include "core/pretext_task.h"
#include "core/random.h"
#include "plugins/pretext/painting.pb.h"

namespace genesis {

absl::Status ValidatePaintingOptions(const PaintingOptions& options);

enum class PaintingOutcome { kNone, kInPainting, kOutPainting };

// Official semantics: if rng.Uniform() < prob: in-paint if rng.Uniform() < in_painting_share,
// else out-paint.
PaintingOutcome ApplyPainting(const PaintingOptions& options, Slice& image, RandomStream& rng);

}  // namespace genesis

#endif  // GENESIS_PLUGINS_PRETEXT_PAINTING_H_
