// Models Genesis out-painting: the image becomes uniform [0, 1) noise except windows of side
// dim - randint(3 dim // 7, 4 dim // 7) restored from the original -- the first window always,
// up to 4 more with p 0.95 each.
//
//   pretext { type: "out_painting" options {
//     [type.googleapis.com/genesis.OutPaintingOptions] { max_windows: 5 window_prob: 0.95 } } }
//
// The noise is drawn only where no window restores the original (same distribution as
// overwriting a full noise image, fewer random numbers).

#include "plugins/pretext/out_painting.h"

#include <algorithm>
#include <cstring>
#include <tuple>

#include "core/status_macros.h"
#include "plugins/pretext/pretext_util.h"

namespace genesis {

absl::Status ValidateOutPaintingOptions(const OutPaintingOptions& o) {
  GENESIS_RETURN_IF_ERROR(internal::CheckProbability("prob", o.prob()));
  GENESIS_RETURN_IF_ERROR(internal::CheckBetween("max_windows", o.max_windows(), 1, 1000));
  GENESIS_RETURN_IF_ERROR(internal::CheckProbability("window_prob", o.window_prob()));
  GENESIS_RETURN_IF_ERROR(internal::CheckRange("min_cut_fraction", o.min_cut_fraction(), 0.0, 1.0));
  GENESIS_RETURN_IF_ERROR(internal::CheckRange("max_cut_fraction", o.max_cut_fraction(), 0.0, 1.0));
  if (o.max_cut_fraction() < o.min_cut_fraction()) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_cut_fraction: must be >= min_cut_fraction (", o.min_cut_fraction(),
                     "), got ", o.max_cut_fraction()));
  }
  GENESIS_RETURN_IF_ERROR(internal::CheckBetween("margin", o.margin(), 0, 4096));
  return absl::OkStatus();
}

void OutPaint(const OutPaintingOptions& o, Slice& image, RandomStream& rng,
              std::vector<Box>* windows) {
  const int64_t rows = image.height, cols = image.width;
  if (rows <= 0 || cols <= 0) return;
  FastRandom noise(rng.Fork());
  // Draw the windows first, then fill noise outside their union row by row.
  thread_local std::vector<Box> boxes;
  boxes.clear();
  for (int count = 0; count < o.max_windows() && (count == 0 || rng.Bernoulli(o.window_prob()));
       ++count) {
    Box box;
    const int64_t cut_rows = rng.UniformInt(internal::FloorFraction(rows, o.min_cut_fraction()),
                                            internal::FloorFraction(rows, o.max_cut_fraction()));
    const int64_t cut_cols = rng.UniformInt(internal::FloorFraction(cols, o.min_cut_fraction()),
                                            internal::FloorFraction(cols, o.max_cut_fraction()));
    std::tie(box.row, box.rows) = PlaceWithMargin(rows, rows - cut_rows, o.margin(), rng);
    std::tie(box.col, box.cols) = PlaceWithMargin(cols, cols - cut_cols, o.margin(), rng);
    boxes.push_back(box);
  }
  thread_local std::vector<uint8_t> keep;
  for (int64_t r = 0; r < rows; ++r) {
    keep.assign(cols, 0);
    bool any = false;
    for (const Box& b : boxes) {
      if (r < b.row || r >= b.row + b.rows) continue;
      std::memset(keep.data() + b.col, 1, b.cols);
      any = true;
    }
    float* p = image.pixels.data() + r * cols;
    if (!any) {
      for (int64_t c = 0; c < cols; ++c) p[c] = noise.UniformFloat();
    } else {
      for (int64_t c = 0; c < cols; ++c) {
        if (!keep[c]) p[c] = noise.UniformFloat();
      }
    }
  }
  if (windows != nullptr) windows->insert(windows->end(), boxes.begin(), boxes.end());
}

namespace {

class OutPainting : public PretextTask {
 public:
  explicit OutPainting(const OutPaintingOptions& options) : options_(options) {}
  static absl::Status Validate(const OutPaintingOptions& o) {
    return ValidateOutPaintingOptions(o);
  }
  void Apply(Slice& input, Slice& target, RandomStream& rng) const override {
    if (rng.Bernoulli(options_.prob())) OutPaint(options_, input, rng);
  }

 private:
  OutPaintingOptions options_;
};

}  // namespace
}  // namespace genesis

GENESIS_REGISTER_PRETEXT_TASK(genesis::OutPainting, "out_painting", genesis::OutPaintingOptions,
                              "Models Genesis out-painting: noise outside 1-5 restored windows.");
