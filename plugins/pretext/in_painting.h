// The "in_painting" pretext step, reusable by "painting" and "genesis".
//
//   std::vector<Box> boxes;
//   InPaint(options, input, rng, &boxes);   // always paints; `prob` is the plugin's business
#ifndef GENESIS_PLUGINS_PRETEXT_IN_PAINTING_H_
#define GENESIS_PLUGINS_PRETEXT_IN_PAINTING_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/pretext_task.h"
#include "core/random.h"
#include "plugins/pretext/in_painting.pb.h"

namespace genesis {

// An axis-aligned box of pixels: rows [row, row + rows), columns [col, col + cols).
struct Box {
  int64_t row = 0, col = 0, rows = 0, cols = 0;
  bool Contains(int64_t r, int64_t c) const {
    return r >= row && r < row + rows && c >= col && c < col + cols;
  }
};

absl::Status ValidateInPaintingOptions(const InPaintingOptions& options);

// Official semantics: while fewer than max_boxes and rng.Uniform() < box_prob, a box of side
// randint(dim * min_size_fraction, dim * max_size_fraction) per axis at
// randint(margin, dim - side - margin) is filled with uniform [0, 1) noise. Boxes go to
// `boxes` when not null. Sides are clamped so a box fits inside the margins of small images.
void InPaint(const InPaintingOptions& options, Slice& image, RandomStream& rng,
             std::vector<Box>* boxes = nullptr);

// randint(margin, dim - side - margin) with `side` first clamped to fit (shared with
// out-painting). Returns {start, side}.
std::pair<int64_t, int64_t> PlaceWithMargin(int64_t dim, int64_t side, int64_t margin,
                                            RandomStream& rng);

}  // namespace genesis

#endif  // GENESIS_PLUGINS_PRETEXT_IN_PAINTING_H_
