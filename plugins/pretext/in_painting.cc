// Models Genesis in-painting: up to 5 boxes (each, the first included, with p 0.95) of side
// randint(dim // 6, dim // 3) per axis, 3 px from the border, filled with uniform [0, 1) noise.
//
//   pretext { type: "in_painting" options {
//     [type.googleapis.com/genesis.InPaintingOptions] { max_boxes: 5 box_prob: 0.95 } } }

#include "plugins/pretext/in_painting.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "core/status_macros.h"
#include "plugins/pretext/pretext_util.h"

namespace genesis {

absl::Status ValidateInPaintingOptions(const InPaintingOptions& o) {
  GENESIS_RETURN_IF_ERROR(internal::CheckProbability("prob", o.prob()));
  GENESIS_RETURN_IF_ERROR(internal::CheckBetween("max_boxes", o.max_boxes(), 1, 1000));
  GENESIS_RETURN_IF_ERROR(internal::CheckProbability("box_prob", o.box_prob()));
  GENESIS_RETURN_IF_ERROR(
      internal::CheckRange("min_size_fraction", o.min_size_fraction(), 0.0, 1.0));
  GENESIS_RETURN_IF_ERROR(
      internal::CheckRange("max_size_fraction", o.max_size_fraction(), 0.0, 1.0));
  if (o.max_size_fraction() < o.min_size_fraction()) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_size_fraction: must be >= min_size_fraction (", o.min_size_fraction(),
                     "), got ", o.max_size_fraction()));
  }
  GENESIS_RETURN_IF_ERROR(internal::CheckBetween("margin", o.margin(), 0, 4096));
  return absl::OkStatus();
}

std::pair<int64_t, int64_t> PlaceWithMargin(int64_t dim, int64_t side, int64_t margin,
                                            RandomStream& rng) {
  margin = std::min<int64_t>(margin, std::max<int64_t>(0, (dim - 1) / 2));
  side = std::clamp<int64_t>(side, 1, std::max<int64_t>(1, dim - 2 * margin));
  const int64_t hi = std::max<int64_t>(margin, dim - side - margin);
  return {rng.UniformInt(margin, hi), side};
}

void InPaint(const InPaintingOptions& o, Slice& image, RandomStream& rng, std::vector<Box>* boxes) {
  const int64_t rows = image.height, cols = image.width;
  if (rows <= 0 || cols <= 0) return;
  std::optional<FastRandom> noise;  // Forked once per image, only when something is painted.
  for (int count = 0; count < o.max_boxes() && rng.Bernoulli(o.box_prob()); ++count) {
    Box box;
    const int64_t side_rows = rng.UniformInt(internal::FloorFraction(rows, o.min_size_fraction()),
                                             internal::FloorFraction(rows, o.max_size_fraction()));
    const int64_t side_cols = rng.UniformInt(internal::FloorFraction(cols, o.min_size_fraction()),
                                             internal::FloorFraction(cols, o.max_size_fraction()));
    std::tie(box.row, box.rows) = PlaceWithMargin(rows, side_rows, o.margin(), rng);
    std::tie(box.col, box.cols) = PlaceWithMargin(cols, side_cols, o.margin(), rng);
    if (!noise) noise.emplace(rng.Fork());
    for (int64_t r = box.row; r < box.row + box.rows; ++r) {
      float* p = image.pixels.data() + r * cols + box.col;
      for (int64_t c = 0; c < box.cols; ++c) p[c] = noise->UniformFloat();
    }
    if (boxes != nullptr) boxes->push_back(box);
  }
}

namespace {

class InPainting : public PretextTask {
 public:
  explicit InPainting(const InPaintingOptions& options) : options_(options) {}
  static absl::Status Validate(const InPaintingOptions& o) { return ValidateInPaintingOptions(o); }
  void Apply(Slice& input, Slice& target, RandomStream& rng) const override {
    if (rng.Bernoulli(options_.prob())) InPaint(options_, input, rng);
  }

 private:
  InPaintingOptions options_;
};

}  // namespace
}  // namespace genesis

GENESIS_REGISTER_PRETEXT_TASK(genesis::InPainting, "in_painting", genesis::InPaintingOptions,
                              "Models Genesis in-painting: up to 5 noise boxes, 3 px margin.");
